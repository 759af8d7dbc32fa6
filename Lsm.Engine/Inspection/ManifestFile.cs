using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>
/// Read access to a database's MANIFEST, RocksDB's or ours: every version edit with its offset, and the
/// column families and files the edits add up to. The inspection API <c>lsm manifest dump</c> is built on.
/// </summary>
/// <remarks>
/// Unlike opening a database, reading never fails on damage: it stops there and reports the problem in
/// <see cref="ManifestInfo.Problem"/>, with the state as of the edits before it. It does not check that the
/// table files exist. Keys print in the <c>user#seq,KIND</c> form of <see cref="KeyText"/>; the comparator is
/// taken to be bytewise (it only orders files within a level).
/// </remarks>
/// <example>
/// <code>
/// ManifestInfo m = ManifestFile.ReadDatabase("/data/db");
/// foreach (ManifestEdit e in m.Edits) Console.WriteLine($"@{e.Offset}\n{e.Text}");
/// </code>
/// </example>
public static class ManifestFile
{
    /// <summary>Reads the MANIFEST that the database's CURRENT file names.</summary>
    /// <param name="dbPath">The database directory.</param>
    /// <returns>The edits and the final state.</returns>
    /// <exception cref="FileNotFoundException">The directory has no CURRENT file.</exception>
    /// <exception cref="CorruptionException">CURRENT is malformed or names a MANIFEST that does not exist.</exception>
    public static ManifestInfo ReadDatabase(string dbPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        (ulong _, string path) = CurrentFile.Read(LocalFileSystem.Instance, dbPath);
        return Read(path);
    }

    /// <summary>Reads the MANIFEST at <paramref name="path"/>.</summary>
    /// <param name="path">A MANIFEST file.</param>
    /// <returns>The edits and the final state.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static ManifestInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using IRandomAccessFile file = LocalFileSystem.Instance.OpenRead(path);
        return Read(file);
    }

    internal static ManifestInfo Read(IRandomAccessFile file)
    {
        var edits = new List<ManifestEdit>();
        var replay = new ManifestReplay(VersionSetOptions.DefaultNumLevels, _ => BytewiseComparator.Instance);
        string? problem = null;
        long problemOffset = -1;
        try
        {
            replay.ReadFrom(file, (offset, edit) => edits.Add(new ManifestEdit(offset, edit.ToString())));
            if (replay.TornTail is Wal.LogProblem torn)
            {
                problem = torn.Reason;
                problemOffset = torn.Offset;
            }
            else if (replay.IgnoredAtomicGroupEdits > 0)
            {
                problem = $"the MANIFEST ends inside an atomic group; its last {replay.IgnoredAtomicGroupEdits} edits are not applied";
            }
        }
        catch (Exception e) when (e is CorruptionException or NotSupportedException)
        {
            problem = e is CorruptionException c ? c.Reason : e.Message;
            problemOffset = e is CorruptionException { Offset: >= 0 } ce ? ce.Offset : -1;
        }

        var families = new List<ManifestColumnFamily>();
        foreach (ManifestReplay.Family family in replay.Families.Values)
        {
            Version version;
            try
            {
                version = family.Builder.Build(onDead: null);
            }
            catch (InvalidOperationException e)
            {
                problem ??= $"column family '{family.Name}': {e.Message}";
                continue;
            }

            var levels = new List<IReadOnlyList<ManifestTableFile>>();
            for (int level = 0; level < version.NumLevels; level++)
            {
                var files = new List<ManifestTableFile>();
                foreach (FileMetadata f in version.Files(level))
                {
                    files.Add(new ManifestTableFile(
                        level,
                        f.FileNumber,
                        f.FileSize,
                        KeyText.FormatInternalKey(f.Smallest),
                        KeyText.FormatInternalKey(f.Largest),
                        f.SmallestSequence,
                        f.LargestSequence,
                        f.EpochNumber,
                        f.Smallest,
                        f.Largest));
                }

                levels.Add(files);
            }

            families.Add(new ManifestColumnFamily(family.Id, family.Name, family.RecordedComparator, family.LogNumber, levels));
        }

        return new ManifestInfo(
            file.Name,
            edits,
            families,
            replay.DbId,
            replay.NextFileNumber,
            replay.LastSequence,
            replay.LogNumber,
            replay.PrevLogNumber,
            replay.MinLogNumberToKeep,
            replay.MaxColumnFamily,
            problem,
            problemOffset);
    }
}
