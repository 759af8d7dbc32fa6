using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// A cache shard written the obvious way, for model tests (<see cref="LruCacheModel"/>, <see cref="ClockCacheModel"/>):
/// the operations of <see cref="CacheShard"/> on one table's keys, its counters, and a comparison of the policy's
/// state with the real shard's.
/// </summary>
internal interface ICacheModel
{
    long Usage { get; }

    long Pinned { get; }

    long Hits { get; }

    long Misses { get; }

    long Inserts { get; }

    long Failures { get; }

    long Evictions { get; }

    int Count { get; }

    /// <summary>A hit takes a reference and returns the entry; a miss returns null.</summary>
    CacheModelEntry? Lookup(ulong key);

    /// <summary>Inserts, returning the inserter's reference (to a detached entry when a strict limit refuses it).</summary>
    CacheModelEntry Insert(ulong key, long charge, bool high);

    void Release(CacheModelEntry entry);

    void SetReserved(long reserved);

    void SetCapacity(long capacity);

    /// <summary>Asserts that the shard's policy state (LRU order, or hand and counts) is the model's.</summary>
    void AssertSameAs(CacheShard shard);
}

/// <summary>An entry of a cache model; each model uses the fields of its policy.</summary>
internal sealed class CacheModelEntry(ulong key, long charge, bool high)
{
    public ulong Key { get; } = key;

    public long Charge { get; } = charge;

    public bool High { get; } = high;

    public int Refs { get; set; }

    public bool InCache { get; set; }

    /// <summary>LRU: hit while cached.</summary>
    public bool Hit { get; set; }

    /// <summary>LRU: the entry's node in its list, null while referenced.</summary>
    public LinkedListNode<CacheModelEntry>? Node { get; set; }

    /// <summary>CLOCK: the slot it occupies.</summary>
    public int Slot { get; set; }

    /// <summary>CLOCK: the count.</summary>
    public int Count { get; set; }
}
