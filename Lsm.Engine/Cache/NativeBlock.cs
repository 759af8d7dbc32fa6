namespace Lsm.Engine.Cache;

/// <summary>
/// Native memory allocated by <see cref="BlockCache.Allocate"/> for a block about to be inserted: the caller fills
/// it, then passes it to <see cref="BlockCache.Insert(ulong, ulong, BlockKind, CachePriority, NativeBlock)"/> (which takes ownership) or to <see cref="BlockCache.Free"/>.
/// </summary>
internal readonly struct NativeBlock
{
    internal NativeBlock(nint pointer, int length, int allocatedLength)
    {
        Pointer = pointer;
        Length = length;
        AllocatedLength = allocatedLength;
    }

    /// <summary>The first byte.</summary>
    public nint Pointer { get; }

    /// <summary>The bytes asked for.</summary>
    public int Length { get; }

    /// <summary>The bytes actually taken from the slab (the size class), what the entry is charged with.</summary>
    public int AllocatedLength { get; }

    /// <summary>The memory, to fill.</summary>
    public unsafe Span<byte> Span => new((void*)Pointer, Length);
}
