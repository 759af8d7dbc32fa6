using Lsm.Engine.IO;

namespace Lsm.Engine.Versions;

/// <summary>
/// The CURRENT file (format-spec.md, section 14.3): the name of the live MANIFEST and a newline, replaced
/// atomically. Also the IDENTITY file, replaced the same way.
/// </summary>
/// <remarks>
/// The switch is RocksDB's <c>SetCurrentFile</c>: write <c>{manifest number:D6}.dbtmp</c>, sync it, rename
/// it over CURRENT, sync the directory. A crash leaves CURRENT naming either the old MANIFEST or the new
/// one, whole; a leftover <c>.dbtmp</c> is deleted as obsolete later.
/// </remarks>
internal static class CurrentFile
{
    /// <summary>Points CURRENT at <c>MANIFEST-{manifestNumber}</c>, atomically and durably.</summary>
    public static void Write(IFileSystem fs, string dbPath, ulong manifestNumber)
    {
        string temp = Path.Join(dbPath, DbFileName.Temp(manifestNumber));
        WriteDurably(fs, temp, System.Text.Encoding.ASCII.GetBytes(DbFileName.Manifest(manifestNumber) + "\n"));
        try
        {
            fs.Rename(temp, Path.Join(dbPath, DbFileName.Current));
        }
        catch
        {
            fs.Delete(temp);
            throw;
        }

        fs.SyncDirectory(dbPath);
    }

    /// <summary>Writes the IDENTITY file (the database id, no newline) as RocksDB does: through <c>000000.dbtmp</c>.</summary>
    public static void WriteIdentity(IFileSystem fs, string dbPath, string dbId)
    {
        string temp = Path.Join(dbPath, DbFileName.Temp(0));
        WriteDurably(fs, temp, System.Text.Encoding.UTF8.GetBytes(dbId));
        fs.Rename(temp, Path.Join(dbPath, DbFileName.Identity));
        fs.SyncDirectory(dbPath);
    }

    /// <summary>Reads CURRENT and returns the MANIFEST's number and path.</summary>
    /// <exception cref="FileNotFoundException">There is no CURRENT: no database at <paramref name="dbPath"/>.</exception>
    /// <exception cref="CorruptionException">CURRENT does not name a MANIFEST, or names one that does not exist.</exception>
    public static (ulong Number, string Path) Read(IFileSystem fs, string dbPath)
    {
        string currentPath = Path.Join(dbPath, DbFileName.Current);
        if (!fs.FileExists(currentPath))
        {
            throw new FileNotFoundException($"No database at {dbPath}: it has no CURRENT file.", currentPath);
        }

        byte[] bytes;
        using (IRandomAccessFile file = fs.OpenRead(currentPath))
        {
            if (file.Length > 4096)
            {
                throw new CorruptionException($"CURRENT is {file.Length} bytes long; it should hold one MANIFEST file name", currentPath, 0);
            }

            bytes = new byte[file.Length];
            int read = file.Read(0, bytes);
            bytes = bytes[..read];
        }

        if (bytes.Length == 0 || bytes[^1] != (byte)'\n')
        {
            throw new CorruptionException("CURRENT file does not end with newline", currentPath, 0);
        }

        string name = System.Text.Encoding.ASCII.GetString(bytes, 0, bytes.Length - 1);
        if (!DbFileName.TryParse(name, out DbFileType type, out ulong number) || type != DbFileType.Manifest)
        {
            throw new CorruptionException($"CURRENT file corrupted: '{name}' is not a MANIFEST file name", currentPath, 0);
        }

        string manifestPath = Path.Join(dbPath, name);
        if (!fs.FileExists(manifestPath))
        {
            throw new CorruptionException($"CURRENT names {name}, which does not exist: the database cannot be recovered from it", currentPath, 0);
        }

        return (number, manifestPath);
    }

    private static void WriteDurably(IFileSystem fs, string path, byte[] contents)
    {
        try
        {
            using IWritableFile file = fs.Create(path);
            file.Append(contents);
            file.Sync();
        }
        catch
        {
            fs.Delete(path);
            throw;
        }
    }
}
