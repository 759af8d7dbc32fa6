namespace Lsm.Engine.Versions;

/// <summary>
/// The field tags of a version edit, the record a MANIFEST is made of: RocksDB's <c>Tag</c> enum.
/// Written to disk: never renumber. See format-spec.md, section 14.2.
/// </summary>
/// <remarks>
/// Each field of an encoded edit is a varint32 tag followed by the field's value. Tags from
/// <see cref="SafeIgnoreMask"/> up are forward compatible: their value is length-prefixed, so a reader that
/// does not know one skips it. An unknown tag below the mask cannot be skipped (its value's length is not
/// known): the edit is refused.
/// </remarks>
internal enum ManifestTag : uint
{
    /// <summary>The user comparator's name (length-prefixed). Written with <see cref="PersistUserDefinedTimestamps"/>.</summary>
    Comparator = 1,

    /// <summary>varint64: write-ahead logs numbered below this hold nothing the column family needs.</summary>
    LogNumber = 2,

    /// <summary>varint64: the next file number to allocate.</summary>
    NextFileNumber = 3,

    /// <summary>varint64: the last sequence number used.</summary>
    LastSequence = 4,

    /// <summary>varint32 level, length-prefixed internal key: where round-robin compaction resumes.</summary>
    CompactCursor = 5,

    /// <summary>varint32 level, varint64 file number: a table file leaves the version.</summary>
    DeletedFile = 6,

    /// <summary>LevelDB's file addition (level, number, size, smallest, largest). Read only.</summary>
    NewFile = 7,

    // 8 was LevelDB's large value reference: never reuse.

    /// <summary>varint64: the log before <see cref="LogNumber"/> (legacy 2-phase bookkeeping); RocksDB writes 0.</summary>
    PrevLogNumber = 9,

    /// <summary>varint64: logs numbered below this may be deleted (several column families or 2PC).</summary>
    MinLogNumberToKeep = 10,

    /// <summary><see cref="NewFile"/> plus smallest and largest sequence numbers. Read only.</summary>
    NewFile2 = 100,

    /// <summary><see cref="NewFile2"/> plus a path id. Read only.</summary>
    NewFile3 = 102,

    /// <summary>The current file addition: fixed fields, then tagged custom fields (<see cref="NewFileCustomTag"/>).</summary>
    NewFile4 = 103,

    /// <summary>varint32: the column family the edit applies to; absent means 0 (default).</summary>
    ColumnFamily = 200,

    /// <summary>Length-prefixed name: the edit creates the column family <see cref="ColumnFamily"/>.</summary>
    ColumnFamilyAdd = 201,

    /// <summary>No value: the edit drops the column family <see cref="ColumnFamily"/>.</summary>
    ColumnFamilyDrop = 202,

    /// <summary>varint32: the largest column family id ever used (ids are never reused).</summary>
    MaxColumnFamily = 203,

    /// <summary>varint32: the edit belongs to an atomic group; the value counts the group's edits still to come.</summary>
    InAtomicGroup = 300,

    /// <summary>A blob file addition (BlobDB), not length-prefixed. Kept as opaque bytes.</summary>
    BlobFileAddition = 400,

    /// <summary>Garbage accounted to a blob file (BlobDB), not length-prefixed. Kept as opaque bytes.</summary>
    BlobFileGarbage = 401,

    /// <summary>The bit that marks a tag as safe to ignore: its value is length-prefixed.</summary>
    SafeIgnoreMask = 1 << 13,

    /// <summary>Length-prefixed: the database's identity, as in the IDENTITY file.</summary>
    DbId = SafeIgnoreMask + 1,

    /// <summary>An older tag for <see cref="BlobFileAddition"/> (not length-prefixed despite its number). Read only.</summary>
    BlobFileAdditionDeprecated = SafeIgnoreMask + 2,

    /// <summary>An older tag for <see cref="BlobFileGarbage"/> (not length-prefixed despite its number). Read only.</summary>
    BlobFileGarbageDeprecated = SafeIgnoreMask + 3,

    /// <summary>An older tag for <see cref="WalAddition2"/> (not length-prefixed despite its number). Read only.</summary>
    WalAddition = SafeIgnoreMask + 4,

