using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// Where a block lives in a table: its offset and its size, excluding the 5-byte trailer.
/// Encoded as two varint64s (at most 20 bytes).
/// </summary>
internal readonly record struct BlockHandle(ulong Offset, ulong Size)
{
    public const int MaxEncodedLength = 2 * Coding.MaxVarint64Length;

    public static BlockHandle Null => default;

    public bool IsNull => Offset == 0 && Size == 0;

    public int EncodeTo(Span<byte> destination)
    {
        int n = Coding.WriteVarint64(destination, Offset);
        return n + Coding.WriteVarint64(destination[n..], Size);
    }

    public void EncodeTo(ByteBuffer buffer)
    {
        buffer.AppendVarint64(Offset);
        buffer.AppendVarint64(Size);
    }

    public byte[] Encode()
    {
        Span<byte> scratch = stackalloc byte[MaxEncodedLength];
        return scratch[..EncodeTo(scratch)].ToArray();
    }

    /// <summary>Decodes a handle from the start of <paramref name="source"/>; returns bytes consumed or 0 if malformed.</summary>
    public static int TryDecode(ReadOnlySpan<byte> source, out BlockHandle handle)
    {
        int n = Coding.ReadVarint64(source, out ulong offset);
        if (n == 0)
        {
            handle = default;
            return 0;
        }

        int m = Coding.ReadVarint64(source[n..], out ulong size);
        if (m == 0)
        {
            handle = default;
            return 0;
        }

        handle = new BlockHandle(offset, size);
        return n + m;
    }

    public override string ToString() => $"[{Offset}, +{Size}]";
}
