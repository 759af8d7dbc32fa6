using Lsm.Engine.Cache;

namespace Lsm.Engine;

/// <summary>
/// A cache of uncompressed table blocks in native memory, sharded, with least-recently-used eviction and a
/// high-priority pool for index and filter blocks (RocksDB's <c>LRUCache</c>). One cache may be shared by several
/// databases and column families (set it in <see cref="TableOptions.BlockCache"/>), as Flink shares one per slot.
/// </summary>
/// <remarks>
/// SKELETON: the contract the table readers are written against; the implementation lands with the cache.
/// </remarks>
public sealed class BlockCache : IDisposable
{
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
    }

    /// <summary>The options the cache was created with.</summary>
    public BlockCacheOptions Options { get; }

    /// <summary>The capacity in bytes.</summary>
    public long Capacity => throw new NotImplementedException();

    /// <summary>Bytes charged by the entries in the cache, reservations included.</summary>
    public long Usage => throw new NotImplementedException();

    /// <summary>Bytes charged by entries readers hold.</summary>
    public long PinnedUsage => throw new NotImplementedException();

    /// <summary>The cache's figures now.</summary>
    public BlockCacheStatistics GetStatistics() => throw new NotImplementedException();

    /// <summary>A key prefix no other table reader of this cache uses: each table reader takes one at open.</summary>
    internal ulong NewTableId() => throw new NotImplementedException();

    /// <summary>
    /// Looks up the block at <paramref name="offset"/> of table <paramref name="tableId"/>; on a hit takes a reference
    /// (marking the entry most recently used) and counts a hit of <paramref name="kind"/>, on a miss counts a miss.
    /// </summary>
    internal bool TryGet(ulong tableId, ulong offset, BlockKind kind, out CacheHandle handle) => throw new NotImplementedException();

    /// <summary>Allocates native memory for a block of <paramref name="length"/> bytes about to be inserted.</summary>
    internal NativeBlock Allocate(int length) => throw new NotImplementedException();

    /// <summary>Frees memory from <see cref="Allocate"/> that was not inserted (the read failed).</summary>
    internal void Free(NativeBlock block) => throw new NotImplementedException();

    /// <summary>
    /// Inserts a filled block under (<paramref name="tableId"/>, <paramref name="offset"/>), taking ownership of its
    /// memory, and returns a reference to it (replacing an entry with the same key, which is freed once its last
    /// reference is released). When <see cref="BlockCacheOptions.StrictCapacityLimit"/> refuses the insert, the block
    /// is not cached and the handle is its only reference: the release frees it.
    /// </summary>
    internal CacheHandle Insert(ulong tableId, ulong offset, BlockKind kind, CachePriority priority, NativeBlock block) => throw new NotImplementedException();

    /// <summary>Releases a reference taken by <see cref="TryGet"/> or <see cref="Insert"/>.</summary>
    /// <exception cref="InvalidOperationException">The handle was already released, or is not this cache's.</exception>
    internal void Release(CacheHandle handle) => throw new NotImplementedException();

    /// <summary>
    /// Charges <paramref name="bytes"/> to the cache for memory held elsewhere (write buffers charged to the cache, as
    /// RocksDB's WriteBufferManager inserts dummy entries), evicting blocks to make room.
    /// </summary>
    internal void Reserve(long bytes) => throw new NotImplementedException();

    /// <summary>Returns a <see cref="Reserve"/>d charge.</summary>
    internal void Unreserve(long bytes) => throw new NotImplementedException();

    /// <summary>Frees every slab. Every handle must have been released; blocks still referenced are leaked, not freed under their readers.</summary>
    public void Dispose()
    {
    }
}
