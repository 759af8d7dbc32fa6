namespace Lsm.Engine.Wal;

/// <summary>
/// Constants of RocksDB's write batch encoding: the payload of every WAL record.
/// </summary>
/// <remarks>
/// <para>Written to disk: never renumber. See format-spec.md, section 14.1 "Write-ahead log", "Write batches".</para>
/// <code>
/// batch  := sequence fixed64 | count fixed32 | record*
/// record := tag u8 [| column family varint32] | fields by tag (each a varint32 length and bytes)
/// </code>
/// <para>
/// <c>sequence</c> is the sequence number of the batch's first counted record; each counted record
/// (put, delete, single delete, range delete, merge, blob index, entity, timed put) takes the next one.
/// <c>count</c> is the number of counted records. The column-family tags carry the family id;
/// the plain tags mean family 0.
/// </para>
/// </remarks>
internal static class WriteBatchFormat
{
    /// <summary>Sequence (8) and count (4).</summary>
    public const int HeaderSize = 12;

    /// <summary>Offset of the little-endian count in the header.</summary>
    public const int CountOffset = 8;

    /// <summary>Whether a record with this tag is counted in the header's count (and takes a sequence number).</summary>
    public static bool IsCounted(WriteBatchTag tag) => tag switch
    {
        WriteBatchTag.Value or WriteBatchTag.ColumnFamilyValue
            or WriteBatchTag.Deletion or WriteBatchTag.ColumnFamilyDeletion
            or WriteBatchTag.SingleDeletion or WriteBatchTag.ColumnFamilySingleDeletion
            or WriteBatchTag.RangeDeletion or WriteBatchTag.ColumnFamilyRangeDeletion
            or WriteBatchTag.Merge or WriteBatchTag.ColumnFamilyMerge
            or WriteBatchTag.BlobIndex or WriteBatchTag.ColumnFamilyBlobIndex
            or WriteBatchTag.WideColumnEntity or WriteBatchTag.ColumnFamilyWideColumnEntity
            or WriteBatchTag.ValuePreferredSeqno or WriteBatchTag.ColumnFamilyValuePreferredSeqno => true,
        _ => false,
    };

    /// <summary>Whether the tag is followed by a varint32 column family id.</summary>
    public static bool HasColumnFamily(WriteBatchTag tag) => tag is WriteBatchTag.ColumnFamilyValue
        or WriteBatchTag.ColumnFamilyDeletion or WriteBatchTag.ColumnFamilySingleDeletion
        or WriteBatchTag.ColumnFamilyRangeDeletion or WriteBatchTag.ColumnFamilyMerge
        or WriteBatchTag.ColumnFamilyBlobIndex or WriteBatchTag.ColumnFamilyWideColumnEntity
        or WriteBatchTag.ColumnFamilyValuePreferredSeqno;

    /// <summary>How many length-prefixed fields follow the tag (and column family), or -1 for an unknown tag.</summary>
    public static int FieldCount(byte tag) => (WriteBatchTag)tag switch
    {
        WriteBatchTag.Noop or WriteBatchTag.BeginPrepareXid
            or WriteBatchTag.BeginPersistedPrepareXid or WriteBatchTag.BeginUnprepareXid => 0,
        WriteBatchTag.Deletion or WriteBatchTag.ColumnFamilyDeletion
            or WriteBatchTag.SingleDeletion or WriteBatchTag.ColumnFamilySingleDeletion
            or WriteBatchTag.LogData or WriteBatchTag.EndPrepareXid
            or WriteBatchTag.CommitXid or WriteBatchTag.RollbackXid => 1,
        WriteBatchTag.Value or WriteBatchTag.ColumnFamilyValue
            or WriteBatchTag.Merge or WriteBatchTag.ColumnFamilyMerge
            or WriteBatchTag.RangeDeletion or WriteBatchTag.ColumnFamilyRangeDeletion
            or WriteBatchTag.BlobIndex or WriteBatchTag.ColumnFamilyBlobIndex
            or WriteBatchTag.WideColumnEntity or WriteBatchTag.ColumnFamilyWideColumnEntity
            or WriteBatchTag.ValuePreferredSeqno or WriteBatchTag.ColumnFamilyValuePreferredSeqno
            or WriteBatchTag.CommitXidAndTimestamp => 2,
        _ => -1,
    };

