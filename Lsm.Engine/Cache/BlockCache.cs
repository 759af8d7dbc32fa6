#pragma warning disable CS1591, CA1822 // TEMPORARY stand-in for the cache branch
using System.Runtime.InteropServices;
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

    private sealed class Entry { public nint Ptr; public int Len; public int Refs; public bool InCache; public uint Gen; public LinkedListNode<(ulong, ulong)>? Node; }
    private readonly Dictionary<(ulong, ulong), Entry> _map = new();
    private readonly List<Entry> _slots = new();
    private readonly LinkedList<(ulong, ulong)> _lru = new();
    private readonly object _l = new();
    private long _usage, _pinned, _reserved, _nextId, _hits, _misses;

    public long Capacity => Options.Capacity;
    public long Usage { get { lock (_l) { return _usage + _reserved; } } }
    public long PinnedUsage { get { lock (_l) { return _pinned; } } }
    public BlockCacheStatistics GetStatistics() { lock (_l) { return new BlockCacheStatistics { Capacity = Capacity, Usage = _usage + _reserved, PinnedUsage = _pinned, Hits = _hits, Misses = _misses, Entries = _map.Count, ReservedBytes = _reserved }; } }
    internal ulong NewTableId() => (ulong)Interlocked.Increment(ref _nextId);
    internal unsafe bool TryGet(ulong tableId, ulong offset, BlockKind kind, out CacheHandle handle)
    {
        lock (_l)
        {
            if (_map.TryGetValue((tableId, offset), out Entry? e))
            {
                _hits++;
                if (e.Refs++ == 0) { _pinned += e.Len; }
                if (e.Node is not null) { _lru.Remove(e.Node); _lru.AddFirst(e.Node); }
                handle = new CacheHandle(_l, _slots.IndexOf(e), e.Gen, e.Ptr, e.Len);
                return true;
            }
            _misses++;
            handle = default;
            return false;
        }
    }
    internal unsafe NativeBlock Allocate(int length) => new((nint)NativeMemory.Alloc((nuint)Math.Max(1, length)), length, length);
    internal unsafe void Free(NativeBlock block) => NativeMemory.Free((void*)block.Pointer);
    internal CacheHandle Insert(ulong tableId, ulong offset, BlockKind kind, CachePriority priority, NativeBlock block)
    {
        lock (_l)
        {
            var e = new Entry { Ptr = block.Pointer, Len = block.Length, Refs = 1, InCache = true };
            if (_map.Remove((tableId, offset), out Entry? old)) { old.InCache = false; if (old.Node is not null) { _lru.Remove(old.Node); } _usage -= old.Len; if (old.Refs == 0) { Free(new NativeBlock(old.Ptr, old.Len, old.Len)); } }
            _map[(tableId, offset)] = e;
            e.Node = _lru.AddFirst((tableId, offset));
            _slots.Add(e);
            _usage += e.Len; _pinned += e.Len;
            while (_usage > Capacity && _lru.Last is { } last && last.Value != (tableId, offset))
            {
                Entry v = _map[last.Value];
                if (v.Refs > 0) { break; }
                _map.Remove(last.Value); _lru.RemoveLast(); v.InCache = false; _usage -= v.Len; v.Gen++; Free(new NativeBlock(v.Ptr, v.Len, v.Len));
            }
            return new CacheHandle(_l, _slots.Count - 1, e.Gen, e.Ptr, e.Len);
        }
    }
    internal void Release(CacheHandle handle)
    {
        lock (_l)
        {
            Entry e = _slots[handle.Slot];
            if (e.Gen != handle.Generation || e.Refs <= 0) { throw new InvalidOperationException("released twice"); }
            if (--e.Refs == 0) { _pinned -= e.Len; if (!e.InCache) { e.Gen++; Free(new NativeBlock(e.Ptr, e.Len, e.Len)); } }
        }
    }
    internal void Reserve(long bytes) { lock (_l) { _reserved += bytes; } }
    internal void Unreserve(long bytes) { lock (_l) { _reserved -= bytes; } }

    /// <summary>Frees every slab. Every handle must have been released; blocks still referenced are leaked, not freed under their readers.</summary>
    public void Dispose()
    {
    }
}
