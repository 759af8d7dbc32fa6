using Lsm.Engine.Encoding;
using Lsm.Engine.IO;

namespace Lsm.Engine.Versions;

/// <summary>Creating a new database's version state, and recovering an existing one from its MANIFEST.</summary>
internal sealed partial class VersionSet
{
    /// <summary>
    /// Creates a new database's MANIFEST as RocksDB's <c>NewDB</c> does: <c>MANIFEST-000001</c> holding one
    /// edit (db id, log number 0, next file number 2, last sequence 0), synced, then CURRENT pointing at it,
    /// then the IDENTITY file. Returns the set, with the default column family only.
    /// </summary>
    /// <param name="fs">The file system.</param>
    /// <param name="dbPath">The database directory; created if missing.</param>
    /// <param name="options">Comparators, levels and MANIFEST sizing.</param>
    /// <returns>The version set; the first <see cref="LogAndApply(uint, VersionEdit)"/> starts a new MANIFEST.</returns>
    /// <exception cref="IOException">The directory already holds a database (a CURRENT file), or a write failed.</exception>
    public static VersionSet Create(IFileSystem fs, string dbPath, VersionSetOptions options)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        fs.CreateDirectory(dbPath);
        if (fs.FileExists(Path.Join(dbPath, DbFileName.Current)))
        {
            throw new IOException($"{dbPath} already holds a database (it has a CURRENT file).");
        }

        string dbId = options.DbId ?? Guid.NewGuid().ToString("D");
        CurrentFile.WriteIdentity(fs, dbPath, dbId);

        const ulong manifestNumber = 1;
        var edit = new VersionEdit { DbId = dbId, LogNumber = 0, NextFileNumber = 2, LastSequence = 0 };
        string manifestPath = Path.Join(dbPath, DbFileName.Manifest(manifestNumber));
        long size;
        try
        {
            using var writer = new Wal.LogWriter(fs.Create(manifestPath));
            writer.AddRecord(edit.Encode());
            writer.Sync();
            size = writer.Length;
        }
        catch
        {
            fs.Delete(manifestPath);
            throw;
        }

        CurrentFile.Write(fs, dbPath, manifestNumber);

