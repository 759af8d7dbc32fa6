namespace Lsm.Engine.Cache;

/// <summary>
/// Which part of the cache an entry lives in. High-priority entries (index and filter blocks, when
/// <see cref="TableOptions.CacheIndexAndFilterBlocksWithHighPriority"/>) fill the high-priority pool, a share of the
/// capacity (<see cref="BlockCacheOptions.HighPriorityPoolRatio"/>) evicted only after every low-priority entry.
/// </summary>
internal enum CachePriority
{
    Low,
    High,
}
