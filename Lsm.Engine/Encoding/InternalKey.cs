using System.Buffers.Binary;

namespace Lsm.Engine.Encoding;

/// <summary>
/// The internal key: a user key followed by an 8-byte little-endian trailer <c>(sequence &lt;&lt; 8) | kind</c>.
/// </summary>
/// <remarks>
/// Internal keys order by user key ascending, then by trailer descending, so the newest version of a
/// key comes first. The text form used by tools and tests is <c>user#seq,KIND</c>.
/// See format-spec.md, "Internal keys".
/// </remarks>
internal static class InternalKey
{
    public const int TrailerSize = 8;

    /// <summary>The largest sequence number: 56 bits.</summary>
    public const ulong MaxSequence = (1UL << 56) - 1;

    /// <summary>The kind a seek key carries so it sorts before every real entry of the same user key and sequence.</summary>
    public const ValueKind KindForSeek = ValueKind.ValuePreferredSeqno;

    public static ulong PackTrailer(ulong sequence, ValueKind kind) => (sequence << 8) | (byte)kind;

    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerSize];

    public static ulong Trailer(ReadOnlySpan<byte> internalKey) =>
        BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerSize..]);

    public static ulong Sequence(ReadOnlySpan<byte> internalKey) => Trailer(internalKey) >> 8;

    public static ValueKind Kind(ReadOnlySpan<byte> internalKey) => (ValueKind)(byte)Trailer(internalKey);

    /// <summary>Writes <c>userKey + trailer</c> into <paramref name="destination"/>; returns the length.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        userKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[userKey.Length..], PackTrailer(sequence, kind));
        return userKey.Length + TrailerSize;
    }

    public static byte[] Create(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        byte[] key = new byte[userKey.Length + TrailerSize];
        Write(key, userKey, sequence, kind);
        return key;
    }

    public static bool IsKnownKind(byte kind) => kind is 0x0 or 0x1 or 0x2 or 0x7 or 0xF or 0x11 or 0x14 or 0x16 or 0x18;
}
