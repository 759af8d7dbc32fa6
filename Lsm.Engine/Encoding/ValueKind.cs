namespace Lsm.Engine;

/// <summary>
/// What an entry of the tree is: RocksDB's value types, stored in the low byte of every internal key's trailer.
/// </summary>
/// <remarks>Written to disk: never renumber. See format-spec.md, "Internal keys".</remarks>
public enum ValueKind : byte
{
    /// <summary>A point tombstone: the key is deleted as of this sequence number (RocksDB kTypeDeletion).</summary>
    Deletion = 0x0,

    /// <summary>A full value (kTypeValue).</summary>
    Value = 0x1,

    /// <summary>A merge operand, combined with older entries by the merge operator (kTypeMerge).</summary>
    Merge = 0x2,

    /// <summary>A tombstone that cancels exactly one older put (kTypeSingleDeletion).</summary>
    SingleDeletion = 0x7,

    /// <summary>A range tombstone; lives in the range-deletion meta block (kTypeRangeDeletion).</summary>
    RangeDeletion = 0xF,

    /// <summary>A reference into a blob file (kTypeBlobIndex); read but not resolved by this engine.</summary>
    BlobIndex = 0x11,

    /// <summary>A deletion that carries a user-defined timestamp (kTypeDeletionWithTimestamp).</summary>
    DeletionWithTimestamp = 0x14,

    /// <summary>A wide-column entity (kTypeWideColumnEntity).</summary>
    WideColumnEntity = 0x16,

    /// <summary>A value with a preferred sequence number (kTypeValuePreferredSeqno).</summary>
    ValuePreferredSeqno = 0x18,
}
