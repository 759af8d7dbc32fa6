using System.Diagnostics;

namespace Lsm.Engine.Cache;

/// <summary>
/// One shard of a <see cref="BlockCache"/>: a hash table of blocks with least-recently-used eviction and a
/// high-priority pool, RocksDB's <c>LRUCacheShard</c> with every entry a struct in one array.
/// </summary>
/// <remarks>
/// <para><b>Structure.</b> <c>_entries[0]</c> is the sentinel of a circular doubly-linked LRU list; every other slot
/// is a <see cref="CacheEntry"/> in use or free (free slots are chained through <see cref="CacheEntry.HashNext"/>).
/// The hash table is an array of bucket heads chained through <see cref="CacheEntry.HashNext"/>; it doubles when it
/// holds as many entries as buckets. The LRU list runs from the oldest entry (<c>_entries[0].Next</c>) to the newest
/// (<c>_entries[0].Prev</c>): first the low-priority part, ending at <c>_lowPriNewest</c>, then the high-priority
/// pool. Eviction takes the oldest entry, so low-priority entries go first.</para>
/// <para><b>RocksDB's rules.</b> An entry with references is not in the LRU list and cannot be evicted; it returns
/// to the list at its last release, into the high-priority pool if it was inserted with high priority or was hit
/// while in the cache (and the pool's ratio is not 0), otherwise as the newest low-priority entry. When the pool's
/// charge exceeds its share of the capacity, its oldest entries become the newest low-priority ones. An insert
/// evicts from the oldest end until it fits; if it still does not fit, it fails under a strict limit and otherwise
/// goes in anyway (the overshoot is made of referenced entries and reservations only). A last release while the
/// shard is over capacity drops the entry instead of listing it. A block replaced or dropped while referenced
/// keeps its memory, and its charge, until its last release.</para>
/// <para><b>Thread safety.</b> Every operation takes the shard's lock; blocks are freed to the allocator under it
/// (the allocator's locks come after the shard's, never before). Counters are plain fields written under the lock;
/// <see cref="Usage"/> and <see cref="PinnedUsage"/> may be read without it.</para>
/// <para><b>Invariants</b> (<see cref="CheckInvariants"/>). (1) An entry is in the LRU list exactly when it is in
/// the table with no reference. (2) <c>_usage</c> = the reservation + the charges of the entries in the table + the
/// charges of referenced entries out of it. (3) <c>_pinned</c> = the charges of the entries with references.
/// (4) The LRU list is not empty only when <c>_usage</c> ≤ <c>_capacity</c>. (5) The pool's charge is at most its
/// capacity after every operation.</para>
/// </remarks>
internal sealed partial class LruCacheShard
{
    private const int Sentinel = 0;

    private readonly Lock _lock = new();
    private readonly NativeSlabAllocator _allocator;
    private readonly bool _strictCapacityLimit;
    private readonly double _highPriorityPoolRatio;
    private readonly long[] _hits = new long[BlockKindCount];
    private readonly long[] _misses = new long[BlockKindCount];

    private CacheEntry[] _entries;
    private int[] _buckets;
    private int _freeSlots; // head of the free-slot chain, 0 when empty
    private int _unusedSlots; // slots from here to the end of _entries were never used
    private int _count;
    private int _lowPriNewest; // newest low-priority entry of the LRU list, or the sentinel when there is none

    private long _capacity;
    private long _highPoolCapacity;
    private long _usage;
    private long _pinned;
    private long _reserved;
    private long _lruUsage;
    private long _highPoolUsage;
    private long _inserts;
    private long _insertFailures;
    private long _evictions;
    private bool _disposed;

    private const int BlockKindCount = (int)BlockKind.Reservation + 1;

    /// <summary>Creates a shard of <paramref name="capacity"/> bytes.</summary>
    public LruCacheShard(BlockCache cache, NativeSlabAllocator allocator, long capacity, bool strictCapacityLimit, double highPriorityPoolRatio)
    {
        Cache = cache;
        _allocator = allocator;
        _strictCapacityLimit = strictCapacityLimit;
        _highPriorityPoolRatio = highPriorityPoolRatio;
        _capacity = capacity;
        _highPoolCapacity = (long)(capacity * highPriorityPoolRatio);
        _entries = new CacheEntry[16];
        _unusedSlots = 1;
        _buckets = new int[16];
    }

