using System.Diagnostics;

namespace Lsm.Engine.Cache;

/// <summary>
/// One shard of a <see cref="BlockCache"/>: a hash table of blocks in native memory with references, charges,
/// strict or soft capacity, reservations and counters; which unreferenced entry to evict is left to the policy, a
/// subclass (<see cref="LruCacheShard"/>, <see cref="ClockCacheShard"/>).
/// </summary>
/// <remarks>
/// <para><b>Structure.</b> Every slot of <c>Entries</c> but 0 is a <see cref="CacheEntry"/> in use or free (free slots
/// are chained through <see cref="CacheEntry.HashNext"/>, newest first). The hash table is an array of bucket heads
/// chained through <see cref="CacheEntry.HashNext"/>; it doubles when it holds as many entries as buckets.</para>
/// <para><b>Rules shared by the policies</b> (RocksDB's). A referenced entry is never evicted. An insert asks the
/// policy to evict until it fits; if it still does not fit, it fails under a strict limit (the block goes to the
/// caller in a detached slot, freed at its release) and otherwise goes in anyway (the overshoot is made of
/// referenced entries and reservations only). A last release while the shard is over capacity, or after dispose,
/// drops the entry instead of handing it back to the policy. A block replaced or dropped while referenced keeps its
/// memory, and its charge, until its last release, which frees it.</para>
/// <para><b>Thread safety.</b> Every operation takes the shard's lock, and the policy's hooks run under it; blocks are
/// freed to the allocator under it (the allocator's locks come after the shard's, never before). Counters are plain
/// fields written under the lock; <see cref="Usage"/> and <see cref="PinnedUsage"/> may be read without it.</para>
/// <para><b>Invariants</b> (<see cref="CheckInvariants"/>, then the policy's own). (1) <c>Usage</c> = the reservation
/// + the charges of the entries in the table + the charges of referenced entries out of it. (2) <c>Pinned</c> = the
/// charges of the entries with references. (3) An entry out of the table has a reference. (4) The policy holds an
/// evictable entry only when <c>Usage</c> ≤ <c>Capacity</c>.</para>
/// </remarks>
internal abstract partial class CacheShard
{
    /// <summary>Index 0: no entry (the end of every chain).</summary>
    protected const int None = 0;

    private const int BlockKindCount = (int)BlockKind.Reservation + 1;

    private readonly Lock _lock = new();
    private readonly NativeSlabAllocator _allocator;
    private readonly bool _strictCapacityLimit;
    private readonly long[] _hits = new long[BlockKindCount];
    private readonly long[] _misses = new long[BlockKindCount];

    private int[] _buckets;
    private int _freeSlots; // head of the free-slot chain, 0 when empty
    private int _count;
    private long _usage;
    private long _pinned;
    private long _reserved;
    private long _inserts;
    private long _insertFailures;
    private long _evictions;
    private bool _disposed;

    /// <summary>Creates a shard of <paramref name="capacity"/> bytes.</summary>
    protected CacheShard(BlockCache cache, NativeSlabAllocator allocator, long capacity, bool strictCapacityLimit)
    {
        Cache = cache;
        _allocator = allocator;
        _strictCapacityLimit = strictCapacityLimit;
        Capacity = capacity;
        Entries = new CacheEntry[16];
        UnusedSlots = 1;
        _buckets = new int[16];
    }

    /// <summary>The cache the shard belongs to: a handle of another cache is refused by its owner's check.</summary>
    public BlockCache Cache { get; }

    /// <summary>Bytes charged, reservation included.</summary>
    public long Usage => Volatile.Read(ref _usage);

    /// <summary>Bytes charged by referenced entries.</summary>
    public long PinnedUsage => Volatile.Read(ref _pinned);

    /// <summary>The slots; 0 is never an entry. Replaced when it grows: never keep a reference across a <see cref="TakeSlot"/>.</summary>
    protected CacheEntry[] Entries { get; private set; }

    /// <summary>Slots from here to the end of <see cref="Entries"/> were never used.</summary>
    protected int UnusedSlots { get; private set; }

    /// <summary>The shard's share of the cache's capacity.</summary>
    protected long Capacity { get; private set; }

    /// <summary>The shard's lock: every operation and hook runs under it.</summary>
    protected Lock SyncRoot => _lock;

    /// <summary>Whether the cache was disposed: last releases then free their entries.</summary>
    protected bool Disposed => _disposed;

    /// <summary>Whether the charges exceed the capacity, with <paramref name="charge"/> more.</summary>
    protected bool OverCapacity(long charge) => _usage + charge > Capacity;

