using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Lsm.Engine.Cache;

/// <summary>
/// The native memory of a <see cref="BlockCache"/>: size-classed chunks carved from pooled slabs, so cached blocks
/// cost the garbage collector nothing and the cache's memory is bounded and measurable (<see cref="NativeBytes"/>).
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> A slab is <see cref="SlabSize"/> bytes from <see cref="NativeMemory.AlignedAlloc"/>, aligned
/// to its size, so a chunk finds its slab by masking its address. The slab's first <see cref="SlabHeaderSize"/>
/// bytes are its <see cref="SlabHeader"/> (size class, chunk count, chunks in use, free list); its chunks follow,
/// all of the one size class, each 16-byte aligned. A free chunk holds the address of the next free chunk of its
/// slab (an intrusive list); chunks never handed out are taken by a bump index, so a slab is ready in O(1).</para>
/// <para><b>Size classes.</b> 16 to 128 bytes in steps of 16, then eight classes per doubling up to
/// <see cref="MaxClassSize"/> (144, 160 … 256, 288 … 512, …, 4096, 4608, 5120 … 32768): above 128 bytes a block
/// wastes less than 1/8 of its chunk (a 4,150-byte data block takes a 4,608-byte chunk). Each slab also loses its
/// tail, less than one chunk (1.5% for 4,608-byte chunks, 12.5% for the 32 KiB class, whose header costs a chunk).
/// Blocks above <see cref="MaxClassSize"/> come straight from <see cref="NativeMemory.Alloc(nuint)"/>.</para>
/// <para><b>Empty slabs.</b> A slab whose last chunk is freed leaves its class for a small pool of empty slabs
/// (at most <c>maxPooledSlabs</c>, the rest go back to the system), from which any class takes its next slab: memory
/// is not stranded in a class the workload no longer uses.</para>
/// <para><b>Thread safety.</b> Every method may be called from any thread. Each size class has its own lock; the
/// empty-slab pool has one too, always taken after a class lock, never before.</para>
/// <para><b>Dispose.</b> Frees the pooled slabs; a slab that still has chunks in use is freed when its last chunk
/// is (never under a holder of a chunk). Allocation after dispose throws <see cref="ObjectDisposedException"/>.</para>
/// <para><b>Invariants.</b> (1) A slab is in its class's partial list exactly when it has chunks in use and free
/// chunks. (2) A slab with no chunk in use is in no class: it is pooled or freed. (3) <see cref="NativeBytes"/> =
/// (slabs in classes + pooled slabs) × <see cref="SlabSize"/> + bytes of large blocks.</para>
/// </remarks>
internal sealed unsafe class NativeSlabAllocator : IDisposable
{
    /// <summary>Size and alignment of a slab: 256 KiB.</summary>
    public const int SlabSize = 256 * 1024;

    /// <summary>Bytes at the start of each slab kept for its header (a cache line).</summary>
    public const int SlabHeaderSize = 64;

    /// <summary>The largest size class: 32 KiB; larger blocks are allocated one by one.</summary>
    public const int MaxClassSize = 32 * 1024;

    /// <summary>The smallest class and the step of the classes up to 128 bytes; also the alignment of every chunk.</summary>
    public const int MinClassSize = 16;

    /// <summary>Number of size classes: 8 up to 128 bytes, then 8 per doubling from 128 to <see cref="MaxClassSize"/>.</summary>
    public const int ClassCount = 8 + (8 * 8);

    private const uint SlabMagic = 0x534C4142; // "SLAB"

    private readonly SizeClass[] _classes;
    private readonly Lock _poolLock = new();
    private readonly int _maxPooledSlabs;
    private SlabHeader* _pooled; // singly linked through Next
    private int _pooledCount;
    private long _nativeBytes;
    private long _largeBytes;
    private volatile bool _disposed;

