using Lsm.Engine.Memtable;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Db;

/// <summary>An immutable memtable waiting for its flush, and the log from which the next memtable's data starts.</summary>
internal sealed record ImmutableMemTable(MemTable Mem, ulong NextLogNumber)
{
    /// <summary>True while a flush thread is writing it.</summary>
    public bool FlushInProgress { get; set; }
}

/// <summary>
/// The in-memory side of one column family: its handle and options, its active memtable and the immutable
/// memtables awaiting flush, and its state in the version set.
/// </summary>
/// <remarks>
/// Every field is read and written under the database mutex, except that the write-group leader inserts
/// into <see cref="Mem"/> outside it (the memtable allows one writer alongside lock-free readers).
/// </remarks>
internal sealed class ColumnFamilyData
{
    public ColumnFamilyData(ColumnFamilyHandle handle, ColumnFamilyOptions options, ColumnFamilyState state, MemTable mem)
    {
        Handle = handle;
        Options = options;
        State = state;
        Mem = mem;
    }

    public ColumnFamilyHandle Handle { get; }

    public ColumnFamilyOptions Options { get; }

    public ColumnFamilyState State { get; }

    public uint Id => Handle.Id;

    public MemTable Mem { get; set; }

    /// <summary>Immutable memtables, oldest first; flushed in this order.</summary>
    public List<ImmutableMemTable> Imm { get; } = [];

    /// <summary>Bytes flushed to level 0 by this family (for statistics).</summary>
    public long BytesFlushed { get; set; }

    public int NumFlushes { get; set; }
}