    /// <summary>The cache the shard belongs to: a handle of another cache is refused by its owner's check.</summary>
    public BlockCache Cache { get; }

    /// <summary>Bytes charged, reservation included.</summary>
    public long Usage => Volatile.Read(ref _usage);

    /// <summary>Bytes charged by referenced entries.</summary>
    public long PinnedUsage => Volatile.Read(ref _pinned);

    /// <summary>Looks up a block; on a hit takes a reference and marks the entry hit.</summary>
    public bool TryGet(ulong tableId, ulong offset, uint hash, BlockKind kind, out CacheHandle handle)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, Cache);
            int index = Find(tableId, offset, hash);
            if (index == Sentinel)
            {
                _misses[(int)kind]++;
                handle = default;
                return false;
            }

            ref CacheEntry entry = ref _entries[index];
            if (entry.Refs == 0)
            {
                LruRemove(index);
                _pinned += entry.Charge;
            }

            entry.Refs++;
            entry.Flags |= CacheEntryFlags.HasHit;
            _hits[(int)kind]++;
            handle = new CacheHandle(this, index, entry.Generation, entry.Pointer, entry.Length);
            return true;
        }
    }

    /// <summary>Inserts a block (taking ownership of its memory) and returns a reference to it; <paramref name="cached"/> is false when a strict limit refused it (the handle is then detached).</summary>
    public CacheHandle Insert(ulong tableId, ulong offset, uint hash, CachePriority priority, NativeBlock block, out bool cached)
    {
        cached = false;
        lock (_lock)
        {
            if (_disposed)
            {
                _allocator.Free(block.Pointer, block.AllocatedLength);
                throw new ObjectDisposedException(nameof(BlockCache));
            }

            long charge = block.AllocatedLength + (long)BlockCache.PerEntryOverhead;
            EvictFromLru(charge);
            bool refused = _usage + charge > _capacity && _strictCapacityLimit;
            int index = TakeSlot();
            ref CacheEntry entry = ref _entries[index];
            entry.TableId = tableId;
            entry.Offset = offset;
            entry.Hash = hash;
            entry.Pointer = block.Pointer;
            entry.Length = block.Length;
            entry.AllocatedLength = block.AllocatedLength;
            entry.Refs = 1;
            entry.Prev = entry.Next = entry.HashNext = Sentinel;
            entry.Flags = CacheEntryFlags.InUse | (priority == CachePriority.High ? CacheEntryFlags.HighPriority : 0);
            if (refused)
            {
                // Detached: not in the table, not charged; its release frees the block.
                entry.Charge = 0;
                _insertFailures++;
                return new CacheHandle(this, index, entry.Generation, entry.Pointer, entry.Length);
            }

            cached = true;
            entry.Charge = charge;
            entry.Flags |= CacheEntryFlags.InCache;
            _usage += charge;
            _pinned += charge;
            _inserts++;

            int old = Find(tableId, offset, hash);
            if (old != Sentinel)
            {
                TableRemove(old);
                if (_entries[old].Refs == 0)
                {
                    LruRemove(old);
                    _usage -= _entries[old].Charge;
                    FreeEntry(old);
                }
            }

            TableAdd(index);
            return new CacheHandle(this, index, _entries[index].Generation, block.Pointer, block.Length);
        }
    }

    /// <summary>Releases a reference; the last one lists the entry again, or frees it if it left the table.</summary>
    /// <exception cref="InvalidOperationException">The handle is stale or was released already.</exception>
    public void Release(in CacheHandle handle)
    {
        lock (_lock)
        {
            int index = handle.Slot;
            if ((uint)index >= (uint)_unusedSlots || index == Sentinel)
            {
                throw StaleHandle();
            }

            ref CacheEntry entry = ref _entries[index];
            if (entry.Generation != handle.Generation || entry.Refs <= 0 || !entry.Has(CacheEntryFlags.InUse))
            {
                throw StaleHandle();
            }

            if (--entry.Refs > 0)
            {
                return;
            }

            _pinned -= entry.Charge;
            if (entry.Has(CacheEntryFlags.InCache))
            {
                if (_usage <= _capacity && !_disposed)
                {
                    LruInsert(index);
                    return;
                }

                // Over capacity (only referenced entries were left to evict): drop it rather than list it.
                TableRemove(index);
                _evictions++;
            }

            _usage -= entry.Charge;
            FreeEntry(index);
        }
    }

    /// <summary>Sets the bytes reserved in this shard, evicting to make room.</summary>
    public void SetReserved(long reserved)
    {
        lock (_lock)
        {
            _usage += reserved - _reserved;
            _reserved = reserved;
            EvictFromLru(0);
        }
    }

    /// <summary>Sets the shard's capacity, evicting to fit.</summary>
    public void SetCapacity(long capacity)
    {
        lock (_lock)
        {
            _capacity = capacity;
            _highPoolCapacity = (long)(capacity * _highPriorityPoolRatio);
            EvictFromLru(0);
            MaintainPoolSize();
        }
    }

    /// <summary>Frees every unreferenced entry; referenced ones are freed at their last release.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_entries[Sentinel].Next != Sentinel)
            {
                Evict(_entries[Sentinel].Next);
            }
        }
    }

    /// <summary>Adds the shard's figures to <paramref name="totals"/>.</summary>
    public void AddStatistics(ref ShardTotals totals)
    {
        lock (_lock)
        {
            totals.Usage += _usage;
            totals.Pinned += _pinned;
            totals.Entries += _count;
            totals.Inserts += _inserts;
            totals.InsertFailures += _insertFailures;
            totals.Evictions += _evictions;
            for (int kind = 0; kind < BlockKindCount; kind++)
            {
                totals.Hits[kind] += _hits[kind];
                totals.Misses[kind] += _misses[kind];
            }
        }
    }

    private static InvalidOperationException StaleHandle() =>
        new("The cache handle was already released, or does not belong to this cache.");

    private void EvictFromLru(long charge)
    {
        while (_usage + charge > _capacity && _entries[Sentinel].Next != Sentinel)
        {
            Evict(_entries[Sentinel].Next);
        }
    }

    private void Evict(int index)
    {
        Debug.Assert(_entries[index].Refs == 0 && _entries[index].Has(CacheEntryFlags.InCache));
        LruRemove(index);
        TableRemove(index);
        _usage -= _entries[index].Charge;
        _evictions++;
        FreeEntry(index);
    }

    /// <summary>Frees the block and the slot of an entry that is in neither the table nor the LRU list.</summary>
    private void FreeEntry(int index)
    {
        ref CacheEntry entry = ref _entries[index];
        _allocator.Free(entry.Pointer, entry.AllocatedLength);
        entry.Pointer = 0;
        entry.Flags = CacheEntryFlags.None;
        entry.Generation++;
        entry.HashNext = _freeSlots;
        _freeSlots = index;
    }

    private void LruInsert(int index)
    {
        ref CacheEntry entry = ref _entries[index];
        Debug.Assert(entry.Prev == Sentinel && entry.Next == Sentinel && entry.Refs == 0);
        if (_highPriorityPoolRatio > 0 && (entry.Flags & (CacheEntryFlags.HighPriority | CacheEntryFlags.HasHit)) != 0)
        {
            // Newest of the whole list.
            LinkAfter(index, _entries[Sentinel].Prev);
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
        ref CacheEntry entry = ref _entries[index];
        int next = _entries[previous].Next;
        entry.Prev = previous;
        entry.Next = next;
        _entries[previous].Next = index;
        _entries[next].Prev = index;
    }

    private void LruRemove(int index)
    {
        ref CacheEntry entry = ref _entries[index];
        if (_lowPriNewest == index)
        {
            _lowPriNewest = entry.Prev;
        }

        _entries[entry.Prev].Next = entry.Next;
        _entries[entry.Next].Prev = entry.Prev;
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
            _lowPriNewest = _entries[_lowPriNewest].Next;
            Debug.Assert(_lowPriNewest != Sentinel);
            ref CacheEntry demoted = ref _entries[_lowPriNewest];
            Debug.Assert(demoted.Has(CacheEntryFlags.InHighPool));
            demoted.Flags &= ~CacheEntryFlags.InHighPool;
            _highPoolUsage -= demoted.Charge;
        }
    }
}
