using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// The compactions already running in a column family, as a picker must respect them (RocksDB's
/// <c>compactions_in_progress_</c> and the files' <c>being_compacted</c> flags).
/// </summary>
/// <remarks>
/// A file is busy when a running plan takes it as an input, or when its <see cref="FileMetadata.BeingCompacted"/>
/// flag is set (so a caller may track busy files either way). Immutable once built; build it under the mutex
/// that guards the set of running compactions.
/// </remarks>
internal sealed class CompactionsInProgress
{
    private readonly HashSet<ulong> _busy = [];
    private readonly IReadOnlyCollection<CompactionPlan> _running;

    /// <summary>Collects the inputs of <paramref name="running"/>.</summary>
    public CompactionsInProgress(IReadOnlyCollection<CompactionPlan> running)
    {
        _running = running;
        foreach (CompactionPlan plan in running)
        {
            foreach (FileMetadata f in plan.AllInputFiles())
            {
                _busy.Add(f.FileNumber);
            }

            Level0InProgress |= plan.StartLevel == 0;
        }
    }

    /// <summary>No compaction running.</summary>
    public static CompactionsInProgress None { get; } = new([]);

    /// <summary>
    /// Whether a running compaction takes L0 files. L0 files overlap, so RocksDB runs one L0 compaction at a
    /// time: a second one could take newer files while leaving older overlapping ones behind.
    /// </summary>
    public bool Level0InProgress { get; }

    /// <summary>Whether <paramref name="file"/> is an input of a running compaction.</summary>
    public bool IsBusy(FileMetadata file) => file.BeingCompacted || _busy.Contains(file.FileNumber);

    /// <summary>Whether any of <paramref name="files"/> is busy (RocksDB <c>AreFilesInCompaction</c>).</summary>
    public bool AnyBusy(IEnumerable<FileMetadata> files)
    {
        foreach (FileMetadata f in files)
        {
            if (IsBusy(f))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a running compaction writes to <paramref name="level"/> over a user-key range that meets
    /// [<paramref name="smallest"/>, <paramref name="largest"/>] (RocksDB <c>RangeOverlapWithCompaction</c>): two
    /// compactions must never produce overlapping files in one level.
    /// </summary>
    public bool OutputRangeOverlaps(int level, ReadOnlySpan<byte> smallest, ReadOnlySpan<byte> largest, KeyComparator userComparator)
    {
        foreach (CompactionPlan plan in _running)
        {
            if (plan.OutputLevel == level
                && userComparator.Compare(smallest, plan.LargestUserKey) <= 0
                && userComparator.Compare(largest, plan.SmallestUserKey) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
