using Lsm.Engine.Encoding;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// Leveled compaction (RocksDB's <c>LevelCompactionPicker</c>): the level with the highest score of at least 1
/// pushes data one level down. L0 compacts into the base level with every L0 file its range reaches; a level
/// of L1 and up compacts one file (expanded to a clean cut) with the files it overlaps in the next level.
/// </summary>
/// <remarks>
/// <para>Rules, in RocksDB's order:</para>
/// <list type="number">
/// <item><description>Scores (<see cref="LeveledScores"/>) are tried from highest to lowest, stopping below 1. Once
/// L0 could not be compacted into the base level, the base level is not compacted either, so that L0 → base
/// is not starved by base → below.</description></item>
/// <item><description>L0: only one L0 compaction at a time. If the base level holds files, the oldest L0 files that
/// overlap neither each other nor the base level are moved down as they are (L0 trivial move). Otherwise the
/// first non-busy L0 file by priority is taken with every L0 file its range reaches, transitively.</description></item>
/// <item><description>L1+: files are tried by <see cref="ColumnFamilyOptions.CompactionPri"/>; a busy file is
/// skipped (round-robin gives up instead, so its cursor does not skip a range). The file is expanded to a
/// clean cut; it is dropped if that pulls in a busy file or if a running compaction writes the same range of
/// the output level. When it overlaps nothing in the next level, up to four neighbouring files that also
/// overlap nothing are moved with it (at most MaxCompactionBytes).</description></item>
/// <item><description>The next level's overlapping files are added (expanded to a clean cut, none busy); then the
/// input level grows to every file inside the combined range if that does not add next-level files and stays
/// under 2 × MaxCompactionBytes (RocksDB <c>SetupOtherInputs</c>).</description></item>
/// <item><description>The plan is a trivial move when all inputs are on one level, none overlaps the output level,
/// at most one L0 file is taken (or the L0 trivial move picked them), and each input overlaps at most
/// MaxCompactionBytes of the level below the output.</description></item>
/// </list>
/// <para>Left out from RocksDB: intra-L0 compactions (L0 → L0 when L0 → base is blocked), compaction of files
/// marked for compaction, TTL, periodic, bottommost-file and blob-GC compactions, and multiple data paths.</para>
/// <para>Stateless apart from the options; thread-safe.</para>
/// </remarks>
internal sealed partial class LeveledCompactionPicker : ICompactionPicker
{
    /// <summary>RocksDB's <c>kMaxMultiTrivialMove</c>: at most this many L1+ files move in one trivial move.</summary>
    private const int MaxMultiTrivialMove = 4;

    private readonly ColumnFamilyOptions _options;

    /// <summary>Creates the picker for <paramref name="options"/>.</summary>
    public LeveledCompactionPicker(ColumnFamilyOptions options)
    {
        _options = options;
    }

    /// <inheritdoc/>
    public CompactionStyle Style => CompactionStyle.Level;

    /// <inheritdoc/>
    public double[] LevelScores(Version version, IReadOnlyCollection<CompactionPlan> running) =>
        LeveledScores.Compute(version, _options, LevelTargets.Compute(version, _options), new CompactionsInProgress(running));

