using System.Runtime.InteropServices;

namespace Lsm.Engine.IO;

/// <summary>A file on the local file system written through a buffered <see cref="FileStream"/>.</summary>
/// <remarks>
/// Shared for reading and deleting, so readers may open the file while it is written, and it may be deleted or renamed
/// while open on Windows as on POSIX.
/// <para>
/// On Linux the file's blocks are reserved ahead of the data, <see cref="PreallocationStep"/> at a time, with
/// <c>fallocate(FALLOC_FL_KEEP_SIZE)</c>, as RocksDB does for its WAL, tables and MANIFEST: the size and the bytes
/// readers see do not change, but an <c>fdatasync</c> after an append no longer has to allocate blocks (a synced
/// write then costs a quarter to a tenth as much on ext4). <see cref="Dispose"/> truncates to the length written,
/// which releases the reserved blocks past it. A file system without <c>fallocate</c> simply gets no reservation.
/// </para>
/// </remarks>
internal sealed partial class LocalWritableFile : IWritableFile
{
    /// <summary>Bytes reserved per <c>fallocate</c>: 1 MiB.</summary>
    internal const long PreallocationStep = 1 << 20;

    private readonly FileStream _stream;
    private readonly bool _preallocate = OperatingSystem.IsLinux();
    private long _reservedEnd;

    /// <summary>Creates (or truncates) the file at <paramref name="path"/>.</summary>
    public LocalWritableFile(string path)
    {
        Name = path;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.None);
    }

    public string Name { get; }

    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_preallocate && Length + data.Length > _reservedEnd)
        {
            Reserve(Length + data.Length);
        }

        _stream.Write(data);
        Length += data.Length;
    }

    public void Flush() => _stream.Flush(flushToDisk: false);

    /// <summary>
    /// Flushes, then makes the data durable: <c>fdatasync</c> on Linux (as RocksDB: the file's data and size, without
    /// forcing unrelated metadata such as its modification time to disk), a full flush elsewhere.
    /// </summary>
    public void Sync()
    {
        if (!OperatingSystem.IsLinux())
        {
            _stream.Flush(flushToDisk: true);
            return;
        }

        _stream.Flush(flushToDisk: false);
        if (FdataSync((int)_stream.SafeFileHandle.DangerousGetHandle()) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"fdatasync of '{Name}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
        }
    }

    public void Dispose()
    {
        if (_reservedEnd > Length && !_stream.SafeFileHandle.IsClosed)
        {
            try
            {
                _stream.Flush(flushToDisk: false);

                // Releases the blocks reserved past the data; the size itself is already Length.
                _ = FTruncate((int)_stream.SafeFileHandle.DangerousGetHandle(), Length);
            }
            catch (IOException)
            {
                // The flush failed: the caller already saw (or will see) the write fail; disposing must not throw.
            }
        }

        _stream.Dispose();
    }

    /// <summary>Reserves blocks up to at least <paramref name="end"/>; advice only, so failures are ignored.</summary>
    private void Reserve(long end)
    {
        long newEnd = (end + PreallocationStep - 1) / PreallocationStep * PreallocationStep;
        const int KeepSize = 1; // FALLOC_FL_KEEP_SIZE
        if (FAllocate((int)_stream.SafeFileHandle.DangerousGetHandle(), KeepSize, _reservedEnd, newEnd - _reservedEnd) != 0)
        {
            // EOPNOTSUPP (tmpfs without support, some FUSE file systems), ENOSPC: write without reservation;
            // a real lack of space shows when the data is written.
            _reservedEnd = long.MaxValue;
            return;
        }

        _reservedEnd = newEnd;
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int FAllocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncate(int fd, long length);
}
