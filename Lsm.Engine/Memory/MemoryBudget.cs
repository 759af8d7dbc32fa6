namespace Lsm.Engine;

/// <summary>
/// One memory budget for one or several databases, as Flink's managed memory bounds RocksDB: a shared
/// <see cref="Lsm.Engine.BlockCache"/> and a <see cref="Lsm.Engine.WriteBufferManager"/> that charges the memtables to that
/// cache, so that one number bounds cached blocks and memtables together. <see cref="ApplyTo(DbOptions)"/> gives a
/// database's options the cache, the manager and the table options that go with them.
/// </summary>
/// <remarks>
/// <para><b>The formula.</b> Without a shared budget, a database's memory is roughly
/// M_total = M_block_cache + N_cf × M_write_buffer × N_buffers: the block cache, plus, for each of N_cf column families,
/// up to N_buffers (<see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/>) memtables of M_write_buffer
/// (<see cref="ColumnFamilyOptions.WriteBufferSize"/>) bytes. Every new family adds its buffers to the total. With a
/// budget of T bytes (<see cref="MemoryBudgetOptions.TotalBytes"/>) and a write-buffer ratio r
/// (<see cref="MemoryBudgetOptions.WriteBufferRatio"/>), Flink's split (RocksDBMemoryControllerUtils) is taken:</para>
/// <list type="bullet">
/// <item><description>block cache capacity C = (3 − r) × T / 3 (<see cref="BlockCacheCapacityFor"/>);</description></item>
/// <item><description>write buffer manager budget W = 2 × r × T / 3 (<see cref="WriteBufferManagerCapacityFor"/>).</description></item>
/// </list>
/// <para>Why: the manager flushes when mutable memtables pass 7/8 of W, and memtables being flushed come on top, so
/// memtable memory reaches about 1.5 × W = r × T. Memtables are charged to the cache (in 1 MiB steps), which evicts
/// blocks to hold them, so blocks + memtables stay within C as long as the memtables fit in it; the T − C = r × T / 3
/// left outside the cache absorbs what the memtables take beyond W. With r = 0.5: C = 5/6 T, W = 1/3 T.</para>
/// <para><b>How the formula's terms map.</b> M_block_cache is what remains of C after the memtables' reservation (the
/// cache shrinks for blocks as memtables grow). N_cf × M_write_buffer × N_buffers is replaced by W for all families of
/// all databases given the budget: adding a family or a database no longer adds memory, it splits the same W. Each
/// family's M_write_buffer is derived (<see cref="WriteBufferSizeFor"/>) as min(its configured size,
/// W / (N_cf × N_buffers)), so that the seed formula's memtable term fits W even before the manager flushes early,
/// and an arena chunk (an eighth of the write buffer, at most 1 MiB) stays far below the manager's mutable limit of
/// 7/8 W. (Flink leaves the write buffer size as configured and only warns when an arena block reaches the mutable
/// limit, since RocksDB would then flush at every write; deriving the size makes that impossible.)</para>
/// <para><b>Tables.</b> Index and filter blocks go into the cache with high priority
/// (<see cref="TableOptions.CacheIndexAndFilterBlocks"/>, <see cref="TableOptions.CacheIndexAndFilterBlocksWithHighPriority"/>),
/// as Flink sets them, so they are bounded by the budget too, in a pool of
/// <see cref="MemoryBudgetOptions.HighPriorityPoolRatio"/> of the cache.</para>
/// <para><b>Not counted.</b> What readers pin beyond the cache's capacity (without
/// <see cref="MemoryBudgetOptions.StrictCapacityLimit"/>), table readers' own small objects, the managed heap, and
/// the native memory allocators keep around. docs/memory.md has the measured overhead.</para>
/// <para><b>Lifetime and thread safety.</b> Thread-safe. The budget owns its cache: dispose it after every database
/// that uses it.</para>
/// </remarks>
/// <example>
/// <code>
/// using var budget = new MemoryBudget(new MemoryBudgetOptions { TotalBytes = 512L &lt;&lt; 20 });
/// using var orders = LsmDb.Open("/data/orders", budget.ApplyTo(new DbOptions { CreateIfMissing = true }));
/// using var users = LsmDb.Open("/data/users", budget.ApplyTo(new DbOptions { CreateIfMissing = true }));
/// </code>
/// </example>
public sealed class MemoryBudget : IDisposable
{
    /// <summary>The smallest write buffer size <see cref="WriteBufferSizeFor"/> derives: 64 KiB.</summary>
    public const long MinWriteBufferSize = 64 * 1024;

    /// <summary>Creates the cache and the write buffer manager for a budget of <paramref name="totalBytes"/> with default ratios.</summary>
    /// <param name="totalBytes">The budget in bytes, at least <see cref="MemoryBudgetOptions.MinTotalBytes"/>.</param>
    public MemoryBudget(long totalBytes)
        : this(new MemoryBudgetOptions { TotalBytes = totalBytes })
    {
    }

