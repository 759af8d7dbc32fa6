namespace Lsm.Engine;

/// <summary>Which unreferenced block a <see cref="BlockCache"/> shard evicts to make room.</summary>
public enum BlockCachePolicy
{
    /// <summary>
    /// Least recently used, with a high-priority pool (RocksDB's <c>LRUCache</c>): a hit takes the block off the LRU
    /// list and its release puts it back as the newest, so both write the block's list neighbours.
    /// </summary>
    Lru,

    /// <summary>
    /// CLOCK (the eviction of RocksDB's <c>HyperClockCache</c>): a hit adds to a count in the block's own entry, a
    /// release only drops the reference, and a hand sweeping the shard's entries evicts the first unreferenced block
    /// whose count has run down to 0. High-priority blocks start with a higher count instead of a pool.
    /// </summary>
    Clock,
}
