using System.Globalization;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>
/// Applies version edits to a base version and builds the resulting version (RocksDB's <c>VersionBuilder</c>).
/// </summary>
/// <remarks>
/// <para>
/// Validation, as RocksDB's: deleting a file from a level it is not on, adding a file that is already in the
/// tree, using a level at or past <see cref="Version.NumLevels"/>, and (in <see cref="Build"/>) overlapping
/// files in a level of L1 and up are all refused with an <see cref="InvalidOperationException"/>. Recovery
/// turns that into a <see cref="CorruptionException"/> naming the MANIFEST and the record.
/// </para>
/// <para>Not thread-safe. The base version is only read; it need not be referenced while the builder works.</para>
/// </remarks>
internal sealed class VersionBuilder
{
    private readonly Version _base;
    private readonly Dictionary<ulong, FileMetadata>[] _levels;
    private readonly Dictionary<ulong, int> _levelOf = [];
    private readonly byte[]?[] _compactCursors;

    public VersionBuilder(Version baseVersion)
    {
        _base = baseVersion;
        _levels = new Dictionary<ulong, FileMetadata>[baseVersion.NumLevels];
        _compactCursors = new byte[]?[baseVersion.NumLevels];
        for (int level = 0; level < _levels.Length; level++)
        {
            _levels[level] = [];
            foreach (FileMetadata f in baseVersion.Files(level))
            {
                _levels[level].Add(f.FileNumber, f);
                _levelOf.Add(f.FileNumber, level);
            }

            _compactCursors[level] = baseVersion.CompactCursor(level);
        }
    }

    /// <summary>The number of files after the edits applied so far.</summary>
    public int FileCount => _levelOf.Count;

    /// <summary>Applies <paramref name="edit"/>'s file deletions, then its additions, then its compaction cursors.</summary>
    /// <exception cref="InvalidOperationException">The edit does not fit the current files (see the remarks).</exception>
    public void Apply(VersionEdit edit)
    {
        foreach ((int level, ulong number) in edit.DeletedFiles)
        {
            CheckLevel(level, number);
            if (!_levelOf.TryGetValue(number, out int current) || current != level)
            {
                string where = _levelOf.TryGetValue(number, out current) ? $"on level {current}" : "not in the LSM tree";
                throw new InvalidOperationException($"Cannot delete table file #{number} from level {level} since it is {where}.");
            }

            _levels[level].Remove(number);
            _levelOf.Remove(number);
        }

        foreach ((int level, FileMetadata file) in edit.NewFiles)
        {
            CheckLevel(level, file.FileNumber);
            if (_levelOf.TryGetValue(file.FileNumber, out int current))
            {
                throw new InvalidOperationException(
                    $"Cannot add table file #{file.FileNumber} to level {level} since it is already in the LSM tree on level {current}.");
            }

            _levels[level].Add(file.FileNumber, file);
            _levelOf.Add(file.FileNumber, level);
        }

        foreach ((int level, byte[] key) in edit.CompactCursors)
        {
            if (level < _compactCursors.Length)
            {
                _compactCursors[level] = key; // levels past num_levels are dropped, as RocksDB does
            }
        }
    }

    /// <summary>Replaces every file's epoch number as RocksDB infers missing ones; returns the next epoch number.</summary>
    /// <remarks>
    /// RocksDB's <c>RecoverEpochNumbers</c> for a tree written before epoch numbers existed: each level from
    /// the last up to L1 gets one new number, then L0's files get one each, oldest first.
    /// </remarks>
    public ulong InferEpochNumbers(ulong nextEpochNumber)
    {
        for (int level = _levels.Length - 1; level >= 1; level--)
        {
            if (_levels[level].Count == 0)
            {
                continue;
            }

            ulong epoch = nextEpochNumber++;
            foreach (ulong number in _levels[level].Keys.ToArray())
            {
                _levels[level][number] = _levels[level][number].WithEpochNumber(epoch);
            }
        }

        FileMetadata[] l0 = [.. _levels[0].Values];
        Array.Sort(l0, NewestFirst);
        for (int i = l0.Length - 1; i >= 0; i--)
        {
            _levels[0][l0[i].FileNumber] = l0[i].WithEpochNumber(nextEpochNumber++);
        }

        return nextEpochNumber;
    }