    /// <summary>Creates the cache and the write buffer manager for a budget.</summary>
    /// <param name="options">The budget and its ratios.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public MemoryBudget(MemoryBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        BlockCache = new BlockCache(new BlockCacheOptions
        {
            Capacity = BlockCacheCapacityFor(options.TotalBytes, options.WriteBufferRatio),
            HighPriorityPoolRatio = options.HighPriorityPoolRatio,
            StrictCapacityLimit = options.StrictCapacityLimit,
        });
        WriteBufferManager = new WriteBufferManager(
            WriteBufferManagerCapacityFor(options.TotalBytes, options.WriteBufferRatio), BlockCache, options.AllowStall);
    }

    /// <summary>The options the budget was created with.</summary>
    public MemoryBudgetOptions Options { get; }

    /// <summary>The shared cache, of <see cref="BlockCacheCapacityFor"/> bytes; the memtables are charged to it.</summary>
    public BlockCache BlockCache { get; }

    /// <summary>The shared write buffer manager, of <see cref="WriteBufferManagerCapacityFor"/> bytes, charging <see cref="BlockCache"/>.</summary>
    public WriteBufferManager WriteBufferManager { get; }

    /// <summary>Flink's block cache capacity for a budget: (3 − <paramref name="writeBufferRatio"/>) × <paramref name="totalBytes"/> / 3.</summary>
    /// <param name="totalBytes">The budget.</param>
    /// <param name="writeBufferRatio">The share set aside for memtables.</param>
    /// <returns>The capacity in bytes, rounded down.</returns>
    public static long BlockCacheCapacityFor(long totalBytes, double writeBufferRatio) => (long)((3 - writeBufferRatio) * totalBytes / 3);

    /// <summary>Flink's write buffer manager budget: 2 × <paramref name="writeBufferRatio"/> × <paramref name="totalBytes"/> / 3.</summary>
    /// <param name="totalBytes">The budget.</param>
    /// <param name="writeBufferRatio">The share set aside for memtables.</param>
    /// <returns>The budget in bytes, rounded down.</returns>
    public static long WriteBufferManagerCapacityFor(long totalBytes, double writeBufferRatio) => (long)(2 * totalBytes * writeBufferRatio / 3);

    /// <summary>
    /// The write buffer size a family gets under this budget when <paramref name="columnFamilies"/> families of
    /// <paramref name="maxWriteBufferNumber"/> buffers each share it: the manager's budget / (families × buffers), at
    /// least <see cref="MinWriteBufferSize"/>.
    /// </summary>
    /// <param name="columnFamilies">N_cf: the families of every database given this budget (at least 1).</param>
    /// <param name="maxWriteBufferNumber">N_buffers: each family's <see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/>.</param>
    /// <returns>The size in bytes; <see cref="ApplyTo(ColumnFamilyOptions, int)"/> takes the smaller of it and the configured one.</returns>
    public long WriteBufferSizeFor(int columnFamilies, int maxWriteBufferNumber)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columnFamilies, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWriteBufferNumber, 1);
        return Math.Max(MinWriteBufferSize, WriteBufferManager.BufferSize / ((long)columnFamilies * maxWriteBufferNumber));
    }

    /// <summary>
    /// A database's options under this budget: the shared <see cref="WriteBufferManager"/>, and every family's options
    /// through <see cref="ApplyTo(ColumnFamilyOptions, int)"/> with N_cf = the default family plus the families named in
    /// <see cref="DbOptions.ColumnFamilies"/>.
    /// </summary>
    /// <param name="options">The options to start from.</param>
    /// <returns>A copy with the budget applied.</returns>
    /// <remarks>
    /// When several databases share the budget, N_cf should count the families of all of them: use
    /// <see cref="ApplyToShared"/> with that count instead.
    /// </remarks>
    public DbOptions ApplyTo(DbOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int families = 1;
        foreach (string name in options.ColumnFamilies.Keys)
        {
            if (name != ColumnFamilyHandle.DefaultName)
            {
                families++;
            }
        }

        return ApplyToShared(options, families);
    }

    /// <summary>
    /// <see cref="ApplyTo(DbOptions)"/> for a budget shared by several databases: <paramref name="columnFamilies"/> is
    /// N_cf, the families of every database given this budget, so that their write buffers together fit the manager's
    /// share (N_cf × N_buffers × write buffer ≤ the manager's budget).
    /// </summary>
    /// <param name="options">The options to start from.</param>
    /// <param name="columnFamilies">N_cf over every database that shares the budget (at least 1).</param>
    /// <returns>A copy with the budget applied.</returns>
    public DbOptions ApplyToShared(DbOptions options, int columnFamilies)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(columnFamilies, 1);
        int families = columnFamilies;

        var named = new Dictionary<string, ColumnFamilyOptions>(StringComparer.Ordinal);
        foreach ((string name, ColumnFamilyOptions family) in options.ColumnFamilies)
        {
            named[name] = ApplyTo(family, families);
        }

        return options with
        {
            WriteBufferManager = WriteBufferManager,
            DefaultColumnFamilyOptions = ApplyTo(options.DefaultColumnFamilyOptions, families),
            ColumnFamilies = named,
        };
    }

    /// <summary>
    /// A family's options under this budget: tables read through the shared <see cref="BlockCache"/>, with index and
    /// filter blocks cached at high priority, and a write buffer of at most <see cref="WriteBufferSizeFor"/>.
    /// </summary>
    /// <param name="options">The options to start from.</param>
    /// <param name="columnFamilies">N_cf: the families sharing the budget (at least 1).</param>
    /// <returns>A copy with the budget applied.</returns>
    public ColumnFamilyOptions ApplyTo(ColumnFamilyOptions options, int columnFamilies = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        long writeBufferSize = Math.Min(options.WriteBufferSize, WriteBufferSizeFor(columnFamilies, options.MaxWriteBufferNumber));
        return options with
        {
            WriteBufferSize = writeBufferSize,
            Table = options.Table with
            {
                BlockCache = BlockCache,
                NoBlockCache = false,
                CacheIndexAndFilterBlocks = true,
                CacheIndexAndFilterBlocksWithHighPriority = true,
            },
        };
    }

    /// <summary>Disposes the cache. Every database using the budget must be disposed first.</summary>
    public void Dispose() => BlockCache.Dispose();
}
