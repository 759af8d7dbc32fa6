using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>
/// A table file as a version knows it: what a <see cref="ManifestTag.NewFile4"/> record carries (RocksDB's
/// <c>FileMetaData</c>), plus the in-memory <see cref="BeingCompacted"/> flag and the open <see cref="Reader"/>.
/// </summary>
/// <remarks>
/// <para>
/// Immutable once it is in a version, except <see cref="BeingCompacted"/>, which the compaction picker sets
/// and clears under the database mutex, and <see cref="Reader"/>, a cache the table cache fills. The same instance is shared by every version that holds the file.
/// </para>
/// <para>
/// Text form (<see cref="ToString"/>, <see cref="Parse"/>): <c>000012:[a#1,SET-d#4,SET]</c> followed by
/// <c>name=value</c> attributes for every field that differs from its default, where the default of the
/// sequence range (<c>seqs=1-4</c>) is the one the two keys imply.
/// </para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class FileMetadata
{
    /// <summary>RocksDB's <c>kUnknownFileChecksumFuncName</c>: no whole-file checksum.</summary>
    public const string UnknownChecksumFunction = "Unknown";

    /// <summary>The size of an encoded unique id (two fixed64).</summary>
    public const int UniqueIdSize = 16;

    /// <summary>The file's number: its name is <c>{FileNumber:D6}.sst</c>.</summary>
    public required ulong FileNumber { get; init; }

    /// <summary>Which of the database's data paths holds the file (RocksDB <c>db_paths</c>); 0 here.</summary>
    public uint PathId { get; init; }

    /// <summary>The file's size in bytes.</summary>
    public required ulong FileSize { get; init; }

    /// <summary>The smallest internal key in the file (user key plus 8-byte trailer).</summary>
    public required byte[] Smallest { get; init; }

    /// <summary>The largest internal key in the file (user key plus 8-byte trailer).</summary>
    public required byte[] Largest { get; init; }

    /// <summary>The smallest sequence number of any entry.</summary>
    public required ulong SmallestSequence { get; init; }

    /// <summary>The largest sequence number of any entry.</summary>
    public required ulong LargestSequence { get; init; }

    /// <summary>
    /// The order in which the file was flushed or ingested: newer L0 files have larger numbers; a compaction
    /// output takes its inputs' smallest. 0 is unknown (files written before RocksDB 7.10).
    /// </summary>
    public ulong EpochNumber { get; init; }

    /// <summary>Unix seconds: the oldest key time of the file's data, or of its compaction ancestors; 0 when unknown.</summary>
    public ulong OldestAncesterTime { get; init; }

    /// <summary>Unix seconds at which the file was written; 0 when unknown.</summary>
    public ulong FileCreationTime { get; init; }

    /// <summary>The whole-file checksum; empty when there is none.</summary>
    public byte[] FileChecksum { get; init; } = [];

    /// <summary>The whole-file checksum function's name; <see cref="UnknownChecksumFunction"/> when there is none.</summary>
    public string FileChecksumFunctionName { get; init; } = UnknownChecksumFunction;

    /// <summary>RocksDB's storage temperature (0 unknown, 4 hot, 8 warm, 12 cold, ...).</summary>
    public byte Temperature { get; init; }

    /// <summary>Whether the file was marked for compaction.</summary>
    public bool MarkedForCompaction { get; init; }

    /// <summary>The oldest blob file the table refers to (BlobDB); 0 when none.</summary>
    public ulong OldestBlobFileNumber { get; init; }

    /// <summary>The table's internal unique id, as encoded (16 bytes), or null when not recorded.</summary>
    /// <remarks>RocksDB checks it against the table's properties when it opens the file (<c>verify_sst_unique_id_in_manifest</c>).</remarks>
    public byte[]? UniqueId { get; init; }

    /// <summary>Bytes of the next level estimated to be covered by the file's range tombstones.</summary>
    public ulong CompensatedRangeDeletionSize { get; init; }

    /// <summary>Bytes from the end of the data blocks to the end of the file; 0 when unknown.</summary>
    public ulong TailSize { get; init; }

    /// <summary>False when user-defined timestamps were stripped from the file's keys.</summary>
    public bool UserDefinedTimestampsPersisted { get; init; } = true;

    /// <summary>The smallest user-defined timestamp in the file; empty when none.</summary>
    public byte[] MinTimestamp { get; init; } = [];

    /// <summary>The largest user-defined timestamp in the file; empty when none.</summary>
    public byte[] MaxTimestamp { get; init; } = [];

    /// <summary>File-system metadata that speeds up opening the file; empty when none.</summary>
    public byte[] FileOpenMetadata { get; init; } = [];

    /// <summary>Set while a compaction has the file as an input. Not persisted; changed under the database mutex.</summary>
    public bool BeingCompacted { get; set; }

    /// <summary>
    /// The table's open reader once the table cache has handed it out (RocksDB keeps it in
    /// <c>FileDescriptor::table_reader</c>): point lookups take it from here instead of through the table cache's lock.
    /// </summary>
    /// <remarks>
    /// Set only by <see cref="Db.TableCache"/>, at most to one reader. The table cache closes that reader only when the
    /// file is deleted, which happens once no version (and so no read) holds this instance.
    /// </remarks>
    internal Table.TableReader? Reader;

    /// <summary>The smallest user key.</summary>
    public ReadOnlySpan<byte> SmallestUserKey => InternalKey.UserKey(Smallest);

    /// <summary>The largest user key.</summary>
    public ReadOnlySpan<byte> LargestUserKey => InternalKey.UserKey(Largest);

    /// <summary>A file of the given range whose sequence range is the one its keys imply; for tests and tools.</summary>
    public static FileMetadata Create(ulong fileNumber, ulong fileSize, byte[] smallest, byte[] largest, ulong epochNumber = 0)
    {
        ulong a = InternalKey.Sequence(smallest);
        ulong b = InternalKey.Sequence(largest);
        return new FileMetadata
        {
            FileNumber = fileNumber,
            FileSize = fileSize,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = Math.Min(a, b),
            LargestSequence = Math.Max(a, b),
            EpochNumber = epochNumber,
        };
    }

    /// <summary>A copy with another epoch number (recovery infers missing ones).</summary>
    public FileMetadata WithEpochNumber(ulong epochNumber) => new()
    {
        FileNumber = FileNumber,
        PathId = PathId,
        FileSize = FileSize,
        Smallest = Smallest,
        Largest = Largest,
        SmallestSequence = SmallestSequence,
        LargestSequence = LargestSequence,
        EpochNumber = epochNumber,
        OldestAncesterTime = OldestAncesterTime,
        FileCreationTime = FileCreationTime,
        FileChecksum = FileChecksum,
        FileChecksumFunctionName = FileChecksumFunctionName,
        Temperature = Temperature,
        MarkedForCompaction = MarkedForCompaction,
        OldestBlobFileNumber = OldestBlobFileNumber,
        UniqueId = UniqueId,
        CompensatedRangeDeletionSize = CompensatedRangeDeletionSize,
        TailSize = TailSize,
        UserDefinedTimestampsPersisted = UserDefinedTimestampsPersisted,
        MinTimestamp = MinTimestamp,
        MaxTimestamp = MaxTimestamp,
        FileOpenMetadata = FileOpenMetadata,
    };

    /// <summary>The text form: <c>000012:[a#1,SET-d#4,SET]</c> and the non-default attributes.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(DbFileName.Number(FileNumber)).Append(":[")
            .Append(ShapeText.FormatInternalKey(Smallest)).Append('-')
            .Append(ShapeText.FormatInternalKey(Largest)).Append(']');
        CultureInfo c = CultureInfo.InvariantCulture;
        if (FileSize != 0)
        {
            text.Append(c, $" size={FileSize}");
        }

        if (Smallest.Length >= InternalKey.TrailerSize && Largest.Length >= InternalKey.TrailerSize)
        {
            ulong a = InternalKey.Sequence(Smallest);
            ulong b = InternalKey.Sequence(Largest);
            if (SmallestSequence != Math.Min(a, b) || LargestSequence != Math.Max(a, b))
            {
                text.Append(c, $" seqs={SmallestSequence}-{LargestSequence}");
            }
        }

        Attribute(text, "epoch", EpochNumber);
        Attribute(text, "oldest-ancester-time", OldestAncesterTime);
        Attribute(text, "creation-time", FileCreationTime);
        Attribute(text, "path", PathId);
        Attribute(text, "temperature", Temperature);
        Attribute(text, "oldest-blob", OldestBlobFileNumber);
        Attribute(text, "compensated-range-deletion-size", CompensatedRangeDeletionSize);
        Attribute(text, "tail-size", TailSize);
        if (MarkedForCompaction)
        {
            text.Append(" marked-for-compaction");
        }

        if (!UserDefinedTimestampsPersisted)
        {
            text.Append(" timestamps-stripped");
        }

        if (FileChecksumFunctionName != UnknownChecksumFunction || FileChecksum.Length > 0)
        {
            text.Append(" checksum=").Append(Convert.ToHexString(FileChecksum)).Append(':').Append(FileChecksumFunctionName);
        }

        Hex(text, "unique-id", UniqueId);
        Hex(text, "min-ts", MinTimestamp);
        Hex(text, "max-ts", MaxTimestamp);
        Hex(text, "open-metadata", FileOpenMetadata);
        return text.ToString();
    }

    /// <summary>Parses the text form written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The text is not a file's text form.</exception>
    public static FileMetadata Parse(string text)
    {
        string[] parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new FormatException("An empty file description.");
        }

        string head = parts[0];
        int colon = head.IndexOf(":[", StringComparison.Ordinal);
        if (colon < 0 || !head.EndsWith(']'))
        {
            throw new FormatException($"'{head}' is not a file of the form 000012:[a#1,SET-d#4,SET].");
        }

        ulong number = ShapeText.ParseNumber(head[..colon], "file number");
        (byte[] smallest, byte[] largest) = ShapeText.ParseKeyRange(head[(colon + 2)..^1]);
        ulong a = InternalKey.Sequence(smallest);
        ulong b = InternalKey.Sequence(largest);
        ulong size = 0, smallSeq = Math.Min(a, b), largeSeq = Math.Max(a, b), epoch = 0, ancester = 0, created = 0, blob = 0, compensated = 0, tail = 0;
        uint path = 0;
        byte temperature = 0;
        bool marked = false, persisted = true;
        byte[] checksum = [];
        string checksumName = UnknownChecksumFunction;
        byte[]? uniqueId = null;
        byte[] minTs = [], maxTs = [], openMetadata = [];
        foreach (string part in parts.AsSpan(1))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? part : part[..eq];
            string value = eq < 0 ? "" : part[(eq + 1)..];
            switch (name)
            {
                case "size": size = ShapeText.ParseNumber(value, name); break;
                case "seqs":
                    int dash = value.IndexOf('-', StringComparison.Ordinal);
                    if (dash < 0)
                    {
                        throw new FormatException($"'{part}' is not a sequence range such as seqs=1-4.");
                    }

                    smallSeq = ShapeText.ParseNumber(value[..dash], name);
                    largeSeq = ShapeText.ParseNumber(value[(dash + 1)..], name);
                    break;
                case "epoch": epoch = ShapeText.ParseNumber(value, name); break;
                case "oldest-ancester-time": ancester = ShapeText.ParseNumber(value, name); break;
                case "creation-time": created = ShapeText.ParseNumber(value, name); break;
                case "path": path = checked((uint)ShapeText.ParseNumber(value, name)); break;
                case "temperature": temperature = checked((byte)ShapeText.ParseNumber(value, name)); break;
                case "oldest-blob": blob = ShapeText.ParseNumber(value, name); break;
                case "compensated-range-deletion-size": compensated = ShapeText.ParseNumber(value, name); break;
                case "tail-size": tail = ShapeText.ParseNumber(value, name); break;
                case "marked-for-compaction": marked = true; break;
                case "timestamps-stripped": persisted = false; break;
                case "checksum":
                    int sep = value.IndexOf(':', StringComparison.Ordinal);
                    if (sep < 0)
                    {
                        throw new FormatException($"'{part}' is not a checksum such as checksum=0A1B:crc32c.");
                    }

                    checksum = Convert.FromHexString(value.AsSpan(0, sep));
                    checksumName = value[(sep + 1)..];
                    break;
                case "unique-id": uniqueId = Convert.FromHexString(value); break;
                case "min-ts": minTs = Convert.FromHexString(value); break;
                case "max-ts": maxTs = Convert.FromHexString(value); break;
                case "open-metadata": openMetadata = Convert.FromHexString(value); break;
                default: throw new FormatException($"'{part}' is not a file attribute.");
            }
        }

        return new FileMetadata
        {
            FileNumber = number,
            FileSize = size,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = smallSeq,
            LargestSequence = largeSeq,
            EpochNumber = epoch,
            OldestAncesterTime = ancester,
            FileCreationTime = created,
            PathId = path,
            Temperature = temperature,
            OldestBlobFileNumber = blob,
            CompensatedRangeDeletionSize = compensated,
            TailSize = tail,
            MarkedForCompaction = marked,
            UserDefinedTimestampsPersisted = persisted,
            FileChecksum = checksum,
            FileChecksumFunctionName = checksumName,
            UniqueId = uniqueId,
            MinTimestamp = minTs,
            MaxTimestamp = maxTs,
            FileOpenMetadata = openMetadata,
        };
    }

    private static void Attribute(StringBuilder text, string name, ulong value)
    {
        if (value != 0)
        {
            text.Append(' ').Append(name).Append('=').Append(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Hex(StringBuilder text, string name, byte[]? value)
    {
        if (value is { Length: > 0 })
        {
            text.Append(' ').Append(name).Append('=').Append(Convert.ToHexString(value));
        }
    }
}
