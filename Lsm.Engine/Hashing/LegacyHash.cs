using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Hashing;

/// <summary>
/// RocksDB's legacy persistent 32-bit hash (<c>Hash(data, n, seed)</c> in util/hash.cc), a
/// MurmurHash1 variant inherited from LevelDB. It is part of the on-disk format of the legacy
/// Bloom filter (format_version &lt; 5) through <see cref="BloomHash"/>.
/// </summary>
internal static class LegacyHash
{
    /// <summary>Seed used by RocksDB's <c>BloomHash</c> (LevelDB heritage).</summary>
    public const uint BloomHashSeed = 0xbc9f1d34;

    /// <summary>Seed used by RocksDB's <c>GetSliceHash</c> (in-memory use only).</summary>
    public const uint SliceHashSeed = 397;

    private const uint M = 0xc6a4a793;
    private const int R = 24;

    /// <summary>RocksDB <c>Hash(data, n, seed)</c>.</summary>
    public static uint Hash(ReadOnlySpan<byte> data, uint seed)
    {
        int n = data.Length;
        // Only the low 32 bits of n * m matter, which is what uint arithmetic gives.
        uint h = seed ^ unchecked((uint)n * M);

        int i = 0;
        for (; i + 4 <= n; i += 4)
        {
            h += BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i, 4));
            h *= M;
            h ^= h >> 16;
        }

        // The 1..3 trailing bytes are SIGN-extended before shifting: the original used
        // (signed) char promotion and RocksDB preserves that as part of the format.
        switch (n - i)
        {
            case 3:
                h += unchecked((uint)(sbyte)data[i + 2]) << 16;
                goto case 2;
            case 2:
                h += unchecked((uint)(sbyte)data[i + 1]) << 8;
                goto case 1;
            case 1:
                h += unchecked((uint)(sbyte)data[i]);
                h *= M;
                h ^= h >> R;
                break;
        }

        return h;
    }

    /// <summary>RocksDB <c>BloomHash(key)</c>: <see cref="Hash"/> with seed 0xbc9f1d34.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint BloomHash(ReadOnlySpan<byte> key) => Hash(key, BloomHashSeed);
}
