using System.Runtime.CompilerServices;
using Lsm.Engine.Cache;

namespace Lsm.Engine;

/// <summary>
/// A cache of uncompressed table blocks in native memory, sharded, with least-recently-used eviction and a
/// high-priority pool for index and filter blocks (RocksDB's <c>LRUCache</c>) or CLOCK eviction with a head start for
/// them (<see cref="BlockCacheOptions.Policy"/>). One cache may be shared by several databases and column families
/// (set it in <see cref="TableOptions.BlockCache"/>), as Flink shares one per slot.
/// </summary>
/// <remarks>
/// <para><b>Shards.</b> A block's key is (table id, offset); its 64-bit hash picks one of 2^<c>ShardBits</c>
/// shards, each with its own lock, its equal share of the capacity and its own eviction state (see
/// <see cref="CacheShard"/> for the rules both policies share, <see cref="LruCacheShard"/> and
/// <see cref="ClockCacheShard"/> for each policy's). Capacity and reservations are split over the shards exactly, so
/// their shares add up to the whole.</para>
/// <para><b>Memory.</b> Blocks live in chunks of pooled native slabs (<see cref="NativeSlabAllocator"/>). An entry is
/// charged its chunk size plus <see cref="PerEntryOverhead"/>; <see cref="BlockCacheStatistics.NativeBytes"/> is
/// what the slabs and large blocks take from the system.</para>
/// <para><b>Thread safety.</b> Every member may be called from any thread. A lookup that hits and its release
/// allocate nothing.</para>
/// <para><b>Dispose.</b> Frees every unreferenced block and the empty slabs; lookups, inserts, allocations and
/// reservations then throw <see cref="ObjectDisposedException"/>. A block still referenced is not freed under its
/// reader: its release after the dispose frees it (and its slab, once empty), and <see cref="Free"/> still returns
/// memory. A handle never released leaks its block and slab, never anything else.</para>
/// </remarks>
public sealed class BlockCache : IDisposable
{
    /// <summary>
    /// Bytes charged per entry on top of its block's allocation: the entry's 64-byte record in its shard's entry array
    /// (key, pointer, lengths, charge, references, generation, list links, flags, count) and its share of the hash buckets.
    /// </summary>
    public const int PerEntryOverhead = 80;

    /// <summary>RocksDB's minimum shard size for the automatic shard count: 512 KiB.</summary>
    private const long MinShardSize = 512 * 1024;

    /// <summary>RocksDB's largest automatic shard count: 2^6.</summary>
    private const int MaxAutomaticShardBits = 6;

    private readonly CacheShard[] _shards;
    private readonly int _shardMask;
    private readonly NativeSlabAllocator _allocator;
    private readonly Lock _sizeLock = new();
    private long _capacity;
    private long _reserved;
    private ulong _lastTableId;
    private volatile bool _disposed;

    /// <summary>Creates a cache of <paramref name="capacity"/> bytes with default options.</summary>
    public BlockCache(long capacity)
        : this(new BlockCacheOptions { Capacity = capacity })
    {
    }

    /// <summary>Creates a cache.</summary>
    public BlockCache(BlockCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _capacity = options.Capacity;
        int shardBits = options.ShardBits >= 0 ? options.ShardBits : DefaultShardBits(options.Capacity);
        _shardMask = (1 << shardBits) - 1;
        // Keep up to 1/16 of the capacity in empty slabs, between 1 and 16 slabs.
        int pooledSlabs = (int)Math.Clamp(options.Capacity / 16 / NativeSlabAllocator.SlabSize, 1, 16);
        _allocator = new NativeSlabAllocator(pooledSlabs);
        _shards = new CacheShard[1 << shardBits];
        for (int i = 0; i < _shards.Length; i++)
        {
            long share = ShareOf(options.Capacity, i);
            _shards[i] = options.Policy == BlockCachePolicy.Clock
                ? new ClockCacheShard(this, _allocator, share, options.StrictCapacityLimit, options.HighPriorityPoolRatio)
                : new LruCacheShard(this, _allocator, share, options.StrictCapacityLimit, options.HighPriorityPoolRatio);
        }
    }

    /// <summary>The options the cache was created with.</summary>
    public BlockCacheOptions Options { get; }

    /// <summary>The capacity in bytes (<see cref="BlockCacheOptions.Capacity"/>, or the last <see cref="SetCapacity"/>).</summary>
    public long Capacity => Interlocked.Read(ref _capacity);

