using Lsm.Engine.Wal;

namespace Lsm.Engine.Db;

/// <summary>
/// A write-ahead log closed at a memtable switch whose tail may not be synced yet: it stays open so that the first
/// synced write after the switch, or the flush of a memtable it holds, can sync it (RocksDB syncs closed logs then
/// too, never on the writer's switch itself).
/// </summary>
/// <remarks>Fields are guarded by the database mutex; the log itself is synced only by the thread that set <see cref="Syncing"/>.</remarks>
internal sealed class ClosedLog(ulong number, LogWriter log)
{
    /// <summary>The log's file number.</summary>
    public ulong Number { get; } = number;

    /// <summary>The closed log, flushed to the operating system at the switch.</summary>
    public LogWriter Log { get; } = log;

    /// <summary>A thread is syncing the log outside the mutex: only that thread may dispose it.</summary>
    public bool Syncing { get; set; }
}
