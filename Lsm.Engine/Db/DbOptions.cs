namespace Lsm.Engine;

/// <summary>
/// Options of a whole database: how it opens, recovers and runs its background work.
/// </summary>
/// <remarks>Per-keyspace options (write buffers, merge operator, tables) are in <see cref="ColumnFamilyOptions"/>.</remarks>
public sealed record DbOptions
{
    /// <summary>Default for <see cref="MaxBackgroundFlushes"/>: 1, which suits 2 cores.</summary>
    public const int DefaultMaxBackgroundFlushes = 1;

    /// <summary>Default for <see cref="MaxBackgroundCompactions"/>: 1.</summary>
    public const int DefaultMaxBackgroundCompactions = 1;

    /// <summary>Default for <see cref="DelayedWriteRate"/>: 16 MiB/s, as RocksDB.</summary>
    public const long DefaultDelayedWriteRate = 16L << 20;

    /// <summary>
    /// Create the database if the directory holds none. Default: false, as in RocksDB. Ignored by
    /// <see cref="LsmDb.OpenReadOnly"/>, which never creates anything.
    /// </summary>
    public bool CreateIfMissing { get; init; }

    /// <summary>Fail if the directory already holds a database. Default: false.</summary>
    public bool ErrorIfExists { get; init; }

    /// <summary>
    /// Verify every table file named by the MANIFEST when opening (it exists and has its recorded size).
    /// Slower opens, earlier detection. Default: true, as RocksDB's paranoid_checks.
    /// </summary>
    public bool ParanoidChecks { get; init; } = true;

    /// <summary>
    /// What recovery does with a damaged write-ahead log. Default: <see cref="WalRecoveryMode.TolerateCorruptedTailRecords"/>:
    /// a torn last record (a crash mid-write) ends replay; any whole record that fails its checksum fails the open.
    /// </summary>
    public WalRecoveryMode WalRecoveryMode { get; init; } = WalRecoveryMode.TolerateCorruptedTailRecords;

    /// <summary>Create the column families named in <see cref="ColumnFamilies"/> that do not exist yet. Default: false.</summary>
    public bool CreateMissingColumnFamilies { get; init; }

    /// <summary>
    /// Options for column families by name, used when opening or creating them; families not named use
    /// <see cref="DefaultColumnFamilyOptions"/>. Default: empty.
    /// </summary>
    public IReadOnlyDictionary<string, ColumnFamilyOptions> ColumnFamilies { get; init; } = new Dictionary<string, ColumnFamilyOptions>();

    /// <summary>Options for the default column family and any family not in <see cref="ColumnFamilies"/>. Default: defaults.</summary>
    public ColumnFamilyOptions DefaultColumnFamilyOptions { get; init; } = new();

    /// <summary>Dedicated threads that flush memtables to level-0 tables. Default: 1.</summary>
    public int MaxBackgroundFlushes { get; init; } = DefaultMaxBackgroundFlushes;

    /// <summary>
    /// Dedicated threads that run compactions, at a priority below the flush threads so flushes are never starved
    /// (on a large machine the seeds advise 4 background threads, at least 2 of them for flushes). Default: 1, which
    /// suits 2 cores.
    /// </summary>
    public int MaxBackgroundCompactions { get; init; } = DefaultMaxBackgroundCompactions;

    /// <summary>
    /// The pace, in bytes per second, that writes are slowed down to while compaction falls behind (too many level-0
    /// files, or too many pending compaction bytes); the database lowers it further while the debt grows (RocksDB's
    /// <c>delayed_write_rate</c>). Default: 16 MiB/s.
    /// </summary>
    public long DelayedWriteRate { get; init; } = DefaultDelayedWriteRate;

    /// <summary>
    /// The budget the memtables of every column family of this database are charged to, which other databases may
    /// share (RocksDB's <c>write_buffer_manager</c>; Flink shares one per slot): near it the largest memtable is flushed
    /// early, and writes may stall over it (see <see cref="Lsm.Engine.WriteBufferManager"/>). <see cref="MemoryBudget"/>
    /// builds one charged to a shared block cache. When set, <see cref="DbWriteBufferSize"/> is ignored, as in RocksDB.
    /// Default: null.
    /// </summary>
    public WriteBufferManager? WriteBufferManager { get; init; }

    /// <summary>
    /// Shorthand for a budget of this database's own: bytes of memtable memory over all its column families before the
    /// largest memtable is flushed early (RocksDB's <c>db_write_buffer_size</c>, written to the OPTIONS file under that
    /// name). Creates a <see cref="Lsm.Engine.WriteBufferManager"/> of that size, without cost to cache and without stalls,
    /// when <see cref="WriteBufferManager"/> is null. 0: no budget, each family is bounded only by its own
    /// <see cref="ColumnFamilyOptions.WriteBufferSize"/> × <see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/>.
    /// Default: 0, as RocksDB.
    /// </summary>
    public long DbWriteBufferSize { get; init; }

    internal IO.IFileSystem FileSystem { get; init; } = IO.LocalFileSystem.Instance;

    internal ColumnFamilyOptions OptionsFor(string name) =>
        ColumnFamilies.TryGetValue(name, out ColumnFamilyOptions? options) ? options : DefaultColumnFamilyOptions;

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (MaxBackgroundFlushes is < 1 or > 64)
        {
            throw new ArgumentException("MaxBackgroundFlushes must be between 1 and 64.", nameof(MaxBackgroundFlushes));
        }

        if (MaxBackgroundCompactions is < 1 or > 64)
        {
            throw new ArgumentException("MaxBackgroundCompactions must be between 1 and 64.", nameof(MaxBackgroundCompactions));
        }

        if (DelayedWriteRate < 1)
        {
            throw new ArgumentException("DelayedWriteRate must be positive.", nameof(DelayedWriteRate));
        }

        if (DbWriteBufferSize < 0)
        {
            throw new ArgumentException("DbWriteBufferSize must not be negative.", nameof(DbWriteBufferSize));
        }

        if (!Enum.IsDefined(WalRecoveryMode))
        {
            throw new ArgumentException("Unknown WalRecoveryMode.", nameof(WalRecoveryMode));
        }

        DefaultColumnFamilyOptions.Validate();
        foreach (ColumnFamilyOptions options in ColumnFamilies.Values)
        {
            options.Validate();
        }
    }
}
