namespace Lsm.Engine.IO;

/// <summary>A file on the local file system written through a buffered <see cref="FileStream"/>.</summary>
/// <remarks>
/// Shared for reading and deleting, so readers may open the file while it is written, and it may be deleted or renamed
/// while open on Windows as on POSIX.
/// </remarks>
internal sealed class LocalWritableFile : IWritableFile
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

    public void Sync() => _stream.Flush(flushToDisk: true);

    public void Dispose() => _stream.Dispose();
}
