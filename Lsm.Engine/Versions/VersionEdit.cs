using System.Diagnostics;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>A write-ahead log recorded in the MANIFEST (RocksDB <c>track_and_verify_wals_in_manifest</c>).</summary>
/// <param name="LogNumber">The log's number.</param>
/// <param name="SyncedSize">Bytes of it known to be synced, or null when the log was just created.</param>
internal readonly record struct WalAddition(ulong LogNumber, ulong? SyncedSize);

/// <summary>
/// One change to the database's state: a record of the MANIFEST (RocksDB's <c>VersionEdit</c>). Files added
/// and deleted per level, counters (log number, next file number, last sequence), column family creation
/// and drop, atomic group membership, and the rarer fields RocksDB writes.
/// </summary>
/// <remarks>
/// <para>
/// Every scalar field is optional (null: absent from the record), as in RocksDB, where presence matters: an
/// edit that carries no log number leaves the column family's alone. <see cref="Encode()"/> writes the fields in
/// RocksDB's order, so an edit decoded from a RocksDB MANIFEST encodes back to the same bytes (unless it used
/// a legacy form: <see cref="ManifestTag.NewFile"/> to <see cref="ManifestTag.NewFile3"/>, the unprefixed WAL
/// and blob tags, or unknown ignorable fields, which are dropped). Format: format-spec.md, section 14.2.
/// </para>
/// <para>Not thread-safe; an edit is built by one thread and then handed to <see cref="VersionSet.LogAndApply(uint, VersionEdit)"/>.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed partial class VersionEdit
{
    /// <summary>The database identity (<see cref="ManifestTag.DbId"/>).</summary>
    public string? DbId { get; set; }

    /// <summary>The user comparator's name; written when a column family is created or snapshotted.</summary>
    public string? Comparator { get; set; }

    /// <summary>Logs below this number hold nothing this column family needs.</summary>
    public ulong? LogNumber { get; set; }

    /// <summary>Legacy: the log before <see cref="LogNumber"/>. <see cref="VersionSet"/> fills it in (0).</summary>
    public ulong? PrevLogNumber { get; set; }

    /// <summary>The next file number to allocate. <see cref="VersionSet"/> fills it in.</summary>
    public ulong? NextFileNumber { get; set; }

    /// <summary>The largest column family id ever used.</summary>
    public uint? MaxColumnFamily { get; set; }

    /// <summary>Logs below this number may be deleted (database-wide).</summary>
    public ulong? MinLogNumberToKeep { get; set; }

    /// <summary>The last sequence number used. <see cref="VersionSet"/> makes it non-decreasing.</summary>
    public ulong? LastSequence { get; set; }

    /// <summary>Round-robin compaction cursors: per level, the smallest internal key not yet compacted.</summary>
    public List<(int Level, byte[] Key)> CompactCursors { get; } = [];

    /// <summary>Files leaving the version, as (level, file number), kept sorted (RocksDB writes them in that order).</summary>
    public SortedSet<(int Level, ulong FileNumber)> DeletedFiles { get; } = [];

    /// <summary>Files entering the version, in the order given.</summary>
    public List<(int Level, FileMetadata File)> NewFiles { get; } = [];

    /// <summary>BlobDB blob file additions, as their encoded bytes (this engine does not read blob files).</summary>
    public List<byte[]> BlobFileAdditions { get; } = [];

    /// <summary>BlobDB garbage records, as their encoded bytes.</summary>
    public List<byte[]> BlobFileGarbages { get; } = [];

    /// <summary>Write-ahead logs created or synced.</summary>
    public List<WalAddition> WalAdditions { get; } = [];

    /// <summary>Every tracked write-ahead log below this number is deleted; null when none.</summary>
    public ulong? WalDeletionBefore { get; set; }

    /// <summary>The column family the edit applies to: 0 (default) unless set.</summary>
    public uint ColumnFamily { get; set; }

    /// <summary>When set, the edit creates column family <see cref="ColumnFamily"/> with this name.</summary>
    public string? ColumnFamilyAdd { get; set; }

    /// <summary>Whether the edit drops column family <see cref="ColumnFamily"/>.</summary>
    public bool IsColumnFamilyDrop { get; set; }

    /// <summary>When set, the edit belongs to an atomic group and this many of the group's edits follow it.</summary>
    public uint? RemainingInAtomicGroup { get; set; }

    /// <summary>The full-history timestamp low bound (user-defined timestamps); null when absent.</summary>
    public byte[]? FullHistoryTsLow { get; set; }

    /// <summary>Whether user-defined timestamps are persisted; written with <see cref="Comparator"/>.</summary>
    public bool? PersistUserDefinedTimestamps { get; set; }

    /// <summary>A resumable compaction's progress, as its encoded bytes; null when absent.</summary>
    public byte[]? SubcompactionProgress { get; set; }

    /// <summary>The MANIFEST's size right after its snapshot was written.</summary>
    public ulong? LastCompactedManifestFileSize { get; set; }

    /// <summary>True for an edit that creates or drops a column family.</summary>
    public bool IsColumnFamilyManipulation => ColumnFamilyAdd is not null || IsColumnFamilyDrop;

    /// <summary>True when the edit belongs to an atomic group.</summary>
    public bool IsInAtomicGroup => RemainingInAtomicGroup.HasValue;

    /// <summary>Adds a file to <paramref name="level"/>.</summary>
    public void AddFile(int level, FileMetadata file)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentNullException.ThrowIfNull(file);
        NewFiles.Add((level, file));
    }

    /// <summary>Removes file <paramref name="fileNumber"/> from <paramref name="level"/>.</summary>
    public void DeleteFile(int level, ulong fileNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        DeletedFiles.Add((level, fileNumber));
    }

    /// <summary>Encodes the edit as one MANIFEST record, in RocksDB's exact encoding.</summary>
    /// <exception cref="InvalidOperationException">A new file has no epoch number or an invalid key (RocksDB refuses to encode it too).</exception>
    public byte[] Encode()
    {
        using var buffer = new ByteBuffer();
        Encode(buffer);
        return buffer.ToArray();
    }

    /// <summary>Appends the encoded edit to <paramref name="output"/>.</summary>
    /// <exception cref="InvalidOperationException">A new file has no epoch number or an invalid key.</exception>
    public void Encode(ByteBuffer output)
    {
        if (DbId is not null)
        {
            Tag(output, ManifestTag.DbId);
            output.AppendLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(DbId));
        }

        if (Comparator is not null)
        {
            Tag(output, ManifestTag.Comparator);
            output.AppendLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(Comparator));
        }

        Varint64(output, ManifestTag.LogNumber, LogNumber);
        Varint64(output, ManifestTag.PrevLogNumber, PrevLogNumber);
        Varint64(output, ManifestTag.NextFileNumber, NextFileNumber);
        if (MaxColumnFamily is uint max)
        {
            Tag(output, ManifestTag.MaxColumnFamily);
            output.AppendVarint32(max);
        }

        Varint64(output, ManifestTag.MinLogNumberToKeep, MinLogNumberToKeep);
        Varint64(output, ManifestTag.LastSequence, LastSequence);
        foreach ((int level, byte[] key) in CompactCursors)
        {
            Tag(output, ManifestTag.CompactCursor);
            output.AppendVarint32((uint)level);
            output.AppendLengthPrefixed(key);
        }

        foreach ((int level, ulong number) in DeletedFiles)
        {
            Tag(output, ManifestTag.DeletedFile);
            output.AppendVarint32((uint)level);
            output.AppendVarint64(number);
        }

        bool minLogWritten = false;
        foreach ((int level, FileMetadata file) in NewFiles)
        {
            EncodeNewFile4(output, level, file, ref minLogWritten);
        }

        foreach (byte[] addition in BlobFileAdditions)
        {
            Tag(output, ManifestTag.BlobFileAddition);
            output.Append(addition);
        }

        foreach (byte[] garbage in BlobFileGarbages)
        {
            Tag(output, ManifestTag.BlobFileGarbage);
            output.Append(garbage);
        }

        foreach (WalAddition wal in WalAdditions)
        {
            Tag(output, ManifestTag.WalAddition2);
            using var field = new ByteBuffer(32);
            field.AppendVarint64(wal.LogNumber);
            if (wal.SyncedSize is ulong synced)
            {
                field.AppendVarint32(WalAdditionSyncedSizeTag);
                field.AppendVarint64(synced);
            }

            field.AppendVarint32(WalAdditionTerminateTag);
            output.AppendLengthPrefixed(field.WrittenSpan);
        }

        if (WalDeletionBefore is ulong deletion and not 0)
        {
            Tag(output, ManifestTag.WalDeletion2);
            Span<byte> field = stackalloc byte[Coding.MaxVarint64Length];
            output.AppendLengthPrefixed(field[..Coding.WriteVarint64(field, deletion)]);
        }

        if (ColumnFamily != 0)
        {
            Tag(output, ManifestTag.ColumnFamily);
            output.AppendVarint32(ColumnFamily);
        }

        if (ColumnFamilyAdd is not null)
        {
            Tag(output, ManifestTag.ColumnFamilyAdd);
            output.AppendLengthPrefixed(System.Text.Encoding.UTF8.GetBytes(ColumnFamilyAdd));
        }

        if (IsColumnFamilyDrop)
        {
            Tag(output, ManifestTag.ColumnFamilyDrop);
        }

        if (RemainingInAtomicGroup is uint remaining)
        {
            Tag(output, ManifestTag.InAtomicGroup);
            output.AppendVarint32(remaining);
        }

        if (FullHistoryTsLow is not null)
        {
            Tag(output, ManifestTag.FullHistoryTsLow);
            output.AppendLengthPrefixed(FullHistoryTsLow);
        }

        if (PersistUserDefinedTimestamps is bool persist)
        {
            Tag(output, ManifestTag.PersistUserDefinedTimestamps);
            output.AppendLengthPrefixed([persist ? (byte)1 : (byte)0]);
        }

        if (SubcompactionProgress is not null)
        {
            Tag(output, ManifestTag.SubcompactionProgress);
            output.AppendLengthPrefixed(SubcompactionProgress);
        }

        if (LastCompactedManifestFileSize is ulong size)
        {
            Tag(output, ManifestTag.LastCompactedManifestFileSize);
            Span<byte> field = stackalloc byte[Coding.MaxVarint64Length];
            output.AppendLengthPrefixed(field[..Coding.WriteVarint64(field, size)]);
        }
    }

    private void EncodeNewFile4(ByteBuffer output, int level, FileMetadata f, ref bool minLogWritten)
    {
        if (f.Smallest.Length < InternalKey.TrailerSize || f.Largest.Length < InternalKey.TrailerSize)
        {
            throw new InvalidOperationException($"File {f.FileNumber} has an invalid smallest or largest key.");
        }

        if (f.EpochNumber == 0)
        {
            throw new InvalidOperationException($"File {f.FileNumber} has no epoch number; RocksDB refuses to encode such a file too.");
        }

        Tag(output, ManifestTag.NewFile4);
        output.AppendVarint32((uint)level);
        output.AppendVarint64(f.FileNumber);
        output.AppendVarint64(f.FileSize);
        output.AppendLengthPrefixed(f.Smallest);
        output.AppendLengthPrefixed(f.Largest);
        output.AppendVarint64(f.SmallestSequence);
        output.AppendVarint64(f.LargestSequence);

        Span<byte> scratch = stackalloc byte[Coding.MaxVarint64Length];
        CustomVarint(output, NewFileCustomTag.OldestAncesterTime, f.OldestAncesterTime, scratch);
        CustomVarint(output, NewFileCustomTag.FileCreationTime, f.FileCreationTime, scratch);
        CustomVarint(output, NewFileCustomTag.EpochNumber, f.EpochNumber, scratch);
        if (f.FileChecksumFunctionName != FileMetadata.UnknownChecksumFunction)
        {
            Custom(output, NewFileCustomTag.FileChecksum, f.FileChecksum);
            Custom(output, NewFileCustomTag.FileChecksumFuncName, System.Text.Encoding.UTF8.GetBytes(f.FileChecksumFunctionName));
        }

        if (f.PathId != 0)
        {
            Custom(output, NewFileCustomTag.PathId, [(byte)f.PathId]);
        }

        if (f.Temperature != 0)
        {
            Custom(output, NewFileCustomTag.Temperature, [f.Temperature]);
        }

        if (f.MarkedForCompaction)
        {
            Custom(output, NewFileCustomTag.NeedCompaction, [1]);
        }

        if (MinLogNumberToKeep is ulong minLog && !minLogWritten)
        {
            Span<byte> fixed64 = stackalloc byte[8];
            Coding.WriteFixed64(fixed64, minLog);
            Custom(output, NewFileCustomTag.MinLogNumberToKeepHack, fixed64);
            minLogWritten = true;
        }

        if (f.OldestBlobFileNumber != 0)
        {
            CustomVarint(output, NewFileCustomTag.OldestBlobFileNumber, f.OldestBlobFileNumber, scratch);
        }

        if (f.UniqueId is { } id && id.AsSpan().ContainsAnyExcept((byte)0))
        {
            Custom(output, NewFileCustomTag.UniqueId, id);
        }

        if (f.CompensatedRangeDeletionSize != 0)
        {
            CustomVarint(output, NewFileCustomTag.CompensatedRangeDeletionSize, f.CompensatedRangeDeletionSize, scratch);
        }

        if (f.TailSize != 0)
        {
            CustomVarint(output, NewFileCustomTag.TailSize, f.TailSize, scratch);
        }

        if (!f.UserDefinedTimestampsPersisted)
        {
            Custom(output, NewFileCustomTag.UserDefinedTimestampsPersisted, [0]);
        }

        if (f.MinTimestamp.Length > 0)
        {
            Custom(output, NewFileCustomTag.MinTimestamp, f.MinTimestamp);
        }

        if (f.MaxTimestamp.Length > 0)
        {
            Custom(output, NewFileCustomTag.MaxTimestamp, f.MaxTimestamp);
        }

        if (f.FileOpenMetadata.Length > 0)
        {
            Custom(output, NewFileCustomTag.FileOpenMetadata, f.FileOpenMetadata);
        }

        output.AppendVarint32((uint)NewFileCustomTag.Terminate);
    }

    private const uint WalAdditionTerminateTag = 1;
    private const uint WalAdditionSyncedSizeTag = 2;

    private static void Tag(ByteBuffer output, ManifestTag tag) => output.AppendVarint32((uint)tag);

    private static void Varint64(ByteBuffer output, ManifestTag tag, ulong? value)
    {
        if (value is ulong v)
        {
            Tag(output, tag);
            output.AppendVarint64(v);
        }
    }

    private static void Custom(ByteBuffer output, NewFileCustomTag tag, ReadOnlySpan<byte> value)
    {
        output.AppendVarint32((uint)tag);
        output.AppendLengthPrefixed(value);
    }

    private static void CustomVarint(ByteBuffer output, NewFileCustomTag tag, ulong value, Span<byte> scratch) =>
        Custom(output, tag, scratch[..Coding.WriteVarint64(scratch, value)]);
}
