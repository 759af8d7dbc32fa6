namespace Lsm.Engine.Cache;

/// <summary>The shard's hash table, its slot allocation, and its checks.</summary>
internal abstract partial class CacheShard
{
    /// <summary>The entry with this key, or <see cref="None"/>.</summary>
    private int Find(ulong tableId, ulong offset, uint hash)
    {
        CacheEntry[] entries = Entries;
        int index = _buckets[hash & (uint)(_buckets.Length - 1)];
        while (index != None)
        {
            ref CacheEntry entry = ref entries[index];
            if (entry.Hash == hash && entry.Offset == offset && entry.TableId == tableId)
            {
                return index;
            }

            index = entry.HashNext;
        }

        return None;
    }

    private void TableAdd(int index)
    {
        if (_count >= _buckets.Length)
        {
            GrowBuckets();
        }

        ref CacheEntry entry = ref Entries[index];
        ref int bucket = ref _buckets[entry.Hash & (uint)(_buckets.Length - 1)];
        entry.HashNext = bucket;
        bucket = index;
        _count++;
    }

    /// <summary>Unlinks an entry from its bucket and clears its <see cref="CacheEntryFlags.InCache"/>.</summary>
    private void TableRemove(int index)
    {
        ref CacheEntry entry = ref Entries[index];
        ref int link = ref _buckets[entry.Hash & (uint)(_buckets.Length - 1)];
        while (link != index)
        {
            link = ref Entries[link].HashNext;
        }

        link = entry.HashNext;
        entry.HashNext = None;
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
            while (index != None)
            {
                ref CacheEntry entry = ref Entries[index];
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
        if (index != None)
        {
            _freeSlots = Entries[index].HashNext;
            return index;
        }

        if (UnusedSlots == Entries.Length)
        {
            CacheEntry[] grown = Entries;
            Array.Resize(ref grown, grown.Length * 2);
            Entries = grown;
        }

        return UnusedSlots++;
    }

    /// <summary>Whether a block is in the table, without touching its recency (for tests).</summary>
    public bool Contains(ulong tableId, ulong offset, uint hash)
    {
        lock (SyncRoot)
        {
            return Find(tableId, offset, hash) != None;
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> if an invariant of the type header, or of the policy, does not hold.</summary>
    public void CheckInvariants()
    {
        lock (SyncRoot)
        {
            long usage = _reserved;
            long pinned = 0;
            int inTable = 0;
            for (int index = 1; index < UnusedSlots; index++)
            {
                ref CacheEntry entry = ref Entries[index];
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
            Check(!HasEvictable || _usage <= Capacity, "evictable entries kept while over capacity");
            CheckPolicyInvariants();
        }
    }

    /// <summary>Whether the policy holds an unreferenced entry it could evict (under the lock).</summary>
    protected abstract bool HasEvictable { get; }

    /// <summary>Throws <see cref="InvalidOperationException"/> if an invariant of the policy does not hold (under the lock).</summary>
    protected abstract void CheckPolicyInvariants();

    /// <summary>Throws <see cref="InvalidOperationException"/> naming a broken invariant unless <paramref name="condition"/> holds.</summary>
    protected static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Cache shard invariant: " + message + ".");
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
