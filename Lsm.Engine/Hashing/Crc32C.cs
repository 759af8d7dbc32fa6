using System.Buffers.Binary;
using System.Numerics;

namespace Lsm.Engine.Hashing;

/// <summary>
/// CRC-32C (Castagnoli), as RocksDB and LevelDB use it, on the processor's CRC32 instruction where present.
/// </summary>
/// <remarks>
/// Stored CRCs are <em>masked</em> (rotated and offset) because computing the CRC of a string that
/// contains embedded CRCs is weak; see <see cref="Mask"/>.
/// </remarks>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Extends a CRC over more bytes, as if the two inputs had been one.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint state = ~crc;
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return ~state;
    }

    /// <summary>Rotates right by 15 bits and adds a constant: the form in which CRCs are stored.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }
}
