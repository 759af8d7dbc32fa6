using System.Diagnostics;

namespace Lsm.Engine.Cache;

/// <summary>
/// A <see cref="CacheShard"/> with least-recently-used eviction and a high-priority pool, RocksDB's
/// <c>LRUCacheShard</c> with every entry a struct in one array.
/// </summary>
/// <remarks>
/// <para><b>Structure.</b> <c>Entries[0]</c> is the sentinel of a circular doubly-linked LRU list through
/// <see cref="CacheEntry.Prev"/> and <see cref="CacheEntry.Next"/>. The list runs from the oldest entry
/// (<c>Entries[0].Next</c>) to the newest (<c>Entries[0].Prev</c>): first the low-priority part, ending at
/// <c>_lowPriNewest</c>, then the high-priority pool. Eviction takes the oldest entry, so low-priority entries go
/// first.</para>
/// <para><b>RocksDB's rules.</b> An entry with references is not in the LRU list: a hit takes it out, its last
/// release puts it back, into the high-priority pool if it was inserted with high priority or was hit while in the
/// cache (and the pool's ratio is not 0), otherwise as the newest low-priority entry. When the pool's charge exceeds
/// its share of the capacity, its oldest entries become the newest low-priority ones. So a hit and its release each
/// write the entry's list neighbours: entries anywhere in the array.</para>
/// <para><b>Invariants</b> (beyond <see cref="CacheShard"/>'s). (1) An entry is in the LRU list exactly when it is in
/// the table with no reference. (2) The pool's charge is at most its capacity after every operation.</para>
/// </remarks>
internal sealed class LruCacheShard : CacheShard
{
    private const int Sentinel = None;

    private readonly double _highPriorityPoolRatio;
    private int _lowPriNewest; // newest low-priority entry of the LRU list, or the sentinel when there is none
    private long _highPoolCapacity;
    private long _lruUsage;
    private long _highPoolUsage;

    /// <summary>Creates a shard of <paramref name="capacity"/> bytes.</summary>
    public LruCacheShard(BlockCache cache, NativeSlabAllocator allocator, long capacity, bool strictCapacityLimit, double highPriorityPoolRatio)
        : base(cache, allocator, capacity, strictCapacityLimit)
    {
        _highPriorityPoolRatio = highPriorityPoolRatio;
        _highPoolCapacity = (long)(capacity * highPriorityPoolRatio);
    }

    /// <summary>
    /// The entries of the LRU list, oldest first, with whether each is in the high-priority pool (for tests).
    /// </summary>
    public List<(ulong TableId, ulong Offset, bool InHighPool)> LruSnapshot()
    {
        lock (SyncRoot)
        {
            List<(ulong, ulong, bool)> list = [];
            for (int index = Entries[Sentinel].Next; index != Sentinel; index = Entries[index].Next)
            {
                list.Add((Entries[index].TableId, Entries[index].Offset, Entries[index].Has(CacheEntryFlags.InHighPool)));
            }

            return list;
        }
    }

    /// <inheritdoc/>
    protected override bool HasEvictable => Entries[Sentinel].Next != Sentinel;

    /// <summary>Takes an unreferenced entry out of the list; marks the entry hit.</summary>
    protected override void OnHit(ref CacheEntry entry, int index)
    {
        if (entry.Refs == 0)
        {
            LruRemove(index);
        }

        entry.Flags |= CacheEntryFlags.HasHit;
    }

    /// <summary>Nothing: a new entry is referenced, so out of the list.</summary>
    protected override void OnInserted(ref CacheEntry entry)
    {
    }

    /// <summary>Lists the entry as the newest of its part.</summary>
    protected override void OnUnreferenced(int index) => LruInsert(index);

    /// <inheritdoc/>
    protected override void OnRemoved(int index) => LruRemove(index);

    /// <summary>Evicts to fit; the pool keeps its ratio of the new capacity.</summary>
    protected override void OnCapacityChanged()
    {
        _highPoolCapacity = (long)(Capacity * _highPriorityPoolRatio);
        EvictToFit(0);
        MaintainPoolSize();
    }

    /// <summary>Evicts the oldest entries.</summary>
    protected override void EvictToFit(long charge)
    {
        while (OverCapacity(charge) && Entries[Sentinel].Next != Sentinel)
        {
            Evict(Entries[Sentinel].Next);
        }
    }

