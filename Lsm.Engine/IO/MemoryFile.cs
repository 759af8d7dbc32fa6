namespace Lsm.Engine.IO;

/// <summary>A file held in memory: written as an <see cref="IWritableFile"/>, read back as an <see cref="IRandomAccessFile"/>.</summary>
/// <remarks>Used by tests (thousands of corrupted variants of one table without touching the disk) and by tools.</remarks>
internal sealed class MemoryFile : IWritableFile, IRandomAccessFile
{
    private byte[] _data;
    private int _length;

    public MemoryFile(string name, byte[]? contents = null)
    {
        Name = name;
        _data = contents ?? new byte[4096];
        _length = contents?.Length ?? 0;
    }

    public string Name { get; }

    public long Length => _length;

    /// <summary>The bytes written so far (a copy).</summary>
    public byte[] ToArray() => _data.AsSpan(0, _length).ToArray();

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_length + data.Length > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_length + data.Length, _data.Length * 2));
        }

        data.CopyTo(_data.AsSpan(_length));
        _length += data.Length;
    }

    public void Flush()
    {
    }

    public void Sync()
    {
    }

    public int Read(long offset, Span<byte> destination)
    {
        if (offset >= _length)
        {
            return 0;
        }

        int n = (int)Math.Min(destination.Length, _length - offset);
        _data.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Dispose()
    {
    }
}
