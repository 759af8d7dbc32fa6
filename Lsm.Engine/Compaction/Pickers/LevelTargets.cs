using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// The leveled shape a version is compacted towards: the base level (where L0 compacts to) and each level's
/// target size (RocksDB <c>VersionStorageInfo::CalculateBaseBytes</c>), and the output file size of each level
/// (RocksDB <c>MaxFileSizeForLevel</c>).
/// </summary>
/// <remarks>
/// <para>
/// Static targets: the base level is L1, L1's target is <see cref="ColumnFamilyOptions.MaxBytesForLevelBase"/>
/// and each deeper level's is the one above times <see cref="ColumnFamilyOptions.MaxBytesForLevelMultiplier"/>.
/// </para>
/// <para>
/// Dynamic targets (<see cref="ColumnFamilyOptions.LevelCompactionDynamicLevelBytes"/>): the largest level of L1
/// and up keeps its size as the last level's target, and the levels above divide it by the multiplier, level by
/// level. The base level is the deepest level whose derived target is at most MaxBytesForLevelBase (never above
/// the first non-empty level, never above L1); levels above it are unused (target unlimited). With no data in
/// L1 and up, L0 compacts straight into the last level. Non-empty levels whose derived target falls below
/// MaxBytesForLevelBase / multiplier are "unnecessary" (left over from a larger database) and are drained.
/// No level's target is below MaxBytesForLevelBase, so L1+ never looks fuller than L0 only because it is small.
/// </para>
/// </remarks>
internal sealed class LevelTargets
{
    private readonly ulong[] _maxBytes;
    private readonly ulong[] _fileSizes;

    private LevelTargets(int baseLevel, int lowestUnnecessaryLevel, ulong[] maxBytes, ulong[] fileSizes)
    {
        BaseLevel = baseLevel;
        LowestUnnecessaryLevel = lowestUnnecessaryLevel;
        _maxBytes = maxBytes;
        _fileSizes = fileSizes;
    }

    /// <summary>The level L0 compacts into (L1 with static targets).</summary>
    public int BaseLevel { get; }

    /// <summary>The deepest level whose data should be drained down (dynamic targets only); -1 when none.</summary>
    public int LowestUnnecessaryLevel { get; }

    /// <summary>The target size of <paramref name="level"/>; <see cref="ulong.MaxValue"/> for unused levels.</summary>
    public ulong MaxBytesForLevel(int level) => _maxBytes[level];

    /// <summary>
    /// The size of a compaction output file at <paramref name="level"/>: TargetFileSizeBase at the base level
    /// (L1 with static targets), times TargetFileSizeMultiplier for each level below it.
    /// </summary>
    public ulong TargetFileSize(int level) => _fileSizes[level];

    /// <summary>Computes the targets of a leveled column family.</summary>
    public static LevelTargets Compute(Version version, ColumnFamilyOptions options)
    {
        int numLevels = version.NumLevels;
        var maxBytes = new ulong[numLevels];
        ulong levelBase = (ulong)options.MaxBytesForLevelBase;
        double multiplier = options.MaxBytesForLevelMultiplier;
        int baseLevel;
        int lowestUnnecessary = -1;
        if (!options.LevelCompactionDynamicLevelBytes)
        {
            baseLevel = 1;
            for (int i = 0; i < numLevels; i++)
            {
                maxBytes[i] = i > 1 ? MultiplyCheckOverflow(maxBytes[i - 1], multiplier) : levelBase;
            }
        }
        else
        {
            Array.Fill(maxBytes, ulong.MaxValue); // levels above the base level take no compaction from size
            ulong maxLevelSize = 0;
            int firstNonEmpty = -1;
            for (int i = 1; i < numLevels; i++)
            {
                ulong size = version.LevelSize(i);
                if (size > 0 && firstNonEmpty < 0)
                {
                    firstNonEmpty = i;
                }

                maxLevelSize = Math.Max(maxLevelSize, size);
            }

            if (maxLevelSize == 0)
            {
                baseLevel = numLevels - 1;
            }
            else
            {
                ulong baseBytesMax = levelBase;
                ulong baseBytesMin = (ulong)(baseBytesMax / multiplier);
                ulong curLevelSize = maxLevelSize;
                for (int i = numLevels - 2; i >= firstNonEmpty; i--)
                {
                    curLevelSize = (ulong)(curLevelSize / multiplier);
                    if (lowestUnnecessary == -1 && curLevelSize <= baseBytesMin)
                    {
                        lowestUnnecessary = i;
                    }
                }

                ulong baseLevelSize;
                if (curLevelSize <= baseBytesMin)
                {
                    // Even the first non-empty level's derived target is tiny: keep it as the base level with the
                    // smallest sensible target; the levels above the unnecessary one drain into it.
                    baseLevelSize = baseBytesMin + 1;
                    baseLevel = firstNonEmpty;
                }
                else
                {
                    baseLevel = firstNonEmpty;
                    while (baseLevel > 1 && curLevelSize > baseBytesMax)
                    {
                        baseLevel--;
                        curLevelSize = (ulong)(curLevelSize / multiplier);
                    }

                    baseLevelSize = curLevelSize > baseBytesMax ? baseBytesMax : Math.Max(1UL, curLevelSize);
                }

                ulong levelSize = baseLevelSize;
                for (int i = baseLevel; i < numLevels; i++)
                {
                    if (i > baseLevel)
                    {
                        levelSize = MultiplyCheckOverflow(levelSize, multiplier);
                    }

                    maxBytes[i] = Math.Max(levelSize, baseBytesMax);
                }
            }
        }

        return new LevelTargets(baseLevel, lowestUnnecessary, maxBytes, FileSizes(options, numLevels, baseLevel, CompactionStyle.Level));
    }

    /// <summary>
    /// The output file size of every level (RocksDB <c>MaxFileSizeForLevel</c>): for universal, unlimited at L0
    /// and TargetFileSizeBase × multiplier^(level − 1) below; for leveled, the same progression counted from the
    /// base level when targets are dynamic.
    /// </summary>
    public static ulong[] FileSizes(ColumnFamilyOptions options, int numLevels, int baseLevel, CompactionStyle style)
    {
        var table = new ulong[numLevels];
        for (int i = 0; i < numLevels; i++)
        {
            table[i] = i == 0 && style == CompactionStyle.Universal ? ulong.MaxValue
                : i > 1 ? MultiplyCheckOverflow(table[i - 1], options.TargetFileSizeMultiplier)
                : (ulong)options.TargetFileSizeBase;
        }

        if (style != CompactionStyle.Level || !options.LevelCompactionDynamicLevelBytes)
        {
            return table;
        }

        var shifted = new ulong[numLevels];
        for (int i = 0; i < numLevels; i++)
        {
            shifted[i] = i < baseLevel ? table[i] : table[i - baseLevel];
        }

        return shifted;
    }

    /// <summary><paramref name="value"/> × <paramref name="factor"/>, or <paramref name="value"/> itself when the product overflows (RocksDB's rule).</summary>
    public static ulong MultiplyCheckOverflow(ulong value, double factor)
    {
        if (value == 0 || factor <= 0)
        {
            return 0;
        }

        double product = value * factor;
        return product < ulong.MaxValue ? (ulong)product : value;
    }
}
