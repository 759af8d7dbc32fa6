namespace Lsm.Engine.Db;

/// <summary>How a column family wants writes to proceed.</summary>
internal enum WriteStallCondition
{
    Normal,

    /// <summary>Writes go on at the controller's delayed write rate.</summary>
    Delayed,

    /// <summary>Writes wait until the cause clears.</summary>
    Stopped,
}

/// <summary>What a column family's stall comes from (RocksDB's WriteStallCause).</summary>
internal enum WriteStallCause
{
    None,

    /// <summary>Too many memtables waiting to be flushed.</summary>
    MemtableLimit,

    /// <summary>Too many level-0 files waiting to be compacted.</summary>
    L0FileCountLimit,

    /// <summary>Too many bytes waiting to be compacted (the pickers' estimate).</summary>
    PendingCompactionBytes,

    /// <summary>
    /// The memtables of the databases sharing a <see cref="Lsm.Engine.WriteBufferManager"/> with stalls allowed hold its
    /// whole budget (RocksDB's write_buffer_manager_limit_stops): database-wide, never a family's condition.
    /// </summary>
    WriteBufferManager,
}

/// <summary>The thresholds of one column family that decide its stall condition; a limit of 0 is off.</summary>
/// <param name="MaxWriteBufferNumber">Memtables (active included) a family may hold.</param>
/// <param name="Level0SlowdownWritesTrigger">Level-0 files at which writes slow down; negative: never.</param>
/// <param name="Level0StopWritesTrigger">Level-0 files at which writes stop.</param>
/// <param name="SoftPendingCompactionBytesLimit">Pending compaction bytes at which writes slow down; 0: never.</param>
/// <param name="HardPendingCompactionBytesLimit">Pending compaction bytes at which writes stop; 0: never.</param>
/// <param name="AutoCompactionsDisabled">With automatic compactions off, only the memtable limit applies.</param>
internal readonly record struct WriteStallLimits(
    int MaxWriteBufferNumber,
    int Level0SlowdownWritesTrigger,
    int Level0StopWritesTrigger,
    ulong SoftPendingCompactionBytesLimit,
    ulong HardPendingCompactionBytesLimit,
    bool AutoCompactionsDisabled);

/// <summary>
/// Decides a column family's write stall from its shape, in RocksDB's order of precedence
/// (ColumnFamilyData::GetWriteStallConditionAndCause): every stop condition before any delay.
/// </summary>
internal static class WriteStall
{
    /// <summary>The condition and its cause for a family with these counts.</summary>
    /// <param name="unflushedMemtables">Immutable memtables not yet flushed.</param>
    /// <param name="l0Files">Level-0 files.</param>
    /// <param name="pendingCompactionBytes">The estimate of bytes compaction must rewrite.</param>
    /// <param name="limits">The family's thresholds.</param>
    public static (WriteStallCondition Condition, WriteStallCause Cause) Evaluate(
        int unflushedMemtables, int l0Files, ulong pendingCompactionBytes, in WriteStallLimits limits)
    {
        bool compacting = !limits.AutoCompactionsDisabled;
        if (unflushedMemtables >= limits.MaxWriteBufferNumber)
        {
            return (WriteStallCondition.Stopped, WriteStallCause.MemtableLimit);
        }

        if (compacting && l0Files >= limits.Level0StopWritesTrigger)
        {
            return (WriteStallCondition.Stopped, WriteStallCause.L0FileCountLimit);
        }

        if (compacting && limits.HardPendingCompactionBytesLimit > 0 && pendingCompactionBytes >= limits.HardPendingCompactionBytesLimit)
        {
            return (WriteStallCondition.Stopped, WriteStallCause.PendingCompactionBytes);
        }

        // Only with more than three memtables: with two or three, one waiting is the normal state of a flush.
        if (limits.MaxWriteBufferNumber > 3 && unflushedMemtables >= limits.MaxWriteBufferNumber - 1 && unflushedMemtables >= 2)
        {
            return (WriteStallCondition.Delayed, WriteStallCause.MemtableLimit);
        }

        if (compacting && limits.Level0SlowdownWritesTrigger >= 0 && l0Files >= limits.Level0SlowdownWritesTrigger)
        {
            return (WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit);
        }

        if (compacting && limits.SoftPendingCompactionBytesLimit > 0 && pendingCompactionBytes >= limits.SoftPendingCompactionBytesLimit)
        {
            return (WriteStallCondition.Delayed, WriteStallCause.PendingCompactionBytes);
        }

        return (WriteStallCondition.Normal, WriteStallCause.None);
    }

    /// <summary>
    /// Whether a delayed family is close to stopping, which slows the rate down harder: level 0 within two files
    /// of the stop trigger, or pending bytes past three quarters of the way from the soft to the hard limit.
    /// </summary>
    public static bool NearStop(WriteStallCause cause, int l0Files, ulong pendingCompactionBytes, in WriteStallLimits limits) => cause switch
    {
        WriteStallCause.L0FileCountLimit => l0Files >= limits.Level0StopWritesTrigger - 2,
        WriteStallCause.PendingCompactionBytes => limits.HardPendingCompactionBytesLimit > limits.SoftPendingCompactionBytesLimit
            && pendingCompactionBytes - limits.SoftPendingCompactionBytesLimit
                > 3 * (limits.HardPendingCompactionBytesLimit - limits.SoftPendingCompactionBytesLimit) / 4,
        _ => false,
    };
}
