namespace Lsm.Engine;

/// <summary>
/// How a <see cref="BlockCache"/> is sized, split and evicts (RocksDB's <c>LRUCacheOptions</c> and
/// <c>HyperClockCacheOptions</c>).
/// </summary>
public sealed record BlockCacheOptions
{
    /// <summary>Default for <see cref="Policy"/>.</summary>
    public const BlockCachePolicy DefaultPolicy = BlockCachePolicy.Lru;

    /// <summary>Default for <see cref="HighPriorityPoolRatio"/>: 0.5, as RocksDB's LRU cache.</summary>
    public const double DefaultHighPriorityPoolRatio = 0.5;

    /// <summary>
    /// The bytes the cache may hold: every entry is charged its block's native allocation plus the cache's per-entry
    /// overhead. Required; 0 makes a cache that holds nothing (every lookup misses).
    /// </summary>
    public required long Capacity { get; init; }

    /// <summary>
    /// The cache is split into 2^<see cref="ShardBits"/> shards, each with its own lock and a equal share of the
    /// capacity; -1 chooses as RocksDB does (about one shard per 512 KiB of capacity, at most 64). Default: -1.
    /// </summary>
    public int ShardBits { get; init; } = -1;

    /// <summary>
    /// When true an insert that would take the cache over its capacity, with every evictable entry already evicted,
    /// fails (the block is read for the caller only, not cached); when false the cache may exceed its capacity while
    /// readers hold the blocks that fill it. Default: false, as RocksDB.
    /// </summary>
    public bool StrictCapacityLimit { get; init; }

    /// <summary>
    /// The share of the capacity (0 to 1) kept for high-priority entries (index and filter blocks): they are evicted
    /// only when the low-priority entries are gone or the high-priority pool is over its share. Flink's managed memory
    /// uses 0.1. Under <see cref="BlockCachePolicy.Clock"/> there is no pool: any ratio above 0 lets high-priority
    /// entries survive three passes of the clock hand instead of one, and 0 treats them as low priority.
    /// Default: 0.5, as RocksDB.
    /// </summary>
    public double HighPriorityPoolRatio { get; init; } = DefaultHighPriorityPoolRatio;

    /// <summary>
    /// The eviction policy: <see cref="BlockCachePolicy.Lru"/> evicts the least recently used block, at the price of
    /// moving a block in a shared list at every hit and release; <see cref="BlockCachePolicy.Clock"/> keeps a hit
    /// inside the block's own entry and approximates recency with a sweeping hand. Default: <see cref="DefaultPolicy"/>.
    /// </summary>
    public BlockCachePolicy Policy { get; init; } = DefaultPolicy;

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (Capacity < 0)
        {
            throw new ArgumentException("Capacity must not be negative.", nameof(Capacity));
        }

        if (ShardBits is < -1 or > 20)
        {
            throw new ArgumentException("ShardBits must be -1 (automatic) or between 0 and 20.", nameof(ShardBits));
        }

        if (!(HighPriorityPoolRatio is >= 0 and <= 1))
        {
            throw new ArgumentException("HighPriorityPoolRatio must be between 0 and 1.", nameof(HighPriorityPoolRatio));
        }

        if (!Enum.IsDefined(Policy))
        {
            throw new ArgumentException("Policy must be Lru or Clock.", nameof(Policy));
        }
    }
}
