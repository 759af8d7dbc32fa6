namespace Lsm.Engine.Cache;

/// <summary>
/// A <see cref="CacheShard"/> with CLOCK eviction: a hit sets a count in its own entry and touches no other, and a
/// hand sweeps the entry array to find what to evict (the rules of RocksDB's <c>HyperClockCache</c>, behind a lock).
/// </summary>
/// <remarks>
/// <para><b>Counts.</b> Every entry has a <see cref="CacheEntry.Clock"/> count from 0 to <see cref="MaxCount"/>. An
/// insert sets it to <see cref="LowPriorityCount"/>, or <see cref="HighPriorityCount"/> for
/// <see cref="CachePriority.High"/> (index and filter blocks survive two more passes of the hand), unless the
/// high-priority pool ratio is 0, which gives high priority no head start. A hit adds 1, up to
/// <see cref="MaxCount"/>. A release drops the reference and nothing else.</para>
/// <para><b>The hand.</b> <c>_hand</c> is the next slot to look at; slots run from 1 to the last ever used and the
/// hand wraps from the last to 1. To make room, while the shard is over capacity and some entry is evictable, the
/// hand looks at its slot and moves on: a free slot or a referenced entry (or one out of the table) is skipped, an
/// entry with a count above 0 loses 1, an entry with count 0 is evicted. So an entry with count c survives c passes
/// of the hand, and a referenced entry none. The sweep ends: each look either lowers a count or evicts, and some entry
/// is evictable.</para>
/// <para><b>Invariants</b> (beyond <see cref="CacheShard"/>'s). (1) <c>_evictable</c> is the number of entries in the
/// table without a reference. (2) Every count is at most <see cref="MaxCount"/>. (3) The hand is a slot in
/// 1 .. max(1, last used).</para>
/// </remarks>
internal sealed class ClockCacheShard : CacheShard
{
    /// <summary>The highest count: an entry survives at most this many passes of the hand without a hit.</summary>
    public const byte MaxCount = 3;

    /// <summary>The count of an entry inserted with <see cref="CachePriority.Low"/>: it survives one pass.</summary>
    public const byte LowPriorityCount = 1;

    /// <summary>The count of an entry inserted with <see cref="CachePriority.High"/>: it survives three passes.</summary>
    public const byte HighPriorityCount = MaxCount;

    private readonly byte _highPriorityCount;
    private int _hand = 1;
    private int _evictable;

    /// <summary>Creates a shard of <paramref name="capacity"/> bytes; a <paramref name="highPriorityPoolRatio"/> of 0 inserts high-priority entries with the low count.</summary>
    public ClockCacheShard(BlockCache cache, NativeSlabAllocator allocator, long capacity, bool strictCapacityLimit, double highPriorityPoolRatio)
        : base(cache, allocator, capacity, strictCapacityLimit)
    {
        _highPriorityCount = highPriorityPoolRatio > 0 ? HighPriorityCount : LowPriorityCount;
    }

    /// <summary>The hand and every entry in use, by slot, with its count (for tests).</summary>
    public (int Hand, List<(int Slot, ulong Offset, byte Count, bool Referenced, bool InCache)> Slots) ClockSnapshot()
    {
        lock (SyncRoot)
        {
            List<(int, ulong, byte, bool, bool)> slots = [];
            for (int index = 1; index < UnusedSlots; index++)
            {
                ref CacheEntry entry = ref Entries[index];
                if (entry.Has(CacheEntryFlags.InUse))
                {
                    slots.Add((index, entry.Offset, entry.Clock, entry.Refs > 0, entry.Has(CacheEntryFlags.InCache)));
                }
            }

            return (_hand, slots);
        }
    }

    /// <inheritdoc/>
    protected override bool HasEvictable => _evictable > 0;

    /// <summary>Adds 1 to the entry's count (up to <see cref="MaxCount"/>); an unreferenced entry stops being evictable.</summary>
    protected override void OnHit(ref CacheEntry entry, int index)
    {
        if (entry.Refs == 0)
        {
            _evictable--;
        }

        if (entry.Clock < MaxCount)
        {
            entry.Clock++;
        }
    }

    /// <summary>Sets the entry's count by its priority.</summary>
    protected override void OnInserted(ref CacheEntry entry) =>
        entry.Clock = entry.Has(CacheEntryFlags.HighPriority) ? _highPriorityCount : LowPriorityCount;

    /// <summary>The entry becomes evictable: nothing else changes.</summary>
    protected override void OnUnreferenced(int index) => _evictable++;

    /// <inheritdoc/>
    protected override void OnRemoved(int index) => _evictable--;

    /// <summary>Sweeps the hand (see the type's remarks).</summary>
    protected override void EvictToFit(long charge)
    {
        while (OverCapacity(charge) && _evictable > 0)
        {
            int index = _hand;
            _hand = index + 1 < UnusedSlots ? index + 1 : 1;
            ref CacheEntry entry = ref Entries[index];
            if (entry.Refs > 0 || !entry.Has(CacheEntryFlags.InCache))
            {
                continue;
            }

            if (entry.Clock > 0)
            {
                entry.Clock--;
                continue;
            }

            Evict(index);
        }
    }

    /// <inheritdoc/>
    protected override void EvictAll()
    {
        for (int index = 1; index < UnusedSlots && _evictable > 0; index++)
        {
            if (Entries[index].Refs == 0 && Entries[index].Has(CacheEntryFlags.InCache))
            {
                Evict(index);
            }
        }
    }

    /// <inheritdoc/>
    protected override void CheckPolicyInvariants()
    {
        int evictable = 0;
        for (int index = 1; index < UnusedSlots; index++)
        {
            ref CacheEntry entry = ref Entries[index];
            Check(entry.Clock <= MaxCount, "a count above the maximum");
            evictable += entry.Has(CacheEntryFlags.InCache) && entry.Refs == 0 ? 1 : 0;
        }

        Check(evictable == _evictable, $"{_evictable} evictable entries counted but {evictable} in the table without a reference");
        Check(_hand >= 1 && _hand < Math.Max(2, UnusedSlots), "the hand is off the used slots");
    }
}
