namespace Lsm.Engine;

/// <summary>
/// Thrown when bytes read from disk fail a checksum or do not decode as the format says they must.
/// </summary>
/// <remarks>
/// The engine never returns data it could not verify: a flipped bit, a truncated file or an absurd
/// length ends in this exception, naming the file and the byte offset of the structure that failed,
/// never in wrong data or an <see cref="IndexOutOfRangeException"/>.
/// </remarks>
public sealed class CorruptionException : IOException
{
    /// <summary>Creates the exception for corruption whose place is not known.</summary>
    /// <param name="message">What failed to verify or decode.</param>
    public CorruptionException(string message)
        : this(message, null, -1)
    {
    }

    /// <summary>Creates the exception for a structure at <paramref name="offset"/> in <paramref name="file"/>.</summary>
    /// <param name="message">What failed to verify or decode.</param>
    /// <param name="file">The file the bytes came from, or null when unknown.</param>
    /// <param name="offset">The byte offset in the file of the failing structure, or -1 when unknown.</param>
    public CorruptionException(string message, string? file, long offset)
        : base(Describe(message, file, offset))
    {
        Reason = message;
        FilePath = file;
        Offset = offset;
    }

    /// <summary>Creates the exception with the underlying cause, such as a decompressor's error.</summary>
    /// <param name="message">What failed to verify or decode.</param>
    /// <param name="file">The file the bytes came from, or null when unknown.</param>
    /// <param name="offset">The byte offset in the file of the failing structure, or -1 when unknown.</param>
    /// <param name="inner">The exception that revealed the corruption.</param>
    public CorruptionException(string message, string? file, long offset, Exception inner)
        : base(Describe(message, file, offset), inner)
    {
        Reason = message;
        FilePath = file;
        Offset = offset;
    }

    /// <summary>What failed, without the file and offset.</summary>
    public string Reason { get; }

    /// <summary>The file in which corruption was found, or null when it is not known.</summary>
    public string? FilePath { get; }

    /// <summary>The byte offset in <see cref="FilePath"/> of the structure that failed, or -1 when not known.</summary>
    public long Offset { get; }

    private static string Describe(string message, string? file, long offset)
    {
        if (file is null)
        {
            return offset >= 0 ? $"Corruption at offset {offset}: {message}" : $"Corruption: {message}";
        }

        return offset >= 0 ? $"Corruption in {file} at offset {offset}: {message}" : $"Corruption in {file}: {message}";
    }
}
