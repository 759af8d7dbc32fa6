namespace Lsm.Engine;

/// <summary>
/// One number for all the memory of one or several databases, split as Flink splits its managed memory for RocksDB
/// (<c>state.backend.rocksdb.memory.*</c>): see <see cref="MemoryBudget"/> for the formulas.
/// </summary>
public sealed record MemoryBudgetOptions
{
    /// <summary>Default for <see cref="WriteBufferRatio"/>: 0.5, as Flink's <c>state.backend.rocksdb.memory.write-buffer-ratio</c>.</summary>
    public const double DefaultWriteBufferRatio = 0.5;

    /// <summary>Default for <see cref="HighPriorityPoolRatio"/>: 0.1, as Flink's <c>state.backend.rocksdb.memory.high-prio-pool-ratio</c>.</summary>
    public const double DefaultHighPriorityPoolRatio = 0.1;

    /// <summary>The smallest <see cref="TotalBytes"/>: 4 MiB, a few of the 1 MiB steps memtables are charged to the cache in.</summary>
    public const long MinTotalBytes = 4L << 20;

    /// <summary>
    /// Bytes the block cache and the memtables of every database given this budget may hold together (Flink's managed
    /// memory of a slot). Required; at least <see cref="MinTotalBytes"/>.
    /// </summary>
    public required long TotalBytes { get; init; }

    /// <summary>
    /// The share of <see cref="TotalBytes"/> (strictly between 0 and 1) set aside for memtables, their overshoot
    /// included; the rest is block cache. More for write-heavy loads, less for lookups. Default: 0.5, as Flink.
    /// </summary>
    public double WriteBufferRatio { get; init; } = DefaultWriteBufferRatio;

    /// <summary>
    /// The share of the cache (0 to 1) kept for index and filter blocks, which are cached with high priority
    /// (<see cref="BlockCacheOptions.HighPriorityPoolRatio"/>). Default: 0.1, as Flink.
    /// </summary>
    public double HighPriorityPoolRatio { get; init; } = DefaultHighPriorityPoolRatio;

    /// <summary>
    /// Whether writes wait while the memtables hold their whole budget (<see cref="WriteBufferManager.AllowStall"/>),
    /// rather than only flushing early. Default: false, as Flink.
    /// </summary>
    public bool AllowStall { get; init; }

    /// <summary>
    /// Whether the cache refuses inserts beyond its capacity (<see cref="BlockCacheOptions.StrictCapacityLimit"/>)
    /// instead of overshooting while readers pin blocks. Default: false, as Flink (FLINK-15532).
    /// </summary>
    public bool StrictCapacityLimit { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (TotalBytes < MinTotalBytes)
        {
            throw new ArgumentException($"TotalBytes must be at least {MinTotalBytes} bytes.", nameof(TotalBytes));
        }

        if (!(WriteBufferRatio is > 0 and < 1))
        {
            throw new ArgumentException("WriteBufferRatio must be strictly between 0 and 1.", nameof(WriteBufferRatio));
        }

        if (!(HighPriorityPoolRatio is >= 0 and <= 1))
        {
            throw new ArgumentException("HighPriorityPoolRatio must be between 0 and 1.", nameof(HighPriorityPoolRatio));
        }
    }
}
