using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Lsm.Engine;

namespace Lsm.Tool;

/// <summary>Formatting shared by the commands: bytes, keys, sizes, names and aligned tables.</summary>
public static class Output
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Formats with the invariant culture: numbers never depend on the machine's locale.</summary>
    /// <param name="text">The interpolated string.</param>
    /// <returns>The text.</returns>
    public static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>
    /// Bytes as UTF-8 text when they decode and hold no control characters, else <c>0x</c> and hex.
    /// Longer than <paramref name="max"/> bytes (when positive), they are cut and followed by
    /// <c>... (N bytes)</c>. Empty bytes print as <c>""</c>.
    /// </summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="max">The most bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatBytes(ReadOnlySpan<byte> bytes, int max = 0)
    {
        if (bytes.IsEmpty)
        {
            return "\"\"";
        }

        bool truncated = max > 0 && bytes.Length > max;
        ReadOnlySpan<byte> shown = truncated ? bytes[..max] : bytes;
        string text;
        if (TryPrintable(shown, truncated, out string? printable))
        {
            text = printable;
        }
        else
        {
            text = "0x" + Convert.ToHexString(shown);
        }

        return truncated ? Invariant($"{text}... ({bytes.Length} bytes)") : text;
    }

    /// <summary>An internal key in the text form <c>user#seq,KIND</c> (see <see cref="KeyText"/>).</summary>
    /// <param name="internalKey">The key.</param>
    /// <param name="maxKey">The most user-key bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatInternalKey(ReadOnlySpan<byte> internalKey, int maxKey = 0) => KeyText.FormatInternalKey(internalKey, maxKey);

    /// <summary>A key in the text form <c>user#seq,KIND</c> (see <see cref="KeyText"/>).</summary>
    /// <param name="userKey">The user key.</param>
    /// <param name="sequence">The sequence number.</param>
    /// <param name="kind">The kind.</param>
    /// <param name="maxKey">The most user-key bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind, int maxKey = 0) =>
        KeyText.FormatKey(userKey, sequence, kind, maxKey);

    /// <summary>A user key as the engine prints keys (see <see cref="KeyText"/>).</summary>
    /// <param name="userKey">The key.</param>
    /// <param name="maxKey">The most bytes to show; 0 or less shows them all.</param>
    /// <returns>The text.</returns>
    public static string FormatUserKey(ReadOnlySpan<byte> userKey, int maxKey = 0) => KeyText.FormatUserKey(userKey, maxKey);

    /// <summary>A key given on the command line: <c>0x</c> and an even number of hex digits is hex, anything else UTF-8.</summary>
    /// <param name="text">The argument.</param>
    /// <returns>The key's bytes.</returns>
    public static byte[] ParseKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 2 && text.Length % 2 == 0 && text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Convert.FromHexString(text.AsSpan(2));
            }
            catch (FormatException)
            {
                // Not hex after all: a text key that starts with "0x".
            }
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>The short name RocksDB's tools use for a kind: SET, DEL, MERGE...</summary>
    /// <param name="kind">The kind.</param>
    /// <returns>The name.</returns>
    public static string KindName(ValueKind kind) => KeyText.KindName(kind);

    /// <summary>A compression type by its command-line name: none, snappy, lz4...</summary>
    /// <param name="compression">The compression.</param>
    /// <returns>The name.</returns>
    public static string CompressionName(CompressionType compression) => compression switch
    {
        CompressionType.None => "none",
        CompressionType.Snappy => "snappy",
        CompressionType.Zlib => "zlib",
        CompressionType.BZip2 => "bzip2",
        CompressionType.Lz4 => "lz4",
        CompressionType.Lz4HC => "lz4hc",
        CompressionType.Xpress => "xpress",
        CompressionType.Zstd => "zstd",
        _ => "type" + ((byte)compression).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A checksum type by its command-line name (crc32c, xxhash, xxhash64, xxh3) and RocksDB's.</summary>
    /// <param name="checksum">The checksum.</param>
    /// <returns>The name.</returns>
    public static string ChecksumName(ChecksumType checksum) => checksum switch
    {
        ChecksumType.None => "none (kNoChecksum)",
        ChecksumType.Crc32C => "crc32c (kCRC32c)",
        ChecksumType.XxHash32 => "xxhash (kxxHash)",
        ChecksumType.XxHash64 => "xxhash64 (kxxHash64)",
        ChecksumType.Xxh3 => "xxh3 (kXXH3)",
        _ => "type" + ((byte)checksum).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A byte count with a binary-unit approximation: <c>12345 (12.1 KiB)</c>.</summary>
    /// <param name="bytes">The count.</param>
    /// <returns>The text.</returns>
    public static string Size(long bytes)
    {
        if (bytes < 1024)
        {
            return Invariant($"{bytes} B");
        }

        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return Invariant($"{bytes} B ({value:0.0} {units[unit]})");
    }

    /// <summary>Unix seconds with their UTC date, or "unknown" for 0.</summary>
    /// <param name="seconds">The time.</param>
    /// <returns>The text.</returns>
    public static string UnixTime(ulong seconds)
    {
        if (seconds == 0)
        {
            return "0 (unknown)";
        }

        if (seconds > 253402300799UL)
        {
            return seconds.ToString(CultureInfo.InvariantCulture);
        }

        DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds((long)seconds);
        return Invariant($"{seconds} ({time.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC)");
    }

    /// <summary>Writes <paramref name="rows"/> under <paramref name="headers"/>, each column as wide as its widest cell.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="indent">Spaces before each line.</param>
    /// <param name="headers">The column headers.</param>
    /// <param name="rightAligned">Per column, whether it is right-aligned (numbers).</param>
    /// <param name="rows">The cells, row by row.</param>
    public static void WriteTable(TextWriter writer, int indent, string[] headers, bool[] rightAligned, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rightAligned);
        ArgumentNullException.ThrowIfNull(rows);
        int[] widths = headers.Select(h => h.Length).ToArray();
        foreach (string[] row in rows)
        {
            for (int i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        string pad = new(' ', indent);
        void Line(string[] cells)
        {
            var line = new StringBuilder(pad);
            for (int i = 0; i < widths.Length; i++)
            {
                if (i > 0)
                {
                    line.Append("  ");
                }

                bool last = i == widths.Length - 1;
                line.Append(rightAligned[i] ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]));
            }

            writer.WriteLine(line.ToString().TrimEnd());
        }

        Line(headers);
        foreach (string[] row in rows)
        {
            Line(row);
        }
    }

    /// <summary>Writes <c>name value</c> pairs with the values aligned in one column.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="indent">Spaces before each line.</param>
    /// <param name="pairs">The pairs.</param>
    public static void WritePairs(TextWriter writer, int indent, IReadOnlyList<(string Name, string Value)> pairs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(pairs);
        int width = pairs.Count == 0 ? 0 : pairs.Max(p => p.Name.Length);
        string pad = new(' ', indent);
        foreach ((string name, string value) in pairs)
        {
            writer.WriteLine(pad + name.PadRight(width) + "  " + value);
        }
    }

    private static bool TryPrintable(ReadOnlySpan<byte> bytes, bool truncated, out string text)
    {
        // A cut may split a multi-byte character: drop the partial character at the end.
        if (truncated)
        {
            int end = bytes.Length;
            int back = 0;
            while (end > 0 && back < 3 && (bytes[end - 1] & 0xC0) == 0x80)
            {
                end--;
                back++;
            }

            if (end > 0 && bytes[end - 1] >= 0xC0)
            {
                int need = bytes[end - 1] >= 0xF0 ? 3 : bytes[end - 1] >= 0xE0 ? 2 : 1;
                if (need > back)
                {
                    bytes = bytes[..(end - 1)];
                }
            }
        }

        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }

        foreach (char c in text)
        {
            if (char.IsControl(c) || c == '\uFEFF')
            {
                text = "";
                return false;
            }
        }

        return true;
    }

    /// <summary>An integer option with a default and an inclusive range, validated by the parser.</summary>
    /// <param name="name">The option's name, e.g. <c>--limit</c>.</param>
    /// <param name="description">Its help text.</param>
    /// <param name="defaultValue">The value when the option is absent.</param>
    /// <param name="min">The smallest value allowed.</param>
    /// <param name="max">The largest value allowed.</param>
    /// <returns>The option.</returns>
    public static System.CommandLine.Option<int> IntOption(string name, string description, int defaultValue, int min, int max)
    {
        var option = new System.CommandLine.Option<int>(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            HelpName = "N",
        };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min || value > max)
            {
                result.AddError(max == int.MaxValue
                    ? Invariant($"{name} must be at least {min}, not {value}.")
                    : Invariant($"{name} must be between {min} and {max}, not {value}."));
            }
        });
        return option;
    }
}