        var set = new VersionSet(fs, dbPath, options, dbId)
        {
            _nextFileNumber = 2,
            _manifestFileNumber = manifestNumber,
            _manifestFileSize = size,
        };
        set.AddColumnFamilyState(0, ColumnFamilyState.DefaultName, options.Comparator, null);
        set.MarkFileNumberUsed(manifestNumber);
        return set;
    }

    /// <summary>
    /// Recovers the state from the MANIFEST that CURRENT names: replays every edit (atomic groups whole or
    /// not at all; a torn last record ends the MANIFEST), checks the comparators and, unless disabled, that
    /// every table file exists with its recorded size, and infers epoch numbers a RocksDB older than 7.10 did
    /// not record.
    /// </summary>
    /// <param name="fs">The file system.</param>
    /// <param name="dbPath">The database directory.</param>
    /// <param name="options">Comparators, levels and MANIFEST sizing.</param>
    /// <returns>The version set, with every column family the MANIFEST holds.</returns>
    /// <exception cref="FileNotFoundException">There is no database at <paramref name="dbPath"/> (no CURRENT).</exception>
    /// <exception cref="CorruptionException">
    /// CURRENT is malformed or names a missing MANIFEST; a MANIFEST record is damaged, does not decode or does
    /// not apply; a required field is missing; a table file is missing or has another size. The exception
    /// names the file and the record's offset.
    /// </exception>
    /// <exception cref="NotSupportedException">The MANIFEST uses a feature this engine cannot ignore (see <see cref="VersionEdit.Decode"/>), or BlobDB blob files.</exception>
    /// <exception cref="InvalidOperationException">A column family's comparator is not the one the MANIFEST records.</exception>
    public static VersionSet Recover(IFileSystem fs, string dbPath, VersionSetOptions options)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (ulong manifestNumber, string manifestPath) = CurrentFile.Read(fs, dbPath);

        var replay = new ManifestReplay(options.NumLevels, options.ComparatorFor);
        bool blobFiles = false;
        long manifestSize;
        using (IRandomAccessFile file = fs.OpenRead(manifestPath))
        {
            manifestSize = file.Length;
            replay.ReadFrom(file, (_, edit) => blobFiles |= edit.BlobFileAdditions.Count > 0);
        }

        replay.CheckComplete(manifestPath);
        if (blobFiles)
        {
            throw new NotSupportedException($"{manifestPath} records BlobDB blob files; this engine does not read blob files.");
        }

        foreach (ManifestReplay.Family family in replay.Families.Values)
        {
            if (family.RecordedComparator is string recorded && recorded != family.Comparator.Name)
            {
                throw new InvalidOperationException(
                    $"Column family '{family.Name}' was written with comparator '{recorded}', but is being opened with '{family.Comparator.Name}'.");
            }
        }

        var set = new VersionSet(fs, dbPath, options, replay.DbId ?? ReadIdentity(fs, dbPath))
        {
            _manifestFileNumber = manifestNumber,
            _manifestFileSize = manifestSize,
            _prevLogNumber = replay.PrevLogNumber,
            _minLogNumberToKeep = replay.MinLogNumberToKeep,
            _maxColumnFamily = replay.MaxColumnFamily,
            _descriptorLastSequence = replay.LastSequence!.Value,
            _lastSequence = (long)replay.LastSequence!.Value,
            _lastCompactedManifestFileSize = replay.LastCompactedManifestFileSize ?? 0,
        };
        foreach ((ulong number, ulong? synced) in replay.Wals)
        {
            set._wals.Add(number, synced);
        }

        // RocksDB's rule: the next file number is one past the recorded one, and past every log number seen.
        set._nextFileNumber = (long)replay.NextFileNumber!.Value + 1;
        set.MarkFileNumberUsed(replay.PrevLogNumber);
        set.MarkFileNumberUsed(replay.LogNumber!.Value);
        set.MarkFileNumberUsed(manifestNumber);

        foreach (ManifestReplay.Family family in replay.Families.Values)
        {
            ulong nextEpoch = 1;
            if (family.Builder.HasMissingEpochNumber())
            {
                nextEpoch = family.Builder.InferEpochNumbers(nextEpoch);
            }
            else
            {
                nextEpoch = family.Builder.MaxEpochNumber() + 1;
            }

            Version version;
            try
            {
                version = family.Builder.Build(set.OnVersionDead);
            }
            catch (InvalidOperationException e)
            {
                throw new CorruptionException($"column family '{family.Name}': {e.Message}", manifestPath, -1, e);
            }

            ColumnFamilyState cf = set.AddColumnFamilyState(family.Id, family.Name, family.Comparator, version);
            cf.LogNumber = family.LogNumber;
            cf.FullHistoryTsLow = family.FullHistoryTsLow;
            cf.SetNextEpochNumber(nextEpoch);
            foreach ((int _, FileMetadata f) in version.AllFiles())
            {
                set.MarkFileNumberUsed(f.FileNumber);
                if (options.VerifyTableFiles)
                {
                    VerifyTableFile(fs, dbPath, f, manifestPath);
                }
            }
        }

        return set;
    }

    private static void VerifyTableFile(IFileSystem fs, string dbPath, FileMetadata f, string manifestPath)
    {
        string path = Path.Join(dbPath, DbFileName.Table(f.FileNumber));
        if (!fs.FileExists(path))
        {
            string legacy = Path.Join(dbPath, DbFileName.Number(f.FileNumber) + ".ldb");
            if (!fs.FileExists(legacy))
            {
                throw new CorruptionException($"table file {DbFileName.Table(f.FileNumber)}, which the MANIFEST lists, is missing", manifestPath, -1);
            }

            path = legacy;
        }

        long size = fs.GetFileLength(path);
        if ((ulong)size != f.FileSize)
        {
            throw new CorruptionException(
                $"table file size mismatch: {Path.GetFileName(path)} is {size} bytes, the MANIFEST says {f.FileSize}", path, -1);
        }
    }

    /// <summary>Registers a column family with <paramref name="version"/> (or an empty one) as its current version.</summary>
    private ColumnFamilyState AddColumnFamilyState(uint id, string name, KeyComparator comparator, Version? version)
    {
        version ??= new VersionBuilder(Version.Empty(id, _options.NumLevels, new InternalKeyComparator(comparator))).Build(OnVersionDead);
        var cf = new ColumnFamilyState(id, name, comparator, version);
        lock (_versionsLock)
        {
            version.Ref();
            _liveVersions.Add(version);
            _columnFamilies.Add(id, cf);
        }

        return cf;
    }

    /// <summary>The db id in the IDENTITY file, for MANIFESTs written before RocksDB recorded it; empty when absent.</summary>
    private static string ReadIdentity(IFileSystem fs, string dbPath)
    {
        string path = Path.Join(dbPath, DbFileName.Identity);
        if (!fs.FileExists(path))
        {
            return "";
        }

        using IRandomAccessFile file = fs.OpenRead(path);
        byte[] bytes = new byte[Math.Min(file.Length, 4096)];
        int n = file.Read(0, bytes);
        return System.Text.Encoding.UTF8.GetString(bytes, 0, n).Trim();
    }
}