    /// <inheritdoc/>
    public bool NeedsCompaction(Version version, IReadOnlyCollection<CompactionPlan> running)
    {
        foreach (double score in LevelScores(version, running))
        {
            if (score >= 1)
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public ulong EstimatePendingCompactionBytes(Version version) =>
        LeveledScores.EstimatePendingBytes(version, _options, LevelTargets.Compute(version, _options));

    /// <inheritdoc/>
    public CompactionPlan? PickCompaction(Version version, IReadOnlyCollection<CompactionPlan> running)
    {
        if (version.NumLevels < 2)
        {
            return null;
        }

        var inProgress = new CompactionsInProgress(running);
        LevelTargets targets = LevelTargets.Compute(version, _options);
        double[] scores = LeveledScores.Compute(version, _options, targets, inProgress);

        // Levels by descending score; equal scores keep the shallower level first, as RocksDB's bubble sort does.
        int[] order = new int[version.NumLevels - 1];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
        bool skippedL0ToBase = false;
        foreach (int level in order)
        {
            double score = scores[level];
            if (score < 1)
            {
                break;
            }

            if (skippedL0ToBase && level == targets.BaseLevel)
            {
                continue;
            }

            var pick = new Pick(this, version, targets, inProgress, level, level == 0 ? targets.BaseLevel : level + 1);
            CompactionPlan? plan = level == 0
                ? pick.FromLevel0(score)
                : pick.FromLevel(score);
            if (plan is not null)
            {
                return plan;
            }

            skippedL0ToBase |= level == 0;
        }

        return null;
    }

    /// <summary>
    /// The order in which the files of <paramref name="level"/> are tried (indexes into the level):
    /// <see cref="CompactionPriority.MinOverlappingRatio"/> ranks by bytes overlapped in the next level × 1024 /
    /// the file's compensated size, ascending, files marked for compaction first and smaller keys first on ties;
    /// <see cref="CompactionPriority.RoundRobin"/> starts at the first file whose smallest key is at or after the
    /// level's compaction cursor and wraps around (L0: oldest smallest sequence first).
    /// </summary>
    private int[] PriorityOrder(Version version, int level)
    {
        IReadOnlyList<FileMetadata> files = version.Files(level);
        InternalKeyComparator icmp = version.Comparator;
        int[] order = new int[files.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (_options.CompactionPri == CompactionPriority.RoundRobin)
        {
            if (level == 0)
            {
                Array.Sort(order, (a, b) => files[a].SmallestSequence != files[b].SmallestSequence
                    ? files[a].SmallestSequence.CompareTo(files[b].SmallestSequence)
                    : a.CompareTo(b));
                return order;
            }

            byte[]? cursor = version.CompactCursor(level);
            int start = 0;
            if (cursor is not null)
            {
                while (start < files.Count && icmp.Compare(cursor, files[start].Smallest) > 0)
                {
                    start++;
                }

                start = start == files.Count ? 0 : start;
            }

            for (int i = 0; i < order.Length; i++)
            {
                order[i] = (start + i) % files.Count;
            }

            return order;
        }

        IReadOnlyList<FileMetadata> next = version.Files(level + 1);
        var ratio = new ulong[files.Count];
        int j = 0;
        for (int i = 0; i < files.Count; i++)
        {
            FileMetadata f = files[i];
            ulong overlap = 0;
            while (j < next.Count && icmp.Compare(next[j].Largest, f.Smallest) < 0)
            {
                j++;
            }

            // On L0 the files are not sorted by key, so the next-level scan restarts for each file.
            int k = level == 0 ? 0 : j;
            while (k < next.Count && icmp.Compare(next[k].Smallest, f.Largest) < 0)
            {
                if (icmp.Compare(next[k].Largest, f.Smallest) >= 0)
                {
                    overlap += next[k].FileSize;
                }

                if (icmp.Compare(next[k].Largest, f.Largest) > 0)
                {
                    break; // this next-level file reaches past the current one: the next current file starts here
                }

                k++;
            }

            j = level == 0 ? 0 : k;
            ratio[i] = overlap * 1024 / Math.Max(1UL, FileRanges.CompensatedSize(f));
        }

        Array.Sort(order, (a, b) =>
        {
            if (files[a].MarkedForCompaction != files[b].MarkedForCompaction)
            {
                return files[a].MarkedForCompaction ? -1 : 1;
            }

            if (ratio[a] != ratio[b])
            {
                return ratio[a].CompareTo(ratio[b]);
            }

            int byKey = icmp.Compare(files[a].Smallest, files[b].Smallest);
            return byKey != 0 ? byKey : a.CompareTo(b);
        });
        return order;
    }
}
