namespace Lsm.Engine.Cache;

/// <summary>The shard's hash table, its slot allocation, and its checks.</summary>
internal sealed partial class LruCacheShard
{
    /// <summary>The entry with this key, or the sentinel (0).</summary>
    private int Find(ulong tableId, ulong offset, uint hash)
    {
        CacheEntry[] entries = _entries;
        int index = _buckets[hash & (uint)(_buckets.Length - 1)];
        while (index != Sentinel)
        {
            ref CacheEntry entry = ref entries[index];
            if (entry.Hash == hash && entry.Offset == offset && entry.TableId == tableId)
            {
                return index;
            }

            index = entry.HashNext;
        }

        return Sentinel;
    }

    private void TableAdd(int index)
    {
        if (_count >= _buckets.Length)
        {
            GrowBuckets();
        }

        ref CacheEntry entry = ref _entries[index];
        ref int bucket = ref _buckets[entry.Hash & (uint)(_buckets.Length - 1)];
        entry.HashNext = bucket;
        bucket = index;
        _count++;
    }

    /// <summary>Unlinks an entry from its bucket and clears its <see cref="CacheEntryFlags.InCache"/>.</summary>
    private void TableRemove(int index)
    {
        ref CacheEntry entry = ref _entries[index];
        ref int link = ref _buckets[entry.Hash & (uint)(_buckets.Length - 1)];
        while (link != index)
        {
            link = ref _entries[link].HashNext;
        }

        link = entry.HashNext;
        entry.HashNext = Sentinel;
        entry.Flags &= ~CacheEntryFlags.InCache;
        _count--;
    }

    private void GrowBuckets()
    {
        int[] buckets = new int[_buckets.Length * 2];
        uint mask = (uint)(buckets.Length - 1);
        foreach (int head in _buckets)
        {
            int index = head;
            while (index != Sentinel)
            {
                ref CacheEntry entry = ref _entries[index];
                int next = entry.HashNext;
                ref int bucket = ref buckets[entry.Hash & mask];
                entry.HashNext = bucket;
                bucket = index;
                index = next;
            }
        }

        _buckets = buckets;
    }

    /// <summary>A free slot (its generation kept), growing the entry array if none is left.</summary>
    private int TakeSlot()
    {
        int index = _freeSlots;
        if (index != Sentinel)
        {
            _freeSlots = _entries[index].HashNext;
            return index;
        }

        if (_unusedSlots == _entries.Length)
        {
            Array.Resize(ref _entries, _entries.Length * 2);
        }

        return _unusedSlots++;
    }

    /// <summary>
    /// The entries of the LRU list, oldest first, with whether each is in the high-priority pool (for tests).
    /// </summary>
    public List<(ulong TableId, ulong Offset, bool InHighPool)> LruSnapshot()
    {
        lock (_lock)
        {
            List<(ulong, ulong, bool)> list = [];
            for (int index = _entries[Sentinel].Next; index != Sentinel; index = _entries[index].Next)
            {
                list.Add((_entries[index].TableId, _entries[index].Offset, _entries[index].Has(CacheEntryFlags.InHighPool)));
            }

            return list;
        }
    }

    /// <summary>Whether a block is in the table, without touching its recency (for tests).</summary>
    public bool Contains(ulong tableId, ulong offset, uint hash)
    {
        lock (_lock)
        {
            return Find(tableId, offset, hash) != Sentinel;
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> if an invariant of the type header does not hold.</summary>
    public void CheckInvariants()
    {
        lock (_lock)
        {
            long lruUsage = 0;
            long highUsage = 0;
            bool inHighPart = _lowPriNewest == Sentinel;
            int previous = Sentinel;
            for (int index = _entries[Sentinel].Next; index != Sentinel; index = _entries[index].Next)
            {
                ref CacheEntry entry = ref _entries[index];
                Check(entry.Prev == previous, "LRU back link broken");
                Check(entry.Refs == 0 && entry.Has(CacheEntryFlags.InCache), "a listed entry is referenced or out of the table");
                Check(entry.Has(CacheEntryFlags.InHighPool) == inHighPart, "the pool is not the newest part of the list");
                lruUsage += entry.Charge;
                highUsage += entry.Has(CacheEntryFlags.InHighPool) ? entry.Charge : 0;
                inHighPart |= index == _lowPriNewest;
                previous = index;
            }

            Check(_entries[Sentinel].Prev == previous, "LRU tail link broken");
            Check(lruUsage == _lruUsage && highUsage == _highPoolUsage, "LRU charge mismatch");
            Check(_highPoolUsage <= _highPoolCapacity || _highPriorityPoolRatio == 0, "high-priority pool over capacity");
            Check(lruUsage == 0 || _usage <= _capacity, "entries listed while over capacity");

            long usage = _reserved;
            long pinned = 0;
            int inTable = 0;
            for (int index = 1; index < _unusedSlots; index++)
            {
                ref CacheEntry entry = ref _entries[index];
                if (!entry.Has(CacheEntryFlags.InUse))
                {
                    continue;
                }

                bool inCache = entry.Has(CacheEntryFlags.InCache);
                Check(inCache || entry.Refs > 0, "an entry out of the table has no reference");
                Check(!inCache || Find(entry.TableId, entry.Offset, entry.Hash) == index, "an entry is not found by its key");
                inTable += inCache ? 1 : 0;
                usage += entry.Charge;
                pinned += entry.Refs > 0 ? entry.Charge : 0;
            }

            Check(inTable == _count, "entry count mismatch");
            Check(usage == _usage, $"usage {_usage} but the entries and reservation charge {usage}");
            Check(pinned == _pinned, $"pinned usage {_pinned} but the referenced entries charge {pinned}");
        }

        static void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException("Cache shard invariant: " + message + ".");
            }
        }
    }
}

/// <summary>Sums of the shards' figures, for <see cref="BlockCache.GetStatistics"/>.</summary>
internal struct ShardTotals
{
    public long Usage;
    public long Pinned;
    public long Entries;
    public long Inserts;
    public long InsertFailures;
    public long Evictions;
    public long[] Hits;
    public long[] Misses;
}
