using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// Key-range queries over a version's levels that the pickers share (RocksDB's
/// <c>VersionStorageInfo::GetOverlappingInputs</c>, <c>ExpandInputsToCleanCut</c>,
/// <c>GetCleanInputsWithinInterval</c> and <c>RangeMightExistAfterSortedRun</c>).
/// </summary>
/// <remarks>
/// Ranges are closed intervals of user keys; a null bound is unbounded. Files of L1 and up may share a boundary
/// user key (one file ends with <c>k#5</c>, the next starts with <c>k#3</c>), so a range is "clean" only when
/// such neighbours are taken together: a compaction that took one of them would move the newer entries of
/// <c>k</c> below the older ones, or the older ones above. Linear scans: versions hold few files per level and
/// picks are rare next to the I/O they cause.
/// </remarks>
internal static class FileRanges
{
    /// <summary>The sum of the files' sizes.</summary>
    public static ulong TotalSize(IEnumerable<FileMetadata> files)
    {
        ulong total = 0;
        foreach (FileMetadata f in files)
        {
            total += f.FileSize;
        }

        return total;
    }

    /// <summary>
    /// The size RocksDB ranks files and levels by (<c>compensated_file_size</c>): the file size plus the bytes its
    /// range tombstones are estimated to delete below, so that deletion-heavy files are compacted sooner.
    /// </summary>
    public static ulong CompensatedSize(FileMetadata file) => file.FileSize + file.CompensatedRangeDeletionSize;

    /// <summary>The user-key range [smallest, largest] of <paramref name="files"/> (which must not be empty).</summary>
    public static (byte[] Smallest, byte[] Largest) UserRange(IEnumerable<FileMetadata> files, KeyComparator ucmp)
    {
        byte[]? smallest = null, largest = null;
        foreach (FileMetadata f in files)
        {
            if (smallest is null || ucmp.Compare(f.SmallestUserKey, smallest) < 0)
            {
                smallest = f.SmallestUserKey.ToArray();
            }

            if (largest is null || ucmp.Compare(f.LargestUserKey, largest) > 0)
            {
                largest = f.LargestUserKey.ToArray();
            }
        }

        if (smallest is null || largest is null)
        {
            throw new InvalidOperationException("The range of no files.");
        }

        return (smallest, largest);
    }

    /// <summary>Whether <paramref name="file"/> meets the closed user-key range [<paramref name="begin"/>, <paramref name="end"/>].</summary>
    public static bool Overlaps(FileMetadata file, byte[]? begin, byte[]? end, KeyComparator ucmp) =>
        (begin is null || ucmp.Compare(file.LargestUserKey, begin) >= 0)
        && (end is null || ucmp.Compare(file.SmallestUserKey, end) <= 0);

    /// <summary>
    /// The files of <paramref name="level"/> that meet [<paramref name="begin"/>, <paramref name="end"/>], in level
    /// order. On L0 the range grows with every file it takes until no other L0 file meets it, so that an older
    /// file overlapping a chosen newer one is always chosen too (its entries must not stay above theirs).
    /// </summary>
    public static List<FileMetadata> Overlapping(Version version, int level, byte[]? begin, byte[]? end)
    {
        KeyComparator ucmp = version.Comparator.UserComparator;
        IReadOnlyList<FileMetadata> files = version.Files(level);
        var result = new List<FileMetadata>();
        for (int i = 0; i < files.Count; i++)
        {
            FileMetadata f = files[i];
            if (!Overlaps(f, begin, end, ucmp))
            {
                continue;
            }

            if (level == 0)
            {
                bool grew = false;
                if (begin is not null && ucmp.Compare(f.SmallestUserKey, begin) < 0)
                {
                    begin = f.SmallestUserKey.ToArray();
                    grew = true;
                }

                if (end is not null && ucmp.Compare(f.LargestUserKey, end) > 0)
                {
                    end = f.LargestUserKey.ToArray();
                    grew = true;
                }

                if (grew)
                {
                    // The range grew: files skipped before may meet it now, so start over.
                    result.Clear();
                    i = -1;
                    continue;
                }
            }

            result.Add(f);
        }

        return result;
    }

