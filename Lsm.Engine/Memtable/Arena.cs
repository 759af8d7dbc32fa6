using System.Diagnostics;
using System.Runtime.InteropServices;
using Lsm.Engine.Memory;

namespace Lsm.Engine.Memtable;

/// <summary>
/// A bump allocator over large chunks of native memory: the storage of one memtable. Everything a
/// memtable holds (skip-list nodes, keys, values) lives here, addressed by raw pointer, so the garbage
/// collector never sees a per-entry object and never scans or counts memtable data.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> One writer calls <see cref="Allocate"/> (the memtable's caller serializes
/// writes). Any number of readers may read memory already handed out, concurrently with the writer:
/// chunks never move and are never reused until <see cref="Dispose"/>. <see cref="MemoryUsage"/> and
/// <see cref="AllocatedBytes"/> may be read from any thread. <see cref="Dispose"/> requires that no
/// writer and no reader is active (the memtable's reference count guarantees it).</para>
/// <para><b>Why native memory rather than pinned <c>byte[]</c> chunks.</b> (1) A node's successor is
/// then a plain 8-byte address, one load away, as in leveldb; with arrays it would be a (chunk, offset)
/// pair and an extra indirection through a chunk table on every hop of every search. (2) Pinned arrays
/// live on the pinned object heap, are counted in the GC heap size and the gen2 budget, and are only
/// reclaimed by a full collection; a database with 64 MiB write buffers and several immutable memtables
/// would drive gen2 collections by sheer size. Native chunks are invisible to the GC and freed
/// deterministically when the last reference to the memtable goes. The price is that use after
/// <see cref="Dispose"/> is a crash rather than an exception; the memtable's <c>Ref</c>/<c>Unref</c>
/// discipline is what prevents it.</para>
/// <para>There is deliberately no finalizer: a finalizer could free a chunk while a span taken from an
/// iterator (whose owner the JIT already considers dead) still points into it. Forgetting to dispose
/// leaks the chunks; it never corrupts.</para>
/// <para><b>Invariants.</b> (1) Every pointer returned by <see cref="Allocate"/> is 8-byte aligned and
/// stays valid, unmoved, until <see cref="Dispose"/>. (2) <see cref="AllocatedBytes"/> &lt;=
/// <see cref="MemoryUsage"/>. (3) Requests larger than a quarter of a chunk get a chunk of their own,
/// so at most a quarter of each regular chunk is wasted at its end (leveldb's rule).</para>
/// <para><b>Huge pages.</b> A memtable is searched at random addresses (every skip-list hop is a cache
/// miss), so with 4 KiB pages nearly every hop is also a TLB miss, and under a hypervisor a TLB miss is a
/// two-dimensional page walk. On Linux, regular chunks of at least <see cref="HugeRegionMinChunkSize"/>
/// that divide 2 MiB are therefore carved from 2 MiB-aligned anonymous mappings advised
/// <c>MADV_HUGEPAGE</c> (transparent huge pages in <c>madvise</c> mode, the common default), so one TLB
/// entry covers two 1 MiB chunks. <see cref="MemoryUsage"/> still counts chunks as they are handed out,
/// so when a memtable is full does not change; the region's unused rest (at most one chunk) is reserved
/// but not counted. Smaller chunks (small write buffers) and other systems use plain aligned allocations.
/// If the kernel declines the advice the region simply stays in small pages.</para>
/// </remarks>
internal sealed unsafe partial class Arena : IDisposable
{
    /// <summary>The default chunk size: 1 MiB, so a 64 MiB write buffer is 64 chunks.</summary>
    public const int DefaultChunkSize = 1 << 20;

    /// <summary>The smallest accepted chunk size.</summary>
    public const int MinChunkSize = 4096;

    /// <summary>Alignment of every allocation: enough for the 8-byte atomic loads and stores of node links.</summary>
    public const int Alignment = 8;

    /// <summary>The smallest chunk carved from huge-page regions: 256 KiB (write buffers of 2 MiB and more).</summary>
    public const int HugeRegionMinChunkSize = 256 * 1024;

    /// <summary>Alignment of chunk starts: a cache line.</summary>
    private const int ChunkAlignment = 64;

    /// <summary>Size and alignment of a huge-page region: one x86-64/arm64 transparent huge page.</summary>
    private const int HugeRegionSize = 2 << 20;

    private readonly int _chunkSize;
    private readonly bool _useHugeRegions;
    private readonly MemtableMemoryTracker? _tracker; // charged each chunk as it is taken, released at Dispose
    private readonly List<nint> _chunks = new(16); // from NativeMemory.AlignedAlloc: freed one by one
    private readonly List<nint> _regions = [];     // huge-page regions of HugeRegionSize: unmapped one by one
    private byte* _regionCursor;                   // the next chunk of the current region
    private int _regionRemaining;
    private int _chunkCount;
    private byte* _cursor;
    private int _remaining;
    private long _memoryUsage;
    private long _allocatedBytes;
    private bool _disposed;

