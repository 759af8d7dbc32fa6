using System.Buffers;

namespace Lsm.Engine.Encoding;

/// <summary>
/// A growable byte buffer on pooled arrays, used by the builders to assemble blocks and records.
/// </summary>
/// <remarks>
/// Not thread-safe. <see cref="Dispose"/> returns the array to <see cref="ArrayPool{T}.Shared"/>; a span
/// from <see cref="WrittenSpan"/> is valid only until the next append or <see cref="Dispose"/>.
/// </remarks>
internal sealed class ByteBuffer : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public ByteBuffer(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Clear() => _length = 0;

    /// <summary>Drops everything after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _length += data.Length;
    }

    public void Append(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    public void AppendVarint32(uint value) => _length += Coding.WriteVarint32(GetSpan(Coding.MaxVarint32Length), value);

    public void AppendVarint64(ulong value) => _length += Coding.WriteVarint64(GetSpan(Coding.MaxVarint64Length), value);

    public void AppendVarSigned64(long value) =>
        _length += Coding.WriteVarSigned64(GetSpan(Coding.MaxVarint64Length), value);

    public void AppendFixed32(uint value)
    {
        Coding.WriteFixed32(GetSpan(4), value);
        _length += 4;
    }

    public void AppendFixed64(ulong value)
    {
        Coding.WriteFixed64(GetSpan(8), value);
        _length += 8;
    }

    /// <summary>Appends a varint32 length followed by the bytes.</summary>
    public void AppendLengthPrefixed(ReadOnlySpan<byte> data)
    {
        AppendVarint32((uint)data.Length);
        Append(data);
    }

    /// <summary>Returns writable space of at least <paramref name="sizeHint"/> bytes past the end; call <see cref="Advance"/> after.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        if (_length + sizeHint > _buffer.Length)
        {
            Grow(_length + sizeHint);
        }

        return _buffer.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    public byte[] ToArray() => WrittenSpan.ToArray();

    private void Grow(int needed)
    {
        int size = Math.Max(needed, _buffer.Length * 2);
        byte[] next = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _length).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _length = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
