using System.Globalization;
using System.Text;

namespace Lsm.Engine.Versions;

/// <summary>The text form of an edit, used by <c>lsm manifest dump</c>, debugger displays and test data.</summary>
internal sealed partial class VersionEdit
{
    /// <summary>
    /// One line per field, <c>name: value</c>, in encoding order, e.g. <c>log-number: 8</c>,
    /// <c>add-file: L0 000009:[a#1,SET-c#3,SET] size=1362 epoch=1</c>, <c>delete-file: L1 000005</c>.
    /// An edit with no field prints as <c>(empty)</c>.
    /// </summary>
    public override string ToString()
    {
        var lines = new List<string>();
        CultureInfo c = CultureInfo.InvariantCulture;
        void Line(string name, object? value)
        {
            if (value is not null)
            {
                lines.Add(string.Create(c, $"{name}: {value}"));
            }
        }

        Line("db-id", DbId);
        Line("comparator", Comparator);
        Line("log-number", LogNumber);
        Line("prev-log-number", PrevLogNumber);
        Line("next-file-number", NextFileNumber);
        Line("max-column-family", MaxColumnFamily);
        Line("min-log-number-to-keep", MinLogNumberToKeep);
        Line("last-sequence", LastSequence);
        foreach ((int level, byte[] key) in CompactCursors)
        {
            Line("compact-cursor", $"L{level} {ShapeText.FormatInternalKey(key)}");
        }

        foreach ((int level, ulong number) in DeletedFiles)
        {
            Line("delete-file", $"L{level} {DbFileName.Number(number)}");
        }

        foreach ((int level, FileMetadata file) in NewFiles)
        {
            Line("add-file", $"L{level} {file}");
        }

        foreach (byte[] blob in BlobFileAdditions)
        {
            Line("blob-file-addition", Convert.ToHexString(blob));
        }

        foreach (byte[] blob in BlobFileGarbages)
        {
            Line("blob-file-garbage", Convert.ToHexString(blob));
        }

        foreach (WalAddition wal in WalAdditions)
        {
            Line("wal-addition", wal.SyncedSize is ulong synced ? $"{DbFileName.Number(wal.LogNumber)} synced={synced}" : DbFileName.Number(wal.LogNumber));
        }

        Line("wal-deletion-before", WalDeletionBefore is ulong w ? DbFileName.Number(w) : null);
        Line("column-family", ColumnFamily != 0 ? ColumnFamily : null);
        Line("add-column-family", ColumnFamilyAdd);
        if (IsColumnFamilyDrop)
        {
            lines.Add("drop-column-family");
        }

        Line("atomic-group-remaining", RemainingInAtomicGroup);
        Line("full-history-ts-low", FullHistoryTsLow is null ? null : Convert.ToHexString(FullHistoryTsLow));
        Line("persist-user-defined-timestamps", PersistUserDefinedTimestamps is bool p ? (p ? "true" : "false") : null);
        Line("subcompaction-progress", SubcompactionProgress is null ? null : Convert.ToHexString(SubcompactionProgress));
        Line("last-compacted-manifest-file-size", LastCompactedManifestFileSize);
        return lines.Count == 0 ? "(empty)" : string.Join('\n', lines);
    }

    /// <summary>Parses the text form written by <see cref="ToString"/> (blank lines and <c>#</c> comments are skipped).</summary>
    /// <exception cref="FormatException">A line is not a field of the text form.</exception>
    public static VersionEdit Parse(string text)
    {
        var edit = new VersionEdit();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line == "(empty)")
            {
                continue;
            }

            if (line == "drop-column-family")
            {
                edit.IsColumnFamilyDrop = true;
                continue;
            }

            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"'{line}' is not a version edit field of the form name: value.");
            }

            string name = line[..colon];
            string value = line[(colon + 2)..];
            switch (name)
            {
                case "db-id": edit.DbId = value; break;
                case "comparator": edit.Comparator = value; break;
                case "log-number": edit.LogNumber = ShapeText.ParseNumber(value, name); break;
                case "prev-log-number": edit.PrevLogNumber = ShapeText.ParseNumber(value, name); break;
                case "next-file-number": edit.NextFileNumber = ShapeText.ParseNumber(value, name); break;
                case "max-column-family": edit.MaxColumnFamily = checked((uint)ShapeText.ParseNumber(value, name)); break;
                case "min-log-number-to-keep": edit.MinLogNumberToKeep = ShapeText.ParseNumber(value, name); break;
                case "last-sequence": edit.LastSequence = ShapeText.ParseNumber(value, name); break;
                case "compact-cursor":
                {
                    (int level, string rest) = SplitLevel(value);
                    edit.CompactCursors.Add((level, ShapeText.ParseInternalKey(rest)));
                    break;
                }

                case "delete-file":
                {
                    (int level, string rest) = SplitLevel(value);
                    edit.DeletedFiles.Add((level, ShapeText.ParseNumber(rest, "file number")));
                    break;
                }

                case "add-file":
                {
                    (int level, string rest) = SplitLevel(value);
                    edit.NewFiles.Add((level, FileMetadata.Parse(rest)));
                    break;
                }

                case "blob-file-addition": edit.BlobFileAdditions.Add(Convert.FromHexString(value)); break;
                case "blob-file-garbage": edit.BlobFileGarbages.Add(Convert.FromHexString(value)); break;
                case "wal-addition":
                {
                    int space = value.IndexOf(" synced=", StringComparison.Ordinal);
                    edit.WalAdditions.Add(space < 0
                        ? new WalAddition(ShapeText.ParseNumber(value, "log number"), null)
                        : new WalAddition(ShapeText.ParseNumber(value[..space], "log number"), ShapeText.ParseNumber(value[(space + 8)..], "synced size")));
                    break;
                }

                case "wal-deletion-before": edit.WalDeletionBefore = ShapeText.ParseNumber(value, name); break;
                case "column-family": edit.ColumnFamily = checked((uint)ShapeText.ParseNumber(value, name)); break;
                case "add-column-family": edit.ColumnFamilyAdd = value; break;
                case "atomic-group-remaining": edit.RemainingInAtomicGroup = checked((uint)ShapeText.ParseNumber(value, name)); break;
                case "full-history-ts-low": edit.FullHistoryTsLow = Convert.FromHexString(value); break;
                case "persist-user-defined-timestamps": edit.PersistUserDefinedTimestamps = value == "true"; break;
                case "subcompaction-progress": edit.SubcompactionProgress = Convert.FromHexString(value); break;
                case "last-compacted-manifest-file-size": edit.LastCompactedManifestFileSize = ShapeText.ParseNumber(value, name); break;
                default: throw new FormatException($"'{name}' is not a version edit field.");
            }
        }

        return edit;
    }

    private static (int Level, string Remainder) SplitLevel(string value)
    {
        int space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            throw new FormatException($"'{value}' does not start with a level such as L0.");
        }

        return (ShapeText.ParseLevel(value[..space]), value[(space + 1)..].Trim());
    }
}
