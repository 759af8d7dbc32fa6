using Lsm.Engine.IO;

namespace Lsm.Engine.Bench.Micro;

/// <summary>A writable file over one preallocated buffer that <see cref="Rewind"/> empties: writes cost a copy, never an allocation.</summary>
internal sealed class ReusableWritableFile(int capacity) : IWritableFile
{
    private readonly byte[] _buffer = new byte[capacity];

    public string Name => "bench.sst";

    public long Length { get; private set; }

    public void Rewind() => Length = 0;

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(_buffer.AsSpan((int)Length));
        Length += data.Length;
    }

    public void Flush()
    {
    }

    public void Sync()
    {
    }

    public void Dispose()
    {
    }
}
