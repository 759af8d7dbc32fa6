using System.IO.Hashing;
using Lsm.Engine.Hashing;

namespace Lsm.Engine.Table;

/// <summary>
/// Computes the 32-bit checksum stored in each block trailer, for every checksum type RocksDB writes.
/// </summary>
/// <remarks>
/// The checksum covers the block's bytes followed by the one-byte compression type ("last byte").
/// From format version 6 a <em>context</em> modifier derived from the file's base context checksum and
/// the block's offset is added, so a block copied to another place or file fails verification.
/// See format-spec.md, "Block trailer".
/// </remarks>
internal static class BlockChecksum
{
    private const uint LastBytePrime = 0x6b9083d9;

    // Per-thread streaming states, reset before each use, so verifying a block allocates nothing.
    [ThreadStatic]
    private static XxHash32? t_xxHash32;

    [ThreadStatic]
    private static XxHash64? t_xxHash64;

    /// <summary>The checksum of <paramref name="data"/> followed by <paramref name="lastByte"/>.</summary>
    public static uint Compute(ChecksumType type, ReadOnlySpan<byte> data, byte lastByte)
    {
        switch (type)
        {
            case ChecksumType.Crc32C:
                return Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(data), [lastByte]));
            case ChecksumType.XxHash32:
            {
                XxHash32 hash = t_xxHash32 ??= new XxHash32();
                hash.Reset();
                hash.Append(data);
                hash.Append([lastByte]);
                return hash.GetCurrentHashAsUInt32();
            }

            case ChecksumType.XxHash64:
            {
                XxHash64 hash = t_xxHash64 ??= new XxHash64();
                hash.Reset();
                hash.Append(data);
                hash.Append([lastByte]);
                return (uint)hash.GetCurrentHashAsUInt64();
            }

            case ChecksumType.Xxh3:
                // XXH3 has no cheap streaming form, so the last byte is mixed in by xor with a prime multiple.
                return (uint)XxHash3.HashToUInt64(data) ^ (lastByte * LastBytePrime);
            default:
                return 0;
        }
    }

    /// <summary>The checksum of a whole buffer whose final byte plays the role of the "last byte".</summary>
    /// <remarks>Used for the format version 6 footer checksum, computed over the footer itself.</remarks>
    public static uint ComputeWhole(ChecksumType type, ReadOnlySpan<byte> data)
    {
        switch (type)
        {
            case ChecksumType.Crc32C:
                return Crc32C.Mask(Crc32C.Compute(data));
            case ChecksumType.XxHash32:
                return XxHash32.HashToUInt32(data);
            case ChecksumType.XxHash64:
                return (uint)XxHash64.HashToUInt64(data);
            case ChecksumType.Xxh3:
                return data.IsEmpty ? 0 : Compute(type, data[..^1], data[^1]);
            default:
                return 0;
        }
    }

    /// <summary>
    /// The value added to a checksum at <paramref name="offset"/> in a file with the given base context
    /// checksum; zero when the file has none (format version &lt; 6).
    /// </summary>
    public static uint ContextModifier(uint baseContextChecksum, ulong offset)
    {
        if (baseContextChecksum == 0)
        {
            return 0;
        }

        return baseContextChecksum ^ ((uint)offset + (uint)(offset >> 32));
    }

    public static bool IsKnown(byte type) => type <= (byte)ChecksumType.Xxh3;
}
