namespace Lsm.Engine.Versions;

/// <summary>Which files are live, and deleting the ones that are not.</summary>
internal sealed partial class VersionSet
{
    /// <summary>
    /// The numbers of the table files that some version still referenced refers to: every column family's
    /// current version, and every older version a reader still holds.
    /// </summary>
    /// <remarks>Any thread. A file not in this set (nor being written: the caller's pending outputs) can be deleted.</remarks>
    public IReadOnlySet<ulong> LiveFiles()
    {
        var live = new HashSet<ulong>();
        lock (_versionsLock)
        {
            foreach (Version version in _liveVersions)
            {
                foreach ((int _, FileMetadata f) in version.AllFiles())
                {
                    live.Add(f.FileNumber);
                }
            }
        }

        return live;
    }

    /// <summary>
    /// The names of the files in the database directory that nothing needs any more: table files no live
    /// version refers to, MANIFESTs other than the current one, write-ahead logs below
    /// <see cref="MinLiveLogNumber"/> (and not <see cref="PrevLogNumber"/>), leftover <c>.dbtmp</c> files, and
    /// all but the newest two OPTIONS files (RocksDB keeps two).
    /// </summary>
    /// <param name="pendingOutputs">Numbers of files being written (flush or compaction outputs not yet in a version), kept.</param>
    /// <returns>File names (not paths), in name order.</returns>
    public IReadOnlyList<string> FindObsoleteFiles(IReadOnlySet<ulong>? pendingOutputs = null)
    {
        IReadOnlySet<ulong> live = LiveFiles();
        ulong minLog = MinLiveLogNumber();
        ulong manifest = _manifestFileNumber;
        var options = new List<(ulong Number, string Name)>();
        var obsolete = new List<string>();
        foreach (string name in _fs.ListFiles(DbPath))
        {
            if (!DbFileName.TryParse(name, out DbFileType type, out ulong number))
            {
                continue;
            }

            if (pendingOutputs is not null && number != 0 && pendingOutputs.Contains(number))
            {
                continue;
            }

            bool delete = type switch
            {
                DbFileType.Table => !live.Contains(number),
                DbFileType.Manifest => number < manifest, // a newer one may be what CURRENT names after an interrupted switch
                DbFileType.WriteAheadLog => number < minLog && number != _prevLogNumber,
                DbFileType.Temp => true,
                DbFileType.OptionsTemp => false, // RocksDB never deletes OPTIONS temp files; one may be being written
                _ => false,
            };
            if (type == DbFileType.Options)
            {
                options.Add((number, name));
            }

            if (delete)
            {
                obsolete.Add(name);
            }
        }

        options.Sort((a, b) => b.Number.CompareTo(a.Number));
        for (int i = 2; i < options.Count; i++)
        {
            obsolete.Add(options[i].Name);
        }

        obsolete.Sort(StringComparer.Ordinal);
        return obsolete;
    }

    /// <summary>Deletes what <see cref="FindObsoleteFiles"/> finds; returns the names deleted.</summary>
    /// <param name="pendingOutputs">Numbers of files being written, kept.</param>
    /// <remarks>Call outside the write lock's critical path; deleting a file a reader has open is safe (its handle keeps working).</remarks>
    public IReadOnlyList<string> DeleteObsoleteFiles(IReadOnlySet<ulong>? pendingOutputs = null)
    {
        IReadOnlyList<string> names = FindObsoleteFiles(pendingOutputs);
        foreach (string name in names)
        {
            _fs.Delete(PathOf(name));
        }

        return names;
    }
}