    /// <inheritdoc/>
    protected override void EvictAll()
    {
        while (Entries[Sentinel].Next != Sentinel)
        {
            Evict(Entries[Sentinel].Next);
        }
    }

    /// <inheritdoc/>
    protected override void CheckPolicyInvariants()
    {
        long lruUsage = 0;
        long highUsage = 0;
        int listed = 0;
        bool inHighPart = _lowPriNewest == Sentinel;
        int previous = Sentinel;
        for (int index = Entries[Sentinel].Next; index != Sentinel; index = Entries[index].Next)
        {
            ref CacheEntry entry = ref Entries[index];
            Check(entry.Prev == previous, "LRU back link broken");
            Check(entry.Refs == 0 && entry.Has(CacheEntryFlags.InCache), "a listed entry is referenced or out of the table");
            Check(entry.Has(CacheEntryFlags.InHighPool) == inHighPart, "the pool is not the newest part of the list");
            lruUsage += entry.Charge;
            highUsage += entry.Has(CacheEntryFlags.InHighPool) ? entry.Charge : 0;
            inHighPart |= index == _lowPriNewest;
            previous = index;
            listed++;
        }

        Check(Entries[Sentinel].Prev == previous, "LRU tail link broken");
        Check(lruUsage == _lruUsage && highUsage == _highPoolUsage, "LRU charge mismatch");
        Check(_highPoolUsage <= _highPoolCapacity || _highPriorityPoolRatio == 0, "high-priority pool over capacity");

        int unreferenced = 0;
        for (int index = 1; index < UnusedSlots; index++)
        {
            unreferenced += Entries[index].Has(CacheEntryFlags.InCache) && Entries[index].Refs == 0 ? 1 : 0;
        }

        Check(listed == unreferenced, "an unreferenced entry of the table is not listed");
    }

    private void LruInsert(int index)
    {
        ref CacheEntry entry = ref Entries[index];
        Debug.Assert(entry.Prev == Sentinel && entry.Next == Sentinel && entry.Refs == 0);
        if (_highPriorityPoolRatio > 0 && (entry.Flags & (CacheEntryFlags.HighPriority | CacheEntryFlags.HasHit)) != 0)
        {
            // Newest of the whole list.
            LinkAfter(index, Entries[Sentinel].Prev);
            entry.Flags |= CacheEntryFlags.InHighPool;
            _highPoolUsage += entry.Charge;
            _lruUsage += entry.Charge;
            MaintainPoolSize();
            return;
        }

        LinkAfter(index, _lowPriNewest);
        _lowPriNewest = index;
        _lruUsage += entry.Charge;
    }

    private void LinkAfter(int index, int previous)
    {
        CacheEntry[] entries = Entries;
        ref CacheEntry entry = ref entries[index];
        int next = entries[previous].Next;
        entry.Prev = previous;
        entry.Next = next;
        entries[previous].Next = index;
        entries[next].Prev = index;
    }

    private void LruRemove(int index)
    {
        CacheEntry[] entries = Entries;
        ref CacheEntry entry = ref entries[index];
        if (_lowPriNewest == index)
        {
            _lowPriNewest = entry.Prev;
        }

        entries[entry.Prev].Next = entry.Next;
        entries[entry.Next].Prev = entry.Prev;
        entry.Prev = entry.Next = Sentinel;
        _lruUsage -= entry.Charge;
        if (entry.Has(CacheEntryFlags.InHighPool))
        {
            _highPoolUsage -= entry.Charge;
            entry.Flags &= ~CacheEntryFlags.InHighPool;
        }
    }

    /// <summary>Moves the pool's oldest entries to the low-priority part while the pool is over its capacity.</summary>
    private void MaintainPoolSize()
    {
        while (_highPoolUsage > _highPoolCapacity)
        {
            _lowPriNewest = Entries[_lowPriNewest].Next;
            Debug.Assert(_lowPriNewest != Sentinel);
            ref CacheEntry demoted = ref Entries[_lowPriNewest];
            Debug.Assert(demoted.Has(CacheEntryFlags.InHighPool));
            demoted.Flags &= ~CacheEntryFlags.InHighPool;
            _highPoolUsage -= demoted.Charge;
        }
    }
}
