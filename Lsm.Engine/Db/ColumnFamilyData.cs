using Lsm.Engine.Compaction.Pickers;
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
/// into <see cref="Mem"/> outside it (the memtable allows one writer alongside lock-free readers), and that reads
/// (point lookups and iterators) take the <see cref="SuperVersion"/> without it.
/// </remarks>
internal sealed class ColumnFamilyData
{
    private MemTable _mem;
    private SuperVersion? _superVersion;

    public ColumnFamilyData(ColumnFamilyHandle handle, ColumnFamilyOptions options, ColumnFamilyState state, MemTable mem)
    {
        Handle = handle;
        Options = options;
        State = state;
        _mem = mem;
        handle.Data = this;
        state.CurrentChanged = InstallSuperVersion;
        Picker = CompactionPickerFactory.Create(options);
        Limits = new WriteStallLimits(
            options.MaxWriteBufferNumber,
            options.Level0SlowdownWritesTrigger,
            options.Level0StopWritesTrigger,
            (ulong)Math.Max(0, options.SoftPendingCompactionBytesLimit),
            (ulong)Math.Max(0, options.HardPendingCompactionBytesLimit),
            options.DisableAutoCompactions);
        InstallSuperVersion();
    }

    public ColumnFamilyHandle Handle { get; }

    public ColumnFamilyOptions Options { get; }

    public ColumnFamilyState State { get; }

    public uint Id => Handle.Id;

    /// <summary>The active memtable. Setting it installs a new super version.</summary>
    public MemTable Mem
    {
        get => _mem;
        set
        {
            _mem = value;
            InstallSuperVersion();
        }
    }

    /// <summary>Immutable memtables, oldest first; flushed in this order.</summary>
    public List<ImmutableMemTable> Imm { get; } = [];

    /// <summary>Bytes flushed to level 0 by this family (for statistics).</summary>
    public long BytesFlushed { get; set; }

    public int NumFlushes { get; set; }

    /// <summary>Decides what the family compacts next (its compaction style).</summary>
    public ICompactionPicker Picker { get; }

    /// <summary>The family's thresholds for slowing down and stopping writes.</summary>
    public WriteStallLimits Limits { get; }

    /// <summary>The compactions of this family now running (automatic and manual): their inputs are busy.</summary>
    public List<CompactionPlan> RunningCompactions { get; } = [];

    /// <summary>
    /// A reference to the family's current <see cref="SuperVersion"/>, taken without the database mutex; null in the
    /// rare race with a change that replaced it (or after the family was dropped or the database closed): then
    /// <see cref="AcquireSuperVersionLocked"/>.
    /// </summary>
    public SuperVersion? TryAcquireSuperVersion()
    {
        SuperVersion? current = Volatile.Read(ref _superVersion);
        return current is not null && current.TryRef() ? current : null;
    }

    /// <summary>A reference to the current super version, installed now if there is none. REQUIRES: the database mutex.</summary>
    public SuperVersion AcquireSuperVersionLocked()
    {
        SuperVersion? current = TryAcquireSuperVersion();
        if (current is null)
        {
            InstallSuperVersion();
            current = _superVersion!;
            current.TryRef();
        }

        return current;
    }

    /// <summary>
    /// Replaces the super version by one of the memtables and version as they now are (RocksDB's
    /// <c>InstallSuperVersion</c>): lookups from now on see them, without building anything themselves. REQUIRES: the
    /// database mutex, and a call after every change of <see cref="Mem"/>, <see cref="Imm"/> or the current version
    /// (the <see cref="Mem"/> setter and the version set, through <see cref="ColumnFamilyState.CurrentChanged"/>, make it).
    /// </summary>
    public void InstallSuperVersion() => Interlocked.Exchange(ref _superVersion, new SuperVersion(this))?.Unref();

    /// <summary>Drops the family's super version for good (the family is dropped or the database closing). REQUIRES: the database mutex.</summary>
    public void DropSuperVersion() => Interlocked.Exchange(ref _superVersion, null)?.Unref();

    /// <summary>Compaction statistics by output level (index = level).</summary>
    public LevelCompactionStats[] CompactionStats { get; } = CreateStats();

    private static LevelCompactionStats[] CreateStats()
    {
        var stats = new LevelCompactionStats[Versions.VersionSetOptions.DefaultNumLevels];
        for (int i = 0; i < stats.Length; i++)
        {
            stats[i] = new LevelCompactionStats();
        }

        return stats;
    }
}

/// <summary>What compactions into one level have done so far (RocksDB's per-level compaction stats).</summary>
internal sealed class LevelCompactionStats
{
    public int Compactions { get; set; }

    public int TrivialMoves { get; set; }

    /// <summary>Bytes read from the level above (the inputs not on this level).</summary>
    public long BytesReadFromAbove { get; set; }

    /// <summary>Bytes read from this level's own files.</summary>
    public long BytesReadFromLevel { get; set; }

    public long BytesWritten { get; set; }

    /// <summary>Bytes of the files trivial moves brought into this level without rewriting them.</summary>
    public long BytesMoved { get; set; }

    public long RecordsIn { get; set; }

    public long RecordsDropped { get; set; }

    public TimeSpan Time { get; set; }
}