    /// <summary>True when some file has no epoch number.</summary>
    public bool HasMissingEpochNumber()
    {
        foreach (Dictionary<ulong, FileMetadata> level in _levels)
        {
            foreach (FileMetadata f in level.Values)
            {
                if (f.EpochNumber == 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The largest epoch number of any file (0 when none).</summary>
    public ulong MaxEpochNumber()
    {
        ulong max = 0;
        foreach (Dictionary<ulong, FileMetadata> level in _levels)
        {
            foreach (FileMetadata f in level.Values)
            {
                max = Math.Max(max, f.EpochNumber);
            }
        }

        return max;
    }

    /// <summary>Builds the version: orders each level and checks the invariants of <see cref="Version"/>.</summary>
    /// <param name="onDead">Called when the version's reference count drops to zero.</param>
    /// <exception cref="InvalidOperationException">Files of a level of L1 and up overlap.</exception>
    public Version Build(Action<Version>? onDead)
    {
        var levels = new FileMetadata[_levels.Length][];
        InternalKeyComparator comparator = _base.Comparator;
        for (int level = 0; level < levels.Length; level++)
        {
            FileMetadata[] files = [.. _levels[level].Values];
            if (level == 0)
            {
                Array.Sort(files, NewestFirst);
            }
            else
            {
                Array.Sort(files, (a, b) =>
                {
                    int c = comparator.Compare(a.Smallest, b.Smallest);
                    return c != 0 ? c : a.FileNumber.CompareTo(b.FileNumber);
                });
            }

            levels[level] = files;
        }

        CheckLevels(levels, comparator);
        return new Version(_base.ColumnFamilyId, comparator, levels, (byte[]?[])_compactCursors.Clone(), onDead);
    }

    /// <summary>RocksDB's L0 order: epoch number, largest sequence, smallest sequence, file number, all descending.</summary>
    public static int NewestFirst(FileMetadata a, FileMetadata b)
    {
        int c = b.EpochNumber.CompareTo(a.EpochNumber);
        if (c == 0)
        {
            c = b.LargestSequence.CompareTo(a.LargestSequence);
        }

        if (c == 0)
        {
            c = b.SmallestSequence.CompareTo(a.SmallestSequence);
        }

        return c != 0 ? c : b.FileNumber.CompareTo(a.FileNumber);
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> if the levels break an invariant of <see cref="Version"/>.</summary>
    internal static void CheckLevels(FileMetadata[][] levels, InternalKeyComparator comparator)
    {
        var seen = new HashSet<ulong>();
        for (int level = 0; level < levels.Length; level++)
        {
            FileMetadata[] files = levels[level];
            for (int i = 0; i < files.Length; i++)
            {
                if (!seen.Add(files[i].FileNumber))
                {
                    throw new InvalidOperationException($"Table file #{files[i].FileNumber} appears twice in the version.");
                }

                if (i == 0)
                {
                    continue;
                }

                FileMetadata a = files[i - 1], b = files[i];
                if (level == 0)
                {
                    if (NewestFirst(a, b) >= 0)
                    {
                        throw new InvalidOperationException($"L0 files are not sorted properly: files #{a.FileNumber}, #{b.FileNumber}.");
                    }
                }
                else if (comparator.Compare(a.Largest, b.Smallest) >= 0)
                {
                    throw new InvalidOperationException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"L{level} has overlapping ranges: file #{a.FileNumber} largest key {KeyText.FormatInternalKey(a.Largest)} vs. file #{b.FileNumber} smallest key {KeyText.FormatInternalKey(b.Smallest)}."));
                }
            }
        }
    }

    private void CheckLevel(int level, ulong fileNumber)
    {
        if (level >= _levels.Length)
        {
            throw new InvalidOperationException(
                $"Table file #{fileNumber} is on level {level}, but the column family has {_levels.Length} levels (the database has more levels than num_levels).");
        }
    }
}
