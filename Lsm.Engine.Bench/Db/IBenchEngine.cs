namespace Lsm.Engine.Bench.Db;

/// <summary>
/// One key-value engine as the db benchmarks drive it: a database in one directory that can be created
/// afresh, flushed and reopened, and per-thread sessions that do the operations.
/// </summary>
internal interface IBenchEngine : IDisposable
{
    /// <summary>Short name: <c>lsm</c> or <c>rocksdb</c>.</summary>
    string Name { get; }

    /// <summary>Whether a database is open.</summary>
    bool IsOpen { get; }

    /// <summary>Closes any open database, deletes its directory and creates an empty database.</summary>
    void OpenFresh();

    /// <summary>Opens the existing database (creating it if missing) when none is open.</summary>
    void EnsureOpen();

    /// <summary>Flushes every memtable to tables, closes the database and opens it again, so reads come from tables only.</summary>
    void Reopen();

    /// <summary>Waits until no flush or compaction is pending or running, up to <paramref name="timeout"/>; false on timeout.</summary>
    bool WaitForBackgroundWork(TimeSpan timeout);

    /// <summary>The cumulative counters behind stall time and write, space and read amplification.</summary>
    EngineCounters Counters();

    /// <summary>Tables and memtables as the engine's properties report them.</summary>
    EngineState State();

    /// <summary>A session for one thread; <paramref name="sync"/> makes its writes sync the log.</summary>
    IBenchSession NewSession(bool sync);
}

/// <summary>
/// One thread's handle on an engine: reused write batch, read options and at most one open cursor.
/// None of its operations allocate in the benchmark harness; what they allocate is the engine's.
/// </summary>
internal interface IBenchSession : IDisposable
{
    /// <summary>Writes one key (a one-entry batch, or the engine's Put, as <see cref="DbBenchOptions.WriteApi"/> says).</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Looks <paramref name="key"/> up, copying its value into <paramref name="value"/> when it fits.</summary>
    bool Get(ReadOnlySpan<byte> key, Span<byte> value, out int valueLength);

    /// <summary>Creates a cursor and positions it at <paramref name="start"/> (the first key when empty).</summary>
    void CursorSeek(ReadOnlySpan<byte> start);

    /// <summary>Whether the cursor is at an entry.</summary>
    bool CursorValid { get; }

    /// <summary>The cursor's key.</summary>
    ReadOnlySpan<byte> CursorKey { get; }

    /// <summary>The cursor's value.</summary>
    ReadOnlySpan<byte> CursorValue { get; }

    /// <summary>Moves the cursor to the next entry.</summary>
    void CursorNext();

    /// <summary>Disposes the cursor.</summary>
    void CursorClose();
}

/// <summary>The shape of a database at one moment.</summary>
/// <param name="Level0Files">Tables in level 0.</param>
/// <param name="TotalFiles">Tables in every level.</param>
/// <param name="MemtableBytes">Bytes in the active and immutable memtables.</param>
/// <param name="TableBytes">Bytes of live tables.</param>
internal readonly record struct EngineState(int Level0Files, int TotalFiles, long MemtableBytes, long TableBytes)
{
    public override string ToString() =>
        FormattableString.Invariant($"L0 {Level0Files}, files {TotalFiles}, mem {MemtableBytes / 1048576.0:0.0} MiB, sst {TableBytes / 1048576.0:0.0} MiB");
}
