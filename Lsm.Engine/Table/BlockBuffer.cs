using System.Buffers;

namespace Lsm.Engine.Table;

/// <summary>
/// A caller-owned, reusable home for one block's uncompressed contents:
/// <see cref="TableReader.ReadBlock(BlockHandle, long, ref BlockBuffer)"/> fills it, and the caller
/// releases it when no <see cref="Block"/> built on it is in use any more.
/// </summary>
/// <remarks>
/// Invariants: a <see cref="Block"/> read into the buffer refers to <see cref="Array"/> and is valid only
/// until the buffer is next filled or released; the buffer holds at most one pooled array, rented from
/// <see cref="ArrayPool{T}.Shared"/> and returned by <see cref="Release"/>. A buffer that is dropped without
/// a release simply leaves its array to the garbage collector. Not thread-safe; a mutable struct, so hold
/// it in a field and pass it by reference.
/// This is the seam a block cache slots into: a cached block would be a pinned handle released at the same
/// points, instead of bytes copied into the buffer.
/// </remarks>
internal struct BlockBuffer
{
    /// <summary>Arrays above this size are dropped on release rather than pooled (an unusually large block).</summary>
    private const int MaxPooledLength = 1 << 20;

    private byte[]? _array;

    /// <summary>The current array; empty before the first fill.</summary>
    public readonly byte[] Array => _array ?? [];

    /// <summary>
    /// Makes room for <paramref name="length"/> bytes and returns the array to write them into. The previous
    /// contents are not kept.
    /// </summary>
    public byte[] Ensure(int length)
    {
        if (_array is null || _array.Length < length)
        {
            Release();
            _array = ArrayPool<byte>.Shared.Rent(length);
        }

        return _array;
    }

    /// <summary>
    /// Puts <paramref name="array"/> in the buffer and returns the array it held (or an empty one), so a
    /// block decoded into a scratch array can take its place without a copy.
    /// </summary>
    public byte[] Exchange(byte[] array)
    {
        byte[] previous = _array ?? [];
        _array = array;
        return previous;
    }

    /// <summary>Returns the array to the pool. Any <see cref="Block"/> on it must no longer be in use.</summary>
    public void Release()
    {
        byte[]? array = _array;
        _array = null;
        if (array is not null && array.Length is > 0 and <= MaxPooledLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
