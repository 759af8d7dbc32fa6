using Lsm.Engine.Cache;

namespace Lsm.Engine.Table;

/// <summary>
/// What keeps the memory of a block a reader is using: a reference to a block in the <see cref="BlockCache"/>, or
/// a <see cref="BlockBuffer"/> the block was read into when it is not cached.
/// <see cref="TableReader.ReadBlock(BlockHandle, long, BlockKind, ref BlockLease, bool)"/> fills it.
/// </summary>
/// <remarks>
/// Invariants: at most one cache reference is held; a <see cref="Block"/> read through the lease is valid until the
/// lease is next filled, <see cref="Release"/>d or disposed. <see cref="Release"/> gives the cache reference back
/// and keeps the buffer for the next read; <see cref="Dispose"/> also returns the buffer to its pool. A mutable
/// struct, not thread-safe: hold it in a field and pass it by reference.
/// </remarks>
internal struct BlockLease
{
    private BlockCache? _cache;
    private CacheHandle _handle;

    /// <summary>The buffer an uncached block is read into (a field, so callers can pass it by reference).</summary>
    internal BlockBuffer Buffer;

    /// <summary>Takes over a cache reference, releasing the one held before.</summary>
    internal void Hold(BlockCache cache, CacheHandle handle)
    {
        Release();
        _cache = cache;
        _handle = handle;
    }

    /// <summary>Gives the cache reference back (every block read through the lease becomes invalid); the buffer is kept.</summary>
    public void Release()
    {
        if (_handle.IsValid)
        {
            CacheHandle handle = _handle;
            _handle = default;
            _cache!.Release(handle);
        }
    }

    /// <summary>Releases the cache reference and returns the buffer to its pool.</summary>
    public void Dispose()
    {
        Release();
        Buffer.Release();
    }
}