    /// <summary>
    /// Grows <paramref name="inputs"/> (files of <paramref name="level"/>) until no file outside them shares a user
    /// key with them (RocksDB <c>ExpandInputsToCleanCut</c>). L0 inputs are returned as they are: their overlap
    /// closure is <see cref="Overlapping"/>'s job.
    /// </summary>
    public static List<FileMetadata> ExpandToCleanCut(Version version, int level, IReadOnlyList<FileMetadata> inputs)
    {
        if (level == 0 || inputs.Count == 0)
        {
            return [.. inputs];
        }

        KeyComparator ucmp = version.Comparator.UserComparator;
        List<FileMetadata> current = [.. inputs];
        while (true)
        {
            (byte[] smallest, byte[] largest) = UserRange(current, ucmp);
            List<FileMetadata> next = Overlapping(version, level, smallest, largest);
            if (next.Count <= current.Count)
            {
                return next;
            }

            current = next;
        }
    }

    /// <summary>
    /// The files of <paramref name="level"/> (L1 and up) lying wholly inside [<paramref name="begin"/>,
    /// <paramref name="end"/>], shrunk at both ends until they cut cleanly (RocksDB
    /// <c>GetCleanInputsWithinInterval</c>).
    /// </summary>
    public static List<FileMetadata> CleanWithinInterval(Version version, int level, byte[] begin, byte[] end)
    {
        KeyComparator ucmp = version.Comparator.UserComparator;
        IReadOnlyList<FileMetadata> files = version.Files(level);
        int first = -1, last = -2;
        for (int i = 0; i < files.Count; i++)
        {
            if (ucmp.Compare(files[i].SmallestUserKey, begin) >= 0 && ucmp.Compare(files[i].LargestUserKey, end) <= 0)
            {
                first = first < 0 ? i : first;
                last = i;
            }
        }

        // The files inside the interval are contiguous (the level is sorted); drop an end file whose boundary
        // user key continues into the neighbour outside the interval.
        while (first >= 0 && first <= last && first > 0 && ucmp.Compare(files[first - 1].LargestUserKey, files[first].SmallestUserKey) == 0)
        {
            first++;
        }

        while (first >= 0 && last >= first && last + 1 < files.Count && ucmp.Compare(files[last].LargestUserKey, files[last + 1].SmallestUserKey) == 0)
        {
            last--;
        }

        var result = new List<FileMetadata>();
        for (int i = Math.Max(first, 0); i <= last; i++)
        {
            result.Add(files[i]);
        }

        return result;
    }

    /// <summary>
    /// Whether data of [<paramref name="smallest"/>, <paramref name="largest"/>] may exist below a compaction's
    /// output (RocksDB <c>RangeMightExistAfterSortedRun</c>): in a deeper level, or, for an L0 output, in an L0
    /// file older than <paramref name="oldestL0Input"/>. A compaction where it cannot is bottommost.
    /// </summary>
    public static bool RangeMightExistBelow(Version version, int outputLevel, byte[] smallest, byte[] largest, FileMetadata? oldestL0Input)
    {
        KeyComparator ucmp = version.Comparator.UserComparator;
        if (outputLevel == 0)
        {
            IReadOnlyList<FileMetadata> l0 = version.Files(0);
            bool older = false;
            foreach (FileMetadata f in l0)
            {
                if (older && Overlaps(f, smallest, largest, ucmp))
                {
                    return true;
                }

                older |= ReferenceEquals(f, oldestL0Input);
            }
        }

        for (int level = Math.Max(outputLevel + 1, 1); level < version.NumLevels; level++)
        {
            foreach (FileMetadata f in version.Files(level))
            {
                if (Overlaps(f, smallest, largest, ucmp))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The files of the first level below <paramref name="outputLevel"/> that has any overlapping the range
    /// (RocksDB <c>GetGrandparents</c>).
    /// </summary>
    public static IReadOnlyList<FileMetadata> Grandparents(Version version, int outputLevel, byte[] smallest, byte[] largest)
    {
        for (int level = outputLevel + 1; level < version.NumLevels; level++)
        {
            List<FileMetadata> files = Overlapping(version, level, smallest, largest);
            if (files.Count > 0)
            {
                return files;
            }
        }

        return [];
    }
}
