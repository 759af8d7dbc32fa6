namespace Lsm.Engine.IO;

/// <summary>
/// An append-only file being written. Durable only after <see cref="Sync"/>.
/// </summary>
/// <remarks>Not thread-safe: one writer at a time. The seam through which tests inject write faults.</remarks>
internal interface IWritableFile : IDisposable
{
    /// <summary>The path or name, for error messages.</summary>
    string Name { get; }

    /// <summary>Bytes appended so far.</summary>
    long Length { get; }

    void Append(ReadOnlySpan<byte> data);

    /// <summary>Hands buffered bytes to the operating system.</summary>
    void Flush();

    /// <summary>Flushes and forces the bytes to stable storage (fsync).</summary>
    void Sync();
}