    /// <summary>Creates an allocator that keeps at most <paramref name="maxPooledSlabs"/> empty slabs for reuse.</summary>
    public NativeSlabAllocator(int maxPooledSlabs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPooledSlabs);
        _maxPooledSlabs = maxPooledSlabs;
        _classes = new SizeClass[ClassCount];
        for (int i = 0; i < ClassCount; i++)
        {
            _classes[i] = new SizeClass(ClassSize(i));
        }
    }

    /// <summary>Bytes taken from the system: slabs (in use or pooled) and large blocks.</summary>
    public long NativeBytes => Interlocked.Read(ref _nativeBytes);

    /// <summary>Empty slabs kept for reuse.</summary>
    public int PooledSlabs => Volatile.Read(ref _pooledCount);

    /// <summary>Bytes of chunks and large blocks handed out and not yet freed (what entries are charged with).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = Interlocked.Read(ref _largeBytes);
            foreach (SizeClass sizeClass in _classes)
            {
                lock (sizeClass.Lock)
                {
                    total += sizeClass.ChunksInUse * sizeClass.ChunkSize;
                }
            }

            return total;
        }
    }

    /// <summary>The size class of a block of <paramref name="length"/> bytes, or -1 above <see cref="MaxClassSize"/>.</summary>
    public static int ClassOf(int length)
    {
        Debug.Assert(length >= 0);
        if (length <= 128)
        {
            return length == 0 ? 0 : ((length + MinClassSize - 1) / MinClassSize) - 1;
        }

        if (length > MaxClassSize)
        {
            return -1;
        }

        // Doubling group g covers (128 << g, 256 << g] in 8 steps of 16 << g.
        uint last = (uint)length - 1;
        int log = BitOperations.Log2(last);
        int group = log - 7;
        int step = (int)(last >> (log - 3)) & 7;
        return 8 + (group * 8) + step;
    }

    /// <summary>The chunk size of class <paramref name="sizeClass"/>.</summary>
    public static int ClassSize(int sizeClass)
    {
        Debug.Assert(sizeClass is >= 0 and < ClassCount);
        if (sizeClass < 8)
        {
            return (sizeClass + 1) * MinClassSize;
        }

        int group = (sizeClass - 8) / 8;
        int step = (sizeClass - 8) % 8;
        return (128 << group) + ((step + 1) * (16 << group));
    }

    /// <summary>What a block of <paramref name="length"/> bytes is charged with: its chunk size, or its length when large.</summary>
    public static int AllocatedLengthOf(int length)
    {
        int sizeClass = ClassOf(length);
        return sizeClass < 0 ? length : ClassSize(sizeClass);
    }

    /// <summary>Allocates a block of <paramref name="length"/> bytes.</summary>
    /// <exception cref="ObjectDisposedException">The allocator was disposed.</exception>
    public NativeBlock Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int sizeClass = ClassOf(length);
        if (sizeClass < 0)
        {
            void* large = NativeMemory.Alloc((nuint)length);
            Interlocked.Add(ref _nativeBytes, length);
            Interlocked.Add(ref _largeBytes, length);
            return new NativeBlock((nint)large, length, length);
        }

        SizeClass cls = _classes[sizeClass];
        byte* chunk;
        lock (cls.Lock)
        {
            SlabHeader* slab = cls.Partial;
            if (slab == null)
            {
                slab = TakeEmptySlab();
                slab->ClassIndex = sizeClass;
                slab->ChunkSize = cls.ChunkSize;
                slab->ChunkCount = (SlabSize - SlabHeaderSize) / cls.ChunkSize;
                PushPartial(cls, slab);
            }

            if (slab->FreeList != null)
            {
                chunk = slab->FreeList;
                slab->FreeList = *(byte**)chunk;
            }
            else
            {
                Debug.Assert(slab->Bumped < slab->ChunkCount);
                chunk = (byte*)slab + SlabHeaderSize + ((nint)slab->Bumped * cls.ChunkSize);
                slab->Bumped++;
            }

            slab->Used++;
            cls.ChunksInUse++;
            if (slab->Used == slab->ChunkCount)
            {
                RemovePartial(cls, slab);
            }
        }

        return new NativeBlock((nint)chunk, length, cls.ChunkSize);
    }

    /// <summary>Frees a block from <see cref="Allocate"/>: <paramref name="allocatedLength"/> is its <see cref="NativeBlock.AllocatedLength"/>.</summary>
    public void Free(nint pointer, int allocatedLength)
    {
        Debug.Assert(pointer != 0);
        if (allocatedLength > MaxClassSize)
        {
#if DEBUG
            new Span<byte>((void*)pointer, allocatedLength).Fill(0xDD);
#endif
            NativeMemory.Free((void*)pointer);
            Interlocked.Add(ref _nativeBytes, -allocatedLength);
            Interlocked.Add(ref _largeBytes, -allocatedLength);
            return;
        }

        byte* chunk = (byte*)pointer;
        SlabHeader* slab = (SlabHeader*)((nint)chunk & ~(nint)(SlabSize - 1));
        if (slab->Magic != SlabMagic || slab->ChunkSize != allocatedLength)
        {
            throw new InvalidOperationException("The block was not allocated by this allocator, or was freed already.");
        }

        SizeClass cls = _classes[slab->ClassIndex];
        lock (cls.Lock)
        {
            Debug.Assert(slab->Used > 0);
            Debug.Assert(((chunk - (byte*)slab - SlabHeaderSize) % cls.ChunkSize) == 0);
#if DEBUG
            new Span<byte>(chunk, cls.ChunkSize).Fill(0xDD);
#endif
            *(byte**)chunk = slab->FreeList;
            slab->FreeList = chunk;
            if (slab->Used == slab->ChunkCount)
            {
                PushPartial(cls, slab);
            }

            slab->Used--;
            cls.ChunksInUse--;
            if (slab->Used == 0)
            {
                RemovePartial(cls, slab);
                ReturnEmptySlab(slab);
            }
        }
    }

    /// <summary>Frees the pooled slabs; slabs with chunks in use are freed when their last chunk is.</summary>
    public void Dispose()
    {
        lock (_poolLock)
        {
            _disposed = true;
            while (_pooled != null)
            {
                SlabHeader* slab = _pooled;
                _pooled = slab->Next;
                FreeSlab(slab);
            }

            _pooledCount = 0;
        }
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> if a class's partial list breaks invariant (1).</summary>
    public void CheckInvariants()
    {
        foreach (SizeClass cls in _classes)
        {
            lock (cls.Lock)
            {
                for (SlabHeader* slab = cls.Partial; slab != null; slab = slab->Next)
                {
                    if (slab->Used <= 0 || slab->Used >= slab->ChunkCount || slab->InPartial == 0)
                    {
                        throw new InvalidOperationException($"Slab of class {cls.ChunkSize} in the partial list with {slab->Used}/{slab->ChunkCount} chunks used.");
                    }
                }
            }
        }
    }

    private static void PushPartial(SizeClass cls, SlabHeader* slab)
    {
        Debug.Assert(slab->InPartial == 0);
        slab->Prev = null;
        slab->Next = cls.Partial;
        if (cls.Partial != null)
        {
            cls.Partial->Prev = slab;
        }

        cls.Partial = slab;
        slab->InPartial = 1;
    }

    private static void RemovePartial(SizeClass cls, SlabHeader* slab)
    {
        if (slab->InPartial == 0)
        {
            return;
        }

        if (slab->Prev != null)
        {
            slab->Prev->Next = slab->Next;
        }
        else
        {
            cls.Partial = slab->Next;
        }

        if (slab->Next != null)
        {
            slab->Next->Prev = slab->Prev;
        }

        slab->Prev = slab->Next = null;
        slab->InPartial = 0;
    }

    private SlabHeader* TakeEmptySlab()
    {
        SlabHeader* slab = null;
        lock (_poolLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pooled != null)
            {
                slab = _pooled;
                _pooled = slab->Next;
                _pooledCount--;
            }
        }

        if (slab == null)
        {
            slab = (SlabHeader*)NativeMemory.AlignedAlloc(SlabSize, SlabSize);
            Interlocked.Add(ref _nativeBytes, SlabSize);
        }

        *slab = default;
        slab->Magic = SlabMagic;
        return slab;
    }

    private void ReturnEmptySlab(SlabHeader* slab)
    {
        slab->Magic = 0;
        lock (_poolLock)
        {
            if (!_disposed && _pooledCount < _maxPooledSlabs)
            {
                slab->Next = _pooled;
                _pooled = slab;
                _pooledCount++;
                return;
            }
        }

        FreeSlab(slab);
    }

    private void FreeSlab(SlabHeader* slab)
    {
        NativeMemory.AlignedFree(slab);
        Interlocked.Add(ref _nativeBytes, -SlabSize);
    }

    /// <summary>The header at the start of every slab.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SlabHeader
    {
        public SlabHeader* Prev;
        public SlabHeader* Next;
        public byte* FreeList;
        public int ClassIndex;
        public int ChunkSize;
        public int ChunkCount;
        public int Used;
        public int Bumped;
        public int InPartial;
        public uint Magic;
    }

    /// <summary>One size class: its lock and its slabs that have both used and free chunks.</summary>
    private sealed class SizeClass(int chunkSize)
    {
        public readonly Lock Lock = new();
        public readonly int ChunkSize = chunkSize;
        public SlabHeader* Partial;
        public long ChunksInUse;
    }
}
