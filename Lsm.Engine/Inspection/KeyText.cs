using System.Globalization;

namespace Lsm.Engine;

/// <summary>
/// The one text form of keys used by tools, logs, debugger displays and test data: <c>user#seq,KIND</c>.
/// </summary>
/// <remarks>
/// A user key prints as ASCII when every byte is printable and none is <c>#</c> or <c>,</c>; otherwise as
/// <c>0x</c> followed by upper-case hex. Kinds print as RocksDB's tools name them: SET, DEL, MERGE, SINGLEDEL...
/// </remarks>
public static class KeyText
{
    /// <summary>Formats a user key, cut after <paramref name="maxBytes"/> bytes (when positive) and followed by <c>...(N bytes)</c>.</summary>
    /// <param name="userKey">The key.</param>
    /// <param name="maxBytes">The most bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatUserKey(ReadOnlySpan<byte> userKey, int maxBytes = 0)
    {
        bool truncated = maxBytes > 0 && userKey.Length > maxBytes;
        ReadOnlySpan<byte> shown = truncated ? userKey[..maxBytes] : userKey;
        string text = IsPlain(shown) ? System.Text.Encoding.ASCII.GetString(shown) : "0x" + Convert.ToHexString(shown);
        return truncated ? string.Create(CultureInfo.InvariantCulture, $"{text}...({userKey.Length} bytes)") : text;
    }

    /// <summary>Formats a user key, sequence number and kind as <c>user#seq,KIND</c>.</summary>
    /// <param name="userKey">The user key.</param>
    /// <param name="sequence">The sequence number.</param>
    /// <param name="kind">The entry's kind.</param>
    /// <param name="maxUserKeyBytes">The most user-key bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind, int maxUserKeyBytes = 0) =>
        string.Create(CultureInfo.InvariantCulture, $"{FormatUserKey(userKey, maxUserKeyBytes)}#{sequence},{KindName(kind)}");

    /// <summary>Formats an internal key (user key plus its 8-byte trailer) as <c>user#seq,KIND</c>.</summary>
    /// <param name="internalKey">The internal key.</param>
    /// <param name="maxUserKeyBytes">The most user-key bytes to show; 0 or less shows them all.</param>
    /// <returns>The text, or <c>&lt;short:0x..&gt;</c> for fewer than 8 bytes.</returns>
    public static string FormatInternalKey(ReadOnlySpan<byte> internalKey, int maxUserKeyBytes = 0) =>
        internalKey.Length < Encoding.InternalKey.TrailerSize
            ? "<short:0x" + Convert.ToHexString(internalKey) + ">"
            : FormatKey(
                Encoding.InternalKey.UserKey(internalKey),
                Encoding.InternalKey.Sequence(internalKey),
                Encoding.InternalKey.Kind(internalKey),
                maxUserKeyBytes);

    /// <summary>The short name of a kind, as RocksDB's tools print it.</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>SET, DEL, MERGE, SINGLEDEL, RANGEDEL, BLOBINDEX, DELTS, ENTITY, SETPSEQ, or KIND followed by the number.</returns>
    public static string KindName(ValueKind kind) => kind switch
    {
        ValueKind.Deletion => "DEL",
        ValueKind.Value => "SET",
        ValueKind.Merge => "MERGE",
        ValueKind.SingleDeletion => "SINGLEDEL",
        ValueKind.RangeDeletion => "RANGEDEL",
        ValueKind.BlobIndex => "BLOBINDEX",
        ValueKind.DeletionWithTimestamp => "DELTS",
        ValueKind.WideColumnEntity => "ENTITY",
        ValueKind.ValuePreferredSeqno => "SETPSEQ",
        _ => "KIND" + ((byte)kind).ToString(CultureInfo.InvariantCulture),
    };

    private static bool IsPlain(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b < 0x20 || b > 0x7E || b == (byte)'#' || b == (byte)',')
            {
                return false;
            }
        }

        return true;
    }
}
