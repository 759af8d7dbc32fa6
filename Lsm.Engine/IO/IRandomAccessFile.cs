namespace Lsm.Engine.IO;

/// <summary>
/// A read-only file read by position, with no seek state: any number of threads may read at once.
/// </summary>
internal interface IRandomAccessFile : IDisposable
{
    /// <summary>The path or name, for error messages.</summary>
    string Name { get; }

    long Length { get; }

    /// <summary>Reads up to <c>destination.Length</c> bytes at <paramref name="offset"/>; returns how many were read (fewer only at end of file).</summary>
    int Read(long offset, Span<byte> destination);
}