    /// <summary>Creates an empty arena; no memory is reserved until the first allocation.</summary>
    /// <param name="chunkSize">The size of regular chunks, at least <see cref="MinChunkSize"/>. Default: 1 MiB.</param>
    /// <param name="hugePages">Whether chunks may come from huge-page regions (see remarks). Default: true; false to measure without.</param>
    /// <param name="tracker">Where each chunk is charged as it is taken (a write buffer manager's), released at <see cref="Dispose"/>; null: none.</param>
    public Arena(int chunkSize = DefaultChunkSize, bool hugePages = true, MemtableMemoryTracker? tracker = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, MinChunkSize);
        _chunkSize = chunkSize;
        _tracker = tracker;
        _useHugeRegions = hugePages && OperatingSystem.IsLinux() && chunkSize >= HugeRegionMinChunkSize && HugeRegionSize % chunkSize == 0;
    }

    /// <summary>Whether regular chunks are carved from huge-page regions.</summary>
    public bool UsesHugeRegions => _useHugeRegions;

    /// <summary>The size of a regular chunk.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Bytes reserved from the operating system: the sum of all chunk sizes.</summary>
    public long MemoryUsage => Volatile.Read(ref _memoryUsage);

    /// <summary>Bytes handed out by <see cref="Allocate"/>, excluding alignment padding and chunk tails.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    /// <summary>Number of chunks reserved so far, regular and oversized.</summary>
    public int ChunkCount => _chunkCount;

    /// <summary>Returns <paramref name="size"/> bytes of uninitialized, 8-byte-aligned memory.</summary>
    /// <param name="size">The number of bytes, greater than zero.</param>
    /// <returns>A pointer valid until the arena is disposed.</returns>
    /// <remarks>REQUIRES: the caller is the only writer; the arena is not disposed.</remarks>
    public byte* Allocate(int size)
    {
        Debug.Assert(!_disposed, "allocation from a disposed arena");
        Debug.Assert(size > 0, "empty allocation");
        int padding = (int)(-(nint)_cursor & (Alignment - 1));
        byte* result;
        if (size + (long)padding <= _remaining)
        {
            result = _cursor + padding;
            _cursor = result + size;
            _remaining -= size + padding;
        }
        else if (size > _chunkSize / 4)
        {
            // Oversized: its own chunk, and the current chunk keeps serving small requests.
            result = NewChunk(size);
        }
        else
        {
            result = NewChunk(_chunkSize);
            _cursor = result + size;
            _remaining = _chunkSize - size;
        }

        Volatile.Write(ref _allocatedBytes, _allocatedBytes + size);
        return result;
    }

    /// <summary>Frees every chunk.</summary>
    /// <remarks>REQUIRES: no reader holds a pointer or span into the arena any more.</remarks>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (nint chunk in _chunks)
        {
            NativeMemory.AlignedFree((void*)chunk);
        }

        foreach (nint region in _regions)
        {
            int unmapped = Munmap((void*)region, HugeRegionSize);
            Debug.Assert(unmapped == 0, "munmap of an arena region failed");
        }

        _chunks.Clear();
        _regions.Clear();
        _chunkCount = 0;
        _regionCursor = null;
        _regionRemaining = 0;
        _cursor = null;
        _remaining = 0;
        _tracker?.Release();
    }

    private byte* NewChunk(int size)
    {
        byte* chunk = null;
        if (_useHugeRegions && size == _chunkSize)
        {
            if (_regionRemaining == 0)
            {
                byte* region = MapHugeRegion();
                if (region != null)
                {
                    _regions.Add((nint)region);
                    _regionCursor = region;
                    _regionRemaining = HugeRegionSize;
                }
            }

            if (_regionRemaining >= size)
            {
                chunk = _regionCursor;
                _regionCursor += size;
                _regionRemaining -= size;
            }
        }

        if (chunk == null)
        {
            chunk = (byte*)NativeMemory.AlignedAlloc((nuint)size, ChunkAlignment);
            _chunks.Add((nint)chunk);
        }

        _chunkCount++;
        Volatile.Write(ref _memoryUsage, _memoryUsage + size);
        _tracker?.Charge(size);
        return chunk;
    }

    /// <summary>
    /// Maps a 2 MiB-aligned, 2 MiB anonymous region advised <c>MADV_HUGEPAGE</c>: reserves twice the size
    /// and unmaps the misaligned head and the tail. Returns null if the mapping fails (the caller falls
    /// back to a plain chunk).
    /// </summary>
    private static byte* MapHugeRegion()
    {
        const int ProtReadWrite = 0x1 | 0x2;
        const int MapPrivateAnonymous = 0x02 | 0x20;
        const int MadvHugePage = 14;
        nuint reserve = 2 * (nuint)HugeRegionSize;
        byte* raw = (byte*)Mmap(null, reserve, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (raw == (byte*)-1)
        {
            return null;
        }

        byte* region = (byte*)(((nuint)raw + HugeRegionSize - 1) & ~((nuint)HugeRegionSize - 1));
        nuint head = (nuint)(region - raw);
        // Trimming can only fail for lack of memory to split the mapping; the excess then stays reserved, unused.
        if (head > 0)
        {
            _ = Munmap(raw, head);
        }

        _ = Munmap(region + HugeRegionSize, (nuint)HugeRegionSize - head);
        _ = Madvise(region, HugeRegionSize, MadvHugePage); // advice only: small pages if declined
        return region;
    }

    [LibraryImport("libc", EntryPoint = "mmap")]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
