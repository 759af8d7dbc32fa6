using Microsoft.Win32.SafeHandles;

namespace Lsm.Engine.IO;

/// <summary>A local file read with <see cref="RandomAccess"/> on one shared <see cref="SafeFileHandle"/>.</summary>
/// <remarks>Thread-safe: positional reads carry no seek state.</remarks>
internal sealed class LocalRandomAccessFile : IRandomAccessFile
{
    private readonly SafeFileHandle _handle;

    public LocalRandomAccessFile(string path)
    {
        Name = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
    }

    public string Name { get; }

    public long Length { get; }

    public int Read(long offset, Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = RandomAccess.Read(_handle, destination[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public void Dispose() => _handle.Dispose();
}
