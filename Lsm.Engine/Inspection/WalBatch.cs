namespace Lsm.Engine;

/// <summary>A write batch as stored in a write-ahead log record.</summary>
/// <param name="Sequence">The sequence number of the batch's first counted operation.</param>
/// <param name="Count">The number of counted operations, as stored in the batch header (and checked).</param>
/// <param name="Operations">Every record of the batch in order, counted or not.</param>
public sealed record WalBatch(ulong Sequence, uint Count, IReadOnlyList<WalOperation> Operations);

/// <summary>One record of a write batch.</summary>
/// <param name="Kind">The operation.</param>
/// <param name="Tag">The record's tag byte as stored (RocksDB's value type; column-family variants included).</param>
/// <param name="ColumnFamilyId">The column family (0, the default family, for tags without one).</param>
/// <param name="Key">
/// The key; for <see cref="WalOperationKind.DeleteRange"/> the range's first key; for transaction
/// markers the transaction id; empty for <see cref="WalOperationKind.LogData"/> and <see cref="WalOperationKind.Noop"/>.
/// </param>
/// <param name="Value">
/// The value or merge operand; for <see cref="WalOperationKind.DeleteRange"/> the key after the range;
/// for <see cref="WalOperationKind.LogData"/> the blob; for a commit with timestamp the timestamp; otherwise empty.
/// </param>
/// <param name="Sequence">The sequence number the operation takes, or null for records that take none (log data, no-ops, transaction markers).</param>
public sealed record WalOperation(
    WalOperationKind Kind,
    byte Tag,
    uint ColumnFamilyId,
    ReadOnlyMemory<byte> Key,
    ReadOnlyMemory<byte> Value,
    ulong? Sequence);

/// <summary>The operation of a write batch record.</summary>
public enum WalOperationKind
{
    /// <summary>Put a key (tags 0x1, 0x5).</summary>
    Put,

    /// <summary>Delete a key (tags 0x0, 0x4).</summary>
    Delete,

    /// <summary>Single-delete a key (tags 0x7, 0x8).</summary>
    SingleDelete,

    /// <summary>Add a merge operand (tags 0x2, 0x6).</summary>
    Merge,

    /// <summary>Delete a range of keys (tags 0xF, 0xE).</summary>
    DeleteRange,

    /// <summary>BlobDB: put a reference to a blob file (tags 0x11, 0x10); not applied by this engine.</summary>
    PutBlobIndex,

    /// <summary>Put a wide-column entity (tags 0x16, 0x17); not applied by this engine.</summary>
    PutEntity,

    /// <summary>Put a value with its write time (tags 0x18, 0x19); not applied by this engine.</summary>
    TimedPut,

    /// <summary>An opaque blob for log readers (tag 0x3); changes nothing.</summary>
    LogData,

    /// <summary>No operation (tag 0xD).</summary>
    Noop,

    /// <summary>Begin of a prepared transaction (tags 0x9, 0x12, 0x13); not replayed by this engine.</summary>
    BeginPrepare,

    /// <summary>End of a prepared transaction (tag 0xA).</summary>
    EndPrepare,

    /// <summary>Commit of a prepared transaction (tags 0xB, 0x15).</summary>
    Commit,

    /// <summary>Rollback of a prepared transaction (tag 0xC).</summary>
    Rollback,
}
