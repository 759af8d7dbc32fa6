using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

internal sealed partial class LeveledCompactionPicker
{
    /// <inheritdoc/>
    /// <remarks>
    /// RocksDB's CompactRange for leveled compaction: each level from the first one holding files in the range
    /// compacts them into the next level (L0 into the base level), down to the deepest non-empty level (at least
    /// L1); with dynamic targets down to the last level. One step per call: the shallowest level from
    /// <paramref name="fromLevel"/> on with files in the range. An L1+ step stops adding files once its inputs
    /// and their next-level overlap pass MaxCompactionBytes (always taking the first), and then names its own
    /// level as the next one, to compact the rest. The deepest level is not rewritten into itself.
    /// </remarks>
    public CompactionPlan? PickRange(Version version, IReadOnlyCollection<CompactionPlan> running, byte[]? begin, byte[]? end, int fromLevel, out bool conflict)
    {
        conflict = false;
        if (version.NumLevels < 2)
        {
            return null;
        }

        var inProgress = new CompactionsInProgress(running);
        LevelTargets targets = LevelTargets.Compute(version, _options);
        int finalLevel = _options.LevelCompactionDynamicLevelBytes ? version.NumLevels - 1 : Math.Max(1, DeepestNonEmptyLevel(version));
        for (int level = Math.Max(0, fromLevel); level < finalLevel; level++)
        {
            List<FileMetadata> inputs = FileRanges.Overlapping(version, level, begin, end);
            if (inputs.Count == 0)
            {
                continue;
            }

            int output = level == 0 ? (_options.LevelCompactionDynamicLevelBytes ? targets.BaseLevel : 1) : level + 1;
            bool covered = true;
            if (level > 0)
            {
                // Avoid one huge compaction for a large range (not on L0, whose overlapping files must go together).
                ulong limit = _options.EffectiveMaxCompactionBytes;
                ulong inputTotal = inputs[0].FileSize;
                for (int i = 1; i < inputs.Count; i++)
                {
                    ulong outputTotal = FileRanges.TotalSize(FileRanges.Overlapping(version, output, inputs[0].SmallestUserKey.ToArray(), inputs[i].LargestUserKey.ToArray()));
                    inputTotal += inputs[i].FileSize;
                    if (inputTotal + outputTotal > limit)
                    {
                        inputs.RemoveRange(i, inputs.Count - i);
                        covered = false;
                        break;
                    }
                }
            }

            int next = covered ? (level == 0 ? output : level + 1) : level;
            CompactionPlan? plan = new Pick(this, version, targets, inProgress, level, output).Manual(inputs, next);
            conflict = plan is null;
            return plan;
        }

        return null;
    }

    private static int DeepestNonEmptyLevel(Version version)
    {
        for (int level = version.NumLevels - 1; level > 0; level--)
        {
            if (version.Files(level).Count > 0)
            {
                return level;
            }
        }

        return 0;
    }
}
