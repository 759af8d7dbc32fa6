using System.Globalization;
using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine;

/// <summary>
/// Decodes the raw value of a table property by what RocksDB (or this engine) stores under its name:
/// varint64 numbers, fixed-width numbers, internal keys, text.
/// </summary>
public static class PropertyText
{
    // Fixed-width little-endian numbers: the block-based table collector's index type and the external-file fields.
    private static readonly HashSet<string> Fixed32 = new(StringComparer.Ordinal)
    {
        TablePropertyNames.IndexType,
        TablePropertyNames.ExternalSstFileVersion,
    };

    private static readonly HashSet<string> Fixed64 = new(StringComparer.Ordinal)
    {
        TablePropertyNames.ExternalSstFileGlobalSeqno,
    };

    /// <summary>Whether <paramref name="name"/> holds a number (varint64 or fixed-width).</summary>
    /// <param name="name">The property name.</param>
    /// <returns>True for numeric properties.</returns>
    public static bool IsNumeric(string name) =>
        TablePropertyNames.IsVarint(name) || Fixed32.Contains(name) || Fixed64.Contains(name);

    /// <summary>
    /// The value as text: numbers decoded, internal keys as <c>user#seq,KIND</c>, printable text as is,
    /// anything else as <c>0x</c> and hex (for an unknown <c>rocksdb.</c> property that reads as exactly one
    /// varint64, the number is shown too).
    /// </summary>
    /// <param name="name">The property name.</param>
    /// <param name="value">The raw value.</param>
    /// <returns>The text.</returns>
    public static string Format(string name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (TablePropertyNames.IsVarint(name))
        {
            return TryReadWholeVarint(value, out ulong number)
                ? number.ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a varint64)";
        }

        if (Fixed32.Contains(name))
        {
            return value.Length == 4
                ? Coding.ReadFixed32(value).ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a fixed32)";
        }

        if (Fixed64.Contains(name))
        {
            return value.Length == 8
                ? Coding.ReadFixed64(value).ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a fixed64)";
        }

        if (name is TablePropertyNames.SmallestKey or TablePropertyNames.LargestKey)
        {
            return KeyText.FormatInternalKey(value);
        }

        if (value.IsEmpty)
        {
            return "\"\"";
        }

        if (IsText(value))
        {
            return System.Text.Encoding.UTF8.GetString(value);
        }

        string hex = "0x" + Convert.ToHexString(value);
        return name.StartsWith("rocksdb.", StringComparison.Ordinal) && TryReadWholeVarint(value, out ulong guess)
            ? string.Create(CultureInfo.InvariantCulture, $"{hex} (as varint64: {guess})")
            : hex;
    }

    /// <summary>RocksDB's name for an index type (<c>rocksdb.block.based.table.index.type</c>).</summary>
    /// <param name="indexType">The type number.</param>
    /// <returns>The name.</returns>
    public static string IndexTypeName(int indexType) => indexType switch
    {
        0 => "binary search",
        1 => "hash search",
        2 => "two-level (partitioned)",
        3 => "binary search with first key",
        _ => "unknown",
    };

    private static bool TryReadWholeVarint(ReadOnlySpan<byte> bytes, out ulong value) =>
        Coding.ReadVarint64(bytes, out value) == bytes.Length && bytes.Length > 0;

    private static bool IsText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            string text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            foreach (char c in text)
            {
                if (char.IsControl(c))
                {
                    return false;
                }
            }

            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}
