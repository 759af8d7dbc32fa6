namespace Lsm.Engine;

/// <summary>Options of a write.</summary>
public sealed record WriteOptions
{
    /// <summary>Shared default options: write-ahead logged, not synced.</summary>
    public static WriteOptions Default { get; } = new();

    /// <summary>
    /// Sync the write-ahead log to stable storage before the write returns: the write then survives a crash
    /// of the machine, not only of the process. Costs one fsync per write group. Default: false.
    /// </summary>
    public bool Sync { get; init; }

    /// <summary>
    /// Skip the write-ahead log: the write lives only in the memtable until it is flushed, and is lost in a
    /// crash before that. Cannot be combined with <see cref="Sync"/>. Default: false.
    /// </summary>
    public bool DisableWal { get; init; }
}