    /// <summary>An older tag for <see cref="WalDeletion2"/> (not length-prefixed despite its number). Read only.</summary>
    WalDeletion = SafeIgnoreMask + 5,

    /// <summary>Length-prefixed: the column family's full-history timestamp low bound (user-defined timestamps).</summary>
    FullHistoryTsLow = SafeIgnoreMask + 6,

    /// <summary>Length-prefixed WAL addition: varint64 log number, tagged fields (synced size), terminator.</summary>
    WalAddition2 = SafeIgnoreMask + 7,

    /// <summary>Length-prefixed WAL deletion: varint64 log number; every tracked WAL below it is gone.</summary>
    WalDeletion2 = SafeIgnoreMask + 8,

    /// <summary>Length-prefixed single byte (1 = true): whether user-defined timestamps are persisted.</summary>
    PersistUserDefinedTimestamps = SafeIgnoreMask + 9,

    /// <summary>Length-prefixed: a resumable compaction's progress. Kept as opaque bytes.</summary>
    SubcompactionProgress = SafeIgnoreMask + 10,

    /// <summary>Length-prefixed varint64: the MANIFEST's size right after its snapshot (tunes the rollover size).</summary>
    LastCompactedManifestFileSize = SafeIgnoreMask + 11,
}

/// <summary>
/// The tags of the custom fields of a <see cref="ManifestTag.NewFile4"/> file addition: RocksDB's
/// <c>NewFileCustomTag</c>. Written to disk: never renumber. See format-spec.md, section 14.2.
/// </summary>
/// <remarks>
/// Each custom field is a varint32 tag and a length-prefixed value; <see cref="Terminate"/> ends the list.
/// An unknown tag is skipped unless it has the <see cref="NonSafeIgnoreMask"/> bit, in which case the file
/// cannot be understood and the edit is refused.
/// </remarks>
internal enum NewFileCustomTag : uint
{
    /// <summary>Ends the custom fields (no value follows).</summary>
    Terminate = 1,

    /// <summary>One byte, 1: the file is marked for compaction.</summary>
    NeedCompaction = 2,

    /// <summary>Fixed64: the edit's <see cref="ManifestTag.MinLogNumberToKeep"/>, repeated in its first new file for old readers.</summary>
    MinLogNumberToKeepHack = 3,

    /// <summary>varint64: the oldest blob file the table refers to.</summary>
    OldestBlobFileNumber = 4,

    /// <summary>varint64 Unix seconds: the oldest key time of the data in the file (0 = unknown). RocksDB's spelling.</summary>
    OldestAncesterTime = 5,

    /// <summary>varint64 Unix seconds: when the file was written (0 = unknown).</summary>
    FileCreationTime = 6,

    /// <summary>Bytes: the whole-file checksum.</summary>
    FileChecksum = 7,

    /// <summary>Bytes: the name of the whole-file checksum function.</summary>
    FileChecksumFuncName = 8,

    /// <summary>One byte: the storage temperature (0 = unknown).</summary>
    Temperature = 9,

    /// <summary>Bytes: the smallest user-defined timestamp in the file.</summary>
    MinTimestamp = 10,

    /// <summary>Bytes: the largest user-defined timestamp in the file.</summary>
    MaxTimestamp = 11,

    /// <summary>16 bytes (two fixed64): the table's internal unique id.</summary>
    UniqueId = 12,

    /// <summary>varint64: the flush or ingestion order of the file (L0 orders by it, newest first).</summary>
    EpochNumber = 13,

    /// <summary>varint64: bytes of the next level estimated to be covered by the file's range tombstones.</summary>
    CompensatedRangeDeletionSize = 14,

    /// <summary>varint64: bytes from the end of the data blocks to the end of the file.</summary>
    TailSize = 15,

    /// <summary>One byte, 0: user-defined timestamps were stripped from the file (only written when false).</summary>
    UserDefinedTimestampsPersisted = 16,

    /// <summary>Bytes: file-system metadata that speeds up opening the file.</summary>
    FileOpenMetadata = 17,

    /// <summary>Tags with this bit must be understood: a reader that does not know one refuses the edit.</summary>
    NonSafeIgnoreMask = 1 << 6,

    /// <summary>One byte: which of the database's data paths holds the file (0-3).</summary>
    PathId = NonSafeIgnoreMask + 1,
}
