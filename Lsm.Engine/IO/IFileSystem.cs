namespace Lsm.Engine.IO;

/// <summary>
/// Every file-system operation the engine performs: the seam through which tests run the engine on an
/// in-memory file system, simulate crashes and inject faults.
/// </summary>
/// <remarks>
/// Durability contract, which the crash-simulating implementation enforces: bytes appended to a file
/// survive a crash only once <see cref="IWritableFile.Sync"/> returned; a file created, renamed or deleted
/// survives (in its new state) only once <see cref="SyncDirectory"/> of its directory returned.
/// Implementations are thread-safe. Paths are full paths as given by the caller.
/// </remarks>
internal interface IFileSystem
{
    /// <summary>Creates a file for writing, truncating it if it exists.</summary>
    IWritableFile Create(string path);

    /// <summary>Opens an existing file for positional reads.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    IRandomAccessFile OpenRead(string path);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    long GetFileLength(string path);

    /// <summary>Deletes a file; does nothing if it does not exist.</summary>
    void Delete(string path);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, atomically replacing <paramref name="to"/> if it exists.</summary>
    void Rename(string from, string to);

    /// <summary>Creates a directory and any missing parents.</summary>
    void CreateDirectory(string path);

    /// <summary>The names (not paths) of the files directly in <paramref name="directory"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Makes the directory's entries (creations, renames, deletions) durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// Takes an exclusive lock on <paramref name="path"/> (creating the file), held until the returned object is
    /// disposed. Throws <see cref="IOException"/> if another holder, in this process or another, has it.
    /// </summary>
    IDisposable Lock(string path);
}