    /// <summary>Looks up a block; on a hit takes a reference and tells the policy.</summary>
    public bool TryGet(ulong tableId, ulong offset, uint hash, BlockKind kind, out CacheHandle handle)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, Cache);
            int index = Find(tableId, offset, hash);
            if (index == None)
            {
                _misses[(int)kind]++;
                handle = default;
                return false;
            }

            ref CacheEntry entry = ref Entries[index];
            OnHit(ref entry, index);
            if (entry.Refs++ == 0)
            {
                _pinned += entry.Charge;
            }

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
            EvictToFit(charge);
            bool refused = OverCapacity(charge) && _strictCapacityLimit;
            int index = TakeSlot();
            ref CacheEntry entry = ref Entries[index];
            entry.TableId = tableId;
            entry.Offset = offset;
            entry.Hash = hash;
            entry.Pointer = block.Pointer;
            entry.Length = block.Length;
            entry.AllocatedLength = block.AllocatedLength;
            entry.Refs = 1;
            entry.Prev = entry.Next = entry.HashNext = None;
            entry.Clock = 0;
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
            if (old != None)
            {
                TableRemove(old);
                if (Entries[old].Refs == 0)
                {
                    OnRemoved(old);
                    _usage -= Entries[old].Charge;
                    FreeEntry(old);
                }
            }

            TableAdd(index);
            OnInserted(ref Entries[index]);
            return new CacheHandle(this, index, Entries[index].Generation, block.Pointer, block.Length);
        }
    }

    /// <summary>Releases a reference; the last one hands the entry back to the policy, or frees it if it left the table.</summary>
    /// <exception cref="InvalidOperationException">The handle is stale or was released already.</exception>
    public void Release(in CacheHandle handle)
    {
        lock (_lock)
        {
            int index = handle.Slot;
            if ((uint)index >= (uint)UnusedSlots || index == None)
            {
                throw StaleHandle();
            }

            ref CacheEntry entry = ref Entries[index];
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
                if (_usage <= Capacity && !_disposed)
                {
                    OnUnreferenced(index);
                    return;
                }

                // Over capacity (only referenced entries were left to evict): drop it rather than keep it.
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
            EvictToFit(0);
        }
    }

    /// <summary>Sets the shard's capacity, evicting to fit.</summary>
    public void SetCapacity(long capacity)
    {
        lock (_lock)
        {
            Capacity = capacity;
            OnCapacityChanged();
        }
    }

    /// <summary>Frees every unreferenced entry; referenced ones are freed at their last release.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            EvictAll();
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

    /// <summary>A lookup found the entry at <paramref name="index"/>, before its reference is taken (its <see cref="CacheEntry.Refs"/> may be 0).</summary>
    protected abstract void OnHit(ref CacheEntry entry, int index);

    /// <summary>A new entry, referenced once by its inserter, entered the table.</summary>
    protected abstract void OnInserted(ref CacheEntry entry);

    /// <summary>The entry's last reference was released while it is in the table and the shard within capacity: it is now evictable.</summary>
    protected abstract void OnUnreferenced(int index);

    /// <summary>An evictable entry (in the table, unreferenced) is about to leave the table and be freed.</summary>
    protected abstract void OnRemoved(int index);

    /// <summary>The capacity changed: evicts to fit it.</summary>
    protected virtual void OnCapacityChanged() => EvictToFit(0);

    /// <summary>Evicts unreferenced entries, in the policy's order, until <paramref name="charge"/> more bytes fit or none is left.</summary>
    protected abstract void EvictToFit(long charge);

    /// <summary>Evicts every unreferenced entry (at dispose).</summary>
    protected abstract void EvictAll();

    /// <summary>Evicts an unreferenced entry of the table: tells the policy, unlinks it, frees it.</summary>
    protected void Evict(int index)
    {
        Debug.Assert(Entries[index].Refs == 0 && Entries[index].Has(CacheEntryFlags.InCache));
        OnRemoved(index);
        TableRemove(index);
        _usage -= Entries[index].Charge;
        _evictions++;
        FreeEntry(index);
    }

    private static InvalidOperationException StaleHandle() =>
        new("The cache handle was already released, or does not belong to this cache.");

    /// <summary>Frees the block and the slot of an entry that is out of the table and unreferenced.</summary>
    private void FreeEntry(int index)
    {
        ref CacheEntry entry = ref Entries[index];
        _allocator.Free(entry.Pointer, entry.AllocatedLength);
        entry.Pointer = 0;
        entry.Flags = CacheEntryFlags.None;
        entry.Generation++;
        entry.HashNext = _freeSlots;
        _freeSlots = index;
    }
}