    /// <summary>The value kind a counted record becomes in the memtable (its tag without the column family).</summary>
    public static ValueKind KindOf(WriteBatchTag tag) => tag switch
    {
        WriteBatchTag.Value or WriteBatchTag.ColumnFamilyValue => ValueKind.Value,
        WriteBatchTag.Deletion or WriteBatchTag.ColumnFamilyDeletion => ValueKind.Deletion,
        WriteBatchTag.SingleDeletion or WriteBatchTag.ColumnFamilySingleDeletion => ValueKind.SingleDeletion,
        WriteBatchTag.RangeDeletion or WriteBatchTag.ColumnFamilyRangeDeletion => ValueKind.RangeDeletion,
        WriteBatchTag.Merge or WriteBatchTag.ColumnFamilyMerge => ValueKind.Merge,
        WriteBatchTag.BlobIndex or WriteBatchTag.ColumnFamilyBlobIndex => ValueKind.BlobIndex,
        WriteBatchTag.WideColumnEntity or WriteBatchTag.ColumnFamilyWideColumnEntity => ValueKind.WideColumnEntity,
        WriteBatchTag.ValuePreferredSeqno or WriteBatchTag.ColumnFamilyValuePreferredSeqno => ValueKind.ValuePreferredSeqno,
        _ => throw new ArgumentOutOfRangeException(nameof(tag), tag, "Not a counted record tag."),
    };
}

/// <summary>
/// The tag byte of a write batch record: RocksDB's <c>ValueType</c> values that may appear in a batch.
/// </summary>
/// <remarks>
/// Written to disk: never renumber. The <c>ColumnFamily*</c> tags are followed by the family id.
/// 0x14 (a deletion with timestamp) is a value type of internal keys only, never a batch tag.
/// </remarks>
internal enum WriteBatchTag : byte
{
    /// <summary>Delete key (family 0).</summary>
    Deletion = 0x0,

    /// <summary>Put key, value (family 0).</summary>
    Value = 0x1,

    /// <summary>Merge key, operand (family 0).</summary>
    Merge = 0x2,

    /// <summary>An opaque blob for the WAL's readers, not applied to any family; not counted.</summary>
    LogData = 0x3,

    /// <summary>Delete in a family.</summary>
    ColumnFamilyDeletion = 0x4,

    /// <summary>Put in a family.</summary>
    ColumnFamilyValue = 0x5,

    /// <summary>Merge in a family.</summary>
    ColumnFamilyMerge = 0x6,

    /// <summary>Single delete (family 0).</summary>
    SingleDeletion = 0x7,

    /// <summary>Single delete in a family.</summary>
    ColumnFamilySingleDeletion = 0x8,

    /// <summary>Two-phase commit: begin of a prepared transaction (write-committed policy); no fields.</summary>
    BeginPrepareXid = 0x9,

    /// <summary>Two-phase commit: end of a prepared transaction; its id.</summary>
    EndPrepareXid = 0xA,

    /// <summary>Two-phase commit: commit of a prepared transaction; its id.</summary>
    CommitXid = 0xB,

    /// <summary>Two-phase commit: rollback of a prepared transaction; its id.</summary>
    RollbackXid = 0xC,

    /// <summary>No operation (marks sub-batch boundaries in transactions); not counted.</summary>
    Noop = 0xD,

    /// <summary>Range delete in a family: begin, end.</summary>
    ColumnFamilyRangeDeletion = 0xE,

    /// <summary>Range delete [begin, end) (family 0).</summary>
    RangeDeletion = 0xF,

    /// <summary>BlobDB: a reference to a value in a blob file, in a family.</summary>
    ColumnFamilyBlobIndex = 0x10,

    /// <summary>BlobDB: a reference to a value in a blob file (family 0).</summary>
    BlobIndex = 0x11,

    /// <summary>Two-phase commit, write-prepared policy: begin of a prepared transaction.</summary>
    BeginPersistedPrepareXid = 0x12,

    /// <summary>Two-phase commit, write-unprepared policy: begin of an unprepared transaction.</summary>
    BeginUnprepareXid = 0x13,

    /// <summary>Two-phase commit: commit with a commit timestamp; fields: commit timestamp, id.</summary>
    CommitXidAndTimestamp = 0x15,

    /// <summary>Put of a wide-column entity (family 0).</summary>
    WideColumnEntity = 0x16,

    /// <summary>Put of a wide-column entity in a family.</summary>
    ColumnFamilyWideColumnEntity = 0x17,

    /// <summary>Timed put: a value packed with its write time (family 0).</summary>
    ValuePreferredSeqno = 0x18,

    /// <summary>Timed put in a family.</summary>
    ColumnFamilyValuePreferredSeqno = 0x19,
}
