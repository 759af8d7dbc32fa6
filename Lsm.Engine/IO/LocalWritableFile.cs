using System.Runtime.InteropServices;

namespace Lsm.Engine.IO;

/// <summary>A file on the local file system written through a buffered <see cref="FileStream"/>.</summary>
/// <remarks>
/// Shared for reading and deleting, so readers may open the file while it is written, and it may be deleted or renamed
/// while open on Windows as on POSIX.
/// </remarks>
internal sealed partial class LocalWritableFile : IWritableFile
{
    private readonly FileStream _stream;

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

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);

    public void Dispose() => _stream.Dispose();
}
