using System.Globalization;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>
/// Parsing of the text notation shared by tools and test data (STYLE.md, point 9): internal keys as
/// <c>user#seq,KIND</c> (<see cref="KeyText"/> formats them), files as <c>000012:[a#1,SET-d#4,SET]</c>, and
/// LSM shapes as one <c>L0: 000012:[a#1,SET-d#4,SET]</c> line per file.
/// </summary>
/// <remarks>
/// A user key is read as hex when it starts with <c>0x</c>, otherwise as ASCII; <c>#</c> and <c>,</c> cannot
/// appear in a plain key. Parse errors are <see cref="FormatException"/>s quoting the text.
/// </remarks>
internal static class ShapeText
{
    /// <summary>Parses <c>user#seq,KIND</c> into an internal key.</summary>
    public static byte[] ParseInternalKey(string text)
    {
        int hash = text.LastIndexOf('#');
        int comma = hash < 0 ? -1 : text.IndexOf(',', hash);
        if (hash < 0 || comma < 0)
        {
            throw new FormatException($"'{text}' is not an internal key of the form user#seq,KIND.");
        }

        byte[] user = ParseUserKey(text[..hash]);
        if (!ulong.TryParse(text.AsSpan(hash + 1, comma - hash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong sequence)
            || sequence > InternalKey.MaxSequence)
        {
            throw new FormatException($"'{text}' has a bad sequence number.");
        }

        return InternalKey.Create(user, sequence, ParseKind(text[(comma + 1)..]));
    }

    /// <summary>Parses a user key as <see cref="KeyText.FormatUserKey"/> prints it.</summary>
    public static byte[] ParseUserKey(string text) =>
        text.StartsWith("0x", StringComparison.Ordinal) && text.Length > 2
            ? Convert.FromHexString(text.AsSpan(2))
            : System.Text.Encoding.ASCII.GetBytes(text);

    /// <summary>Parses a kind name as <see cref="KeyText.KindName"/> prints it (<c>SET</c>, <c>DEL</c>, <c>KIND9</c>...).</summary>
    public static ValueKind ParseKind(string name) => name switch
    {
        "DEL" => ValueKind.Deletion,
        "SET" => ValueKind.Value,
        "MERGE" => ValueKind.Merge,
        "SINGLEDEL" => ValueKind.SingleDeletion,
        "RANGEDEL" => ValueKind.RangeDeletion,
        "BLOBINDEX" => ValueKind.BlobIndex,
        "DELTS" => ValueKind.DeletionWithTimestamp,
        "ENTITY" => ValueKind.WideColumnEntity,
        "SETPSEQ" => ValueKind.ValuePreferredSeqno,
        _ when name.StartsWith("KIND", StringComparison.Ordinal)
            && byte.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out byte b) => (ValueKind)b,
        _ => throw new FormatException($"'{name}' is not a kind name."),
    };

    /// <summary>Formats an internal key; keys too short to have a trailer print as hex.</summary>
    public static string FormatInternalKey(ReadOnlySpan<byte> key) => KeyText.FormatInternalKey(key);

    /// <summary>Splits <c>a#1,SET-d#4,SET</c> into its two keys (a plain user key may contain <c>-</c>, never <c>#</c> or <c>,</c>).</summary>
    public static (byte[] Smallest, byte[] Largest) ParseKeyRange(string text)
    {
        int hash = text.IndexOf('#', StringComparison.Ordinal);
        int comma = hash < 0 ? -1 : text.IndexOf(',', hash);
        int dash = comma < 0 ? -1 : text.IndexOf('-', comma);
        if (dash < 0)
        {
            throw new FormatException($"'{text}' is not a key range of the form a#1,SET-d#4,SET.");
        }

        return (ParseInternalKey(text[..dash]), ParseInternalKey(text[(dash + 1)..]));
    }

    /// <summary>Parses a decimal number field of a text form.</summary>
    public static ulong ParseNumber(string text, string what) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new FormatException($"'{text}' is not a valid {what}.");

    /// <summary>Parses a level written as <c>L3</c>.</summary>
    public static int ParseLevel(string text) =>
        text.Length >= 2 && text[0] == 'L' && int.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int level)
            ? level
            : throw new FormatException($"'{text}' is not a level such as L0.");
}
