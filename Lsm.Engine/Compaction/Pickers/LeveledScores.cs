using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// How urgently each level of a leveled column family needs compaction, and how many bytes compaction still
/// has to rewrite (RocksDB <c>VersionStorageInfo::ComputeCompactionScore</c> and
/// <c>EstimateCompactionBytesNeeded</c>).
/// </summary>
/// <remarks>
/// A score of 1 or more asks for a compaction; the highest score goes first. Files being compacted do not
/// count towards their level's score, so a level already being drained does not look full.
/// </remarks>
internal static class LeveledScores
{
    /// <summary>
    /// RocksDB scales scores above 1 by 10 with dynamic targets, so that it can lower a level's score for
    /// incoming data (dividing by target + bytes coming down) without dropping it below the trigger.
    /// </summary>
    private const double ScoreScale = 10.0;

    /// <summary>
    /// One score per level; the last level (never an input) scores 0.
    /// <list type="bullet">
    /// <item><description>L0: non-busy files / Level0FileNumCompactionTrigger. Static targets: at least L0 bytes /
    /// MaxBytesForLevelBase. Dynamic: at least 1.01 when L0 holds MaxBytesForLevelBase bytes, and at least L0 bytes /
    /// max(base level bytes, base level target) when L0 outgrows the base level's target (so L0 → base goes before
    /// base → below); scaled by 10 above 1.</description></item>
    /// <item><description>L1+: non-busy bytes / target. Dynamic: above the target, divided by (target + all bytes
    /// waiting to come down from the levels above) and scaled by 10; unnecessary levels score just over the
    /// trigger (the shallower, the higher).</description></item>
    /// </list>
    /// </summary>
    public static double[] Compute(Version version, ColumnFamilyOptions options, LevelTargets targets, CompactionsInProgress running)
    {
        int numLevels = version.NumLevels;
        var scores = new double[numLevels];
        bool dynamic = options.LevelCompactionDynamicLevelBytes;
        double downcompactBytes = 0;
        for (int level = 0; level <= numLevels - 2; level++)
        {
            double score;
            if (level == 0)
            {
                int runs = 0;
                ulong size = 0;
                foreach (FileMetadata f in version.Files(0))
                {
                    downcompactBytes += f.FileSize;
                    if (!running.IsBusy(f))
                    {
                        size += FileRanges.CompensatedSize(f);
                        runs++;
                    }
                }

                score = (double)runs / options.Level0FileNumCompactionTrigger;
                if (dynamic)
                {
                    if (size >= (ulong)options.MaxBytesForLevelBase)
                    {
                        score = Math.Max(score, 1.01);
                    }

                    int baseLevel = targets.BaseLevel;
                    if (size > targets.MaxBytesForLevel(baseLevel))
                    {
                        ulong baseSize = 0;
                        foreach (FileMetadata f in version.Files(baseLevel))
                        {
                            baseSize += FileRanges.CompensatedSize(f);
                        }

                        score = Math.Max(score, (double)size / Math.Max(baseSize, targets.MaxBytesForLevel(baseLevel)));
                    }

                    if (score > 1.0)
                    {
                        score *= ScoreScale;
                    }
                }
                else
                {
                    score = Math.Max(score, (double)size / options.MaxBytesForLevelBase);
                }
            }
            else
            {
                ulong notCompacting = 0, total = 0;
                foreach (FileMetadata f in version.Files(level))
                {
                    total += f.FileSize;
                    if (!running.IsBusy(f))
                    {
                        notCompacting += FileRanges.CompensatedSize(f);
                    }
                }

                ulong target = targets.MaxBytesForLevel(level);
                if (!dynamic)
                {
                    score = (double)notCompacting / target;
                }
                else
                {
                    score = notCompacting < target
                        ? (double)notCompacting / target
                        : notCompacting / (target + downcompactBytes) * ScoreScale;
                    if (notCompacting > 0 && level <= targets.LowestUnnecessaryLevel)
                    {
                        score = Math.Max(score, ScoreScale * (1.001 + (0.001 * (targets.LowestUnnecessaryLevel - level))));
                    }
                }

                if (level <= targets.LowestUnnecessaryLevel)
                {
                    downcompactBytes += total;
                }
                else if (total > target)
                {
                    downcompactBytes += total - target;
                }
            }

            scores[level] = score;
        }

        return scores;
    }

    /// <summary>
    /// RocksDB's estimate of the bytes compaction must rewrite to bring every level under its target: when L0
    /// is at its trigger (files or MaxBytesForLevelBase bytes), all of L0 plus the base level; then, walking down
    /// from the base level with each level's size grown by what the level above pushes into it, every level over
    /// its target pushes the excess down and costs excess × (1 + next level bytes / this level bytes) (the excess
    /// plus the next-level bytes it is merged with). Busy files count: they are work not yet done.
    /// </summary>
    public static ulong EstimatePendingBytes(Version version, ColumnFamilyOptions options, LevelTargets targets)
    {
        ulong estimate = 0;
        ulong toNextLevel = 0;
        ulong l0Size = version.LevelSize(0);
        bool l0Triggered = version.Files(0).Count >= options.Level0FileNumCompactionTrigger || l0Size >= (ulong)options.MaxBytesForLevelBase;
        if (l0Triggered)
        {
            estimate = l0Size;
            toNextLevel = l0Size;
        }

        int numLevels = version.NumLevels;
        for (int level = targets.BaseLevel; level <= numLevels - 2; level++)
        {
            ulong levelSize = version.LevelSize(level);
            if (level == targets.BaseLevel && l0Triggered)
            {
                estimate += levelSize;
            }

            levelSize += toNextLevel;
            toNextLevel = 0;
            ulong target = targets.MaxBytesForLevel(level);
            if (levelSize > target)
            {
                toNextLevel = levelSize - target;
                ulong nextLevelSize = version.LevelSize(level + 1);
                if (nextLevelSize > 0)
                {
                    estimate += (ulong)(toNextLevel * (((double)nextLevelSize / levelSize) + 1));
                }
            }
        }

        return estimate;
    }
}
