using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Encoding;

/// <summary>
/// The integer encodings every RocksDB structure is built from: little-endian fixed-width integers,
/// LEB128 varints (7 bits per byte, high bit = "more follows") and zig-zag signed varints.
/// </summary>
/// <remarks>
/// Decoders never throw on malformed input: they return false (or -1) and leave the caller to raise a
/// <see cref="CorruptionException"/> that names the file and offset.
/// </remarks>
internal static class Coding
{
    /// <summary>Longest encoding of a 32-bit varint.</summary>
    public const int MaxVarint32Length = 5;

    /// <summary>Longest encoding of a 64-bit varint.</summary>
    public const int MaxVarint64Length = 10;

    public static int VarintLength(ulong value)
    {
        int length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    /// <summary>Writes <paramref name="value"/> as a varint; returns the number of bytes written.</summary>
    /// <remarks>REQUIRES: <paramref name="destination"/> has room for <see cref="VarintLength"/> bytes.</remarks>
    public static int WriteVarint64(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteVarint32(Span<byte> destination, uint value) => WriteVarint64(destination, value);

    /// <summary>Zig-zag maps a signed value so small magnitudes stay short, then writes it as a varint.</summary>
    public static int WriteVarSigned64(Span<byte> destination, long value) =>
        WriteVarint64(destination, ZigZag(value));

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    /// <summary>
    /// Reads a varint of at most 64 bits from the start of <paramref name="source"/>.
    /// Returns the number of bytes consumed, or 0 when the input is truncated or over-long.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarint64(ReadOnlySpan<byte> source, out ulong value)
    {
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            return 1;
        }

        return ReadVarint64Slow(source, out value);
    }

    private static int ReadVarint64Slow(ReadOnlySpan<byte> source, out ulong value)
    {
        ulong result = 0;
        int limit = Math.Min(source.Length, MaxVarint64Length);
        for (int i = 0, shift = 0; i < limit; i++, shift += 7)
        {
            ulong b = source[i];
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                return i + 1;
            }
        }

        value = 0;
        return 0;
    }

    /// <summary>
    /// Reads a varint that must fit in 32 bits. Returns bytes consumed, or 0 when truncated, over-long or too large.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadVarint32(ReadOnlySpan<byte> source, out uint value)
    {
        if (source.Length > 0 && source[0] < 0x80)
        {
            value = source[0];
            return 1;
        }

        int n = ReadVarint64Slow(source, out ulong wide);
        if (n == 0 || n > MaxVarint32Length || wide > uint.MaxValue)
        {
            value = 0;
            return 0;
        }

        value = (uint)wide;
        return n;
    }

    public static int ReadVarSigned64(ReadOnlySpan<byte> source, out long value)
    {
        int n = ReadVarint64(source, out ulong raw);
        value = UnZigZag(raw);
        return n;
    }

    public static uint ReadFixed32(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt32LittleEndian(source);

    public static ulong ReadFixed64(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt64LittleEndian(source);

    public static void WriteFixed32(Span<byte> destination, uint value) =>
        BinaryPrimitives.WriteUInt32LittleEndian(destination, value);

    public static void WriteFixed64(Span<byte> destination, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(destination, value);
}
