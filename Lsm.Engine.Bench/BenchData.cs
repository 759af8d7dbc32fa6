using System.Buffers;
using System.Buffers.Text;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Bench;

/// <summary>
/// The keys and values every benchmark and the demo use: 16-byte keys <c>key%013d</c> and 100-byte
/// values that LZ4 compresses to about half, as db_bench makes them (compression_ratio 0.5).
/// </summary>
internal static class BenchData
{
    /// <summary>Length of a user key: "key" and 13 digits.</summary>
    public const int KeyLength = 16;

    /// <summary>Length of a value.</summary>
    public const int ValueLength = 100;

    /// <summary>Writes <c>key%013d</c> of <paramref name="n"/> into the first 16 bytes of <paramref name="destination"/>.</summary>
    public static void FormatKey(Span<byte> destination, long n)
    {
        "key"u8.CopyTo(destination);
        if (!Utf8Formatter.TryFormat(n, destination[3..KeyLength], out int written, new StandardFormat('D', 13)) || written != 13)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "Key numbers have at most 13 digits.");
        }
    }

    /// <summary>The user key <c>key%013d</c> of <paramref name="n"/>.</summary>
    public static byte[] Key(long n)
    {
        byte[] key = new byte[KeyLength];
        FormatKey(key, n);
        return key;
    }

    /// <summary>The internal key of <paramref name="n"/>: user key plus a trailer (sequence, value).</summary>
    public static byte[] InternalKeyOf(long n, ulong sequence)
    {
        byte[] key = new byte[KeyLength + InternalKey.TrailerSize];
        FormatKey(key, n);
        InternalKey.Write(key, key.AsSpan(0, KeyLength), sequence, ValueKind.Value);
        return key;
    }

    /// <summary>
    /// A buffer from which values are sliced: every 100-byte piece is 50 random printable bytes repeated
    /// once, so a block of such values compresses to about half, like db_bench's default data.
    /// </summary>
    public static byte[] ValuePool(int seed, int length = 1 << 20)
    {
        var random = new Random(seed);
        byte[] pool = new byte[length + ValueLength];
        Span<byte> piece = stackalloc byte[ValueLength / 2];
        for (int offset = 0; offset < pool.Length; offset += ValueLength)
        {
            for (int i = 0; i < piece.Length; i++)
            {
                piece[i] = (byte)(' ' + random.Next(95));
            }

            Span<byte> target = pool.AsSpan(offset, Math.Min(ValueLength, pool.Length - offset));
            for (int i = 0; i < target.Length; i++)
            {
                target[i] = piece[i % piece.Length];
            }
        }

        return pool;
    }

    /// <summary>The value of entry <paramref name="n"/>: one of the 100-byte pieces of <paramref name="pool"/>, picked by n.</summary>
    public static ReadOnlySpan<byte> ValueOf(byte[] pool, long n)
    {
        int pieces = (pool.Length - ValueLength) / ValueLength;
        int offset = (int)((ulong)(n * 2654435761L) % (ulong)pieces) * ValueLength;
        return pool.AsSpan(offset, ValueLength);
    }
}