    /// <summary>Bytes charged by the entries in the cache, reservations included.</summary>
    public long Usage => SumOverShards(pinned: false);

    /// <summary>Bytes charged by entries readers hold.</summary>
    public long PinnedUsage => SumOverShards(pinned: true);

    /// <summary>The number of shards.</summary>
    internal int ShardCount => _shards.Length;

    /// <summary>The allocator the blocks come from.</summary>
    internal NativeSlabAllocator Allocator => _allocator;

    /// <summary>
    /// Changes the capacity (RocksDB's <c>SetCapacity</c>), evicting unreferenced blocks until the cache fits. The
    /// high-priority pool keeps its ratio of the new capacity.
    /// </summary>
    public void SetCapacity(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_sizeLock)
        {
            Interlocked.Exchange(ref _capacity, capacity);
            for (int i = 0; i < _shards.Length; i++)
            {
                _shards[i].SetCapacity(ShareOf(capacity, i));
            }
        }
    }

    /// <summary>The cache's figures now.</summary>
    public BlockCacheStatistics GetStatistics()
    {
        ShardTotals totals = default;
        totals.Hits = new long[(int)BlockKind.Reservation + 1];
        totals.Misses = new long[(int)BlockKind.Reservation + 1];
        foreach (CacheShard shard in _shards)
        {
            shard.AddStatistics(ref totals);
        }

        long hits = 0;
        long misses = 0;
        for (int kind = 0; kind < totals.Hits.Length; kind++)
        {
            hits += totals.Hits[kind];
            misses += totals.Misses[kind];
        }

        return new BlockCacheStatistics
        {
            Capacity = Capacity,
            Usage = totals.Usage,
            PinnedUsage = totals.Pinned,
            ReservedBytes = Interlocked.Read(ref _reserved),
            NativeBytes = _allocator.NativeBytes,
            Entries = totals.Entries,
            Hits = hits,
            Misses = misses,
            Inserts = totals.Inserts,
            InsertFailures = totals.InsertFailures,
            Evictions = totals.Evictions,
            DataHits = totals.Hits[(int)BlockKind.Data],
            DataMisses = totals.Misses[(int)BlockKind.Data],
            IndexHits = totals.Hits[(int)BlockKind.Index],
            IndexMisses = totals.Misses[(int)BlockKind.Index],
            FilterHits = totals.Hits[(int)BlockKind.Filter],
            FilterMisses = totals.Misses[(int)BlockKind.Filter],
        };
    }

    /// <summary>A key prefix no other table reader of this cache uses: each table reader takes one at open.</summary>
    internal ulong NewTableId() => Interlocked.Increment(ref _lastTableId);

    /// <summary>
    /// Looks up the block at <paramref name="offset"/> of table <paramref name="tableId"/>; on a hit takes a reference
    /// (marking the entry used, as its policy does) and counts a hit of <paramref name="kind"/>, on a miss counts a miss.
    /// </summary>
    internal bool TryGet(ulong tableId, ulong offset, BlockKind kind, out CacheHandle handle)
    {
        ulong hash = Hash(tableId, offset);
        return ShardOf(hash).TryGet(tableId, offset, (uint)hash, kind, out handle);
    }

    /// <summary>Allocates native memory for a block of <paramref name="length"/> bytes about to be inserted.</summary>
    internal NativeBlock Allocate(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _allocator.Allocate(length);
    }

    /// <summary>Frees memory from <see cref="Allocate"/> that was not inserted (the read failed).</summary>
    internal void Free(NativeBlock block) => _allocator.Free(block.Pointer, block.AllocatedLength);

    /// <summary>
    /// Inserts a filled block under (<paramref name="tableId"/>, <paramref name="offset"/>), taking ownership of its
    /// memory, and returns a reference to it (replacing an entry with the same key, which is freed once its last
    /// reference is released). When <see cref="BlockCacheOptions.StrictCapacityLimit"/> refuses the insert, the block
    /// is not cached and the handle is its only reference: the release frees it.
    /// </summary>
    /// <remarks><paramref name="kind"/> is not counted by an insert; it documents the call.</remarks>
    internal CacheHandle Insert(ulong tableId, ulong offset, BlockKind kind, CachePriority priority, NativeBlock block) =>
        Insert(tableId, offset, kind, priority, block, out _);

    /// <summary>
    /// <see cref="Insert(ulong, ulong, BlockKind, CachePriority, NativeBlock)"/>, saying whether the block was cached
    /// (false: a strict limit refused it, and the handle is its only reference).
    /// </summary>
    internal CacheHandle Insert(ulong tableId, ulong offset, BlockKind kind, CachePriority priority, NativeBlock block, out bool cached)
    {
        _ = kind;
        ulong hash = Hash(tableId, offset);
        return ShardOf(hash).Insert(tableId, offset, (uint)hash, priority, block, out cached);
    }

    /// <summary>Releases a reference taken by <see cref="TryGet"/> or <see cref="Insert(ulong, ulong, BlockKind, CachePriority, NativeBlock)"/>.</summary>
    /// <exception cref="InvalidOperationException">The handle was already released, or is not this cache's.</exception>
    /// <remarks>
    /// A second release is caught when the entry has no reference left or its slot was freed (the generation
    /// changed); while another reader still holds the same entry it cannot be told from that reader's release.
    /// </remarks>
    internal void Release(CacheHandle handle)
    {
        if (handle.Owner is not CacheShard shard || !ReferenceEquals(shard.Cache, this))
        {
            throw new InvalidOperationException("The cache handle is empty or belongs to another cache.");
        }

        shard.Release(handle);
    }

    /// <summary>
    /// Charges <paramref name="bytes"/> to the cache for memory held elsewhere (write buffers charged to the cache, as
    /// RocksDB's WriteBufferManager inserts dummy entries), evicting blocks to make room.
    /// </summary>
    /// <remarks>
    /// The charge is split over the shards as the capacity is. A reservation always succeeds, even under a strict
    /// limit: the cache evicts what it can and is then over capacity by what readers hold and the reservation.
    /// </remarks>
    internal void Reserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_sizeLock)
        {
            SetReserved(_reserved + bytes);
        }
    }

    /// <summary>Returns a <see cref="Reserve"/>d charge.</summary>
    /// <exception cref="InvalidOperationException">More is returned than is reserved.</exception>
    internal void Unreserve(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (_sizeLock)
        {
            if (bytes > _reserved)
            {
                throw new InvalidOperationException($"Unreserving {bytes} bytes but only {_reserved} are reserved.");
            }

            SetReserved(_reserved - bytes);
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> if an invariant of a shard or of the allocator does not hold.</summary>
    internal void CheckInvariants()
    {
        foreach (CacheShard shard in _shards)
        {
            shard.CheckInvariants();
        }

        _allocator.CheckInvariants();
    }

    /// <summary>The shard a key belongs to (for tests).</summary>
    internal CacheShard ShardOf(ulong tableId, ulong offset, out uint hash)
    {
        ulong fullHash = Hash(tableId, offset);
        hash = (uint)fullHash;
        return ShardOf(fullHash);
    }

    /// <summary>Frees every unreferenced block and the empty slabs; see the type's remarks for referenced blocks.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (CacheShard shard in _shards)
        {
            shard.Dispose();
        }

        _allocator.Dispose();
    }

    /// <summary>RocksDB's <c>GetDefaultCacheShardBits</c>: one shard per 512 KiB of capacity, at most 64 shards.</summary>
    internal static int DefaultShardBits(long capacity)
    {
        int bits = 0;
        long shards = capacity / MinShardSize;
        while ((shards >>= 1) != 0)
        {
            if (++bits >= MaxAutomaticShardBits)
            {
                return bits;
            }
        }

        return bits;
    }

    /// <summary>A 64-bit mix of the key (murmur3's finalizer over both halves): the high bits pick the shard, the low ones the bucket.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Hash(ulong tableId, ulong offset)
    {
        ulong h = (tableId * 0x9E3779B97F4A7C15UL) ^ offset;
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private CacheShard ShardOf(ulong hash) => _shards[(int)(hash >> 40) & _shardMask];

    /// <summary>Shard <paramref name="shard"/>'s part of <paramref name="total"/>: equal parts, the remainder to the first shards.</summary>
    private long ShareOf(long total, int shard) => (total / _shards.Length) + (shard < total % _shards.Length ? 1 : 0);

    /// <summary>The shards' usages or pinned usages, each read without its lock.</summary>
    private long SumOverShards(bool pinned)
    {
        long sum = 0;
        foreach (CacheShard shard in _shards)
        {
            sum += pinned ? shard.PinnedUsage : shard.Usage;
        }

        return sum;
    }

    private void SetReserved(long reserved)
    {
        Interlocked.Exchange(ref _reserved, reserved);
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i].SetReserved(ShareOf(reserved, i));
        }
    }
}
