using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lsm.Engine.Encoding;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// What a picker decided: which files to merge into which level, and how to cut the output. Pure data; the
/// compaction job runs it and the database installs the result (RocksDB's <c>Compaction</c> object, minus the
/// execution state).
/// </summary>
/// <remarks>
/// <para>Invariants (the pickers' property tests check them):</para>
/// <list type="number">
/// <item><description>Every input file is in the version the plan was picked from, and was not being compacted.</description></item>
/// <item><description><see cref="Inputs"/> are in ascending level order, one entry per non-empty level; L1+ inputs are
/// contiguous in their level and cut cleanly (no user key is split between an input and a non-input file of
/// the level).</description></item>
/// <item><description>The output range (the inputs' user-key range) overlaps no file of <see cref="OutputLevel"/>
/// other than the inputs at that level, so the outputs can be installed without breaking level order.</description></item>
/// <item><description><see cref="IsBottommost"/> is true exactly when no file below the output (deeper levels, and for
/// an L0 output the older L0 files) overlaps the inputs' user-key range.</description></item>
/// </list>
/// <para>Immutable; safe to share between threads.</para>
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
internal sealed class CompactionPlan
{
    /// <summary>The level of the first input (the shallowest).</summary>
    public required int StartLevel { get; init; }

    /// <summary>The level the outputs are written to.</summary>
    public required int OutputLevel { get; init; }

    /// <summary>The inputs, level by level in ascending order, without empty levels.</summary>
    public required IReadOnlyList<CompactionInputLevel> Inputs { get; init; }

    /// <summary>
    /// Files of the level below the output that overlap the inputs' range (RocksDB's grandparents): the job cuts
    /// an output file early when it would overlap more than <see cref="MaxCompactionBytes"/> of them.
    /// </summary>
    public IReadOnlyList<FileMetadata> Grandparents { get; init; } = [];

    /// <summary>The size at which the job starts a new output file (RocksDB <c>MaxFileSizeForLevel</c>).</summary>
    public required ulong TargetFileSize { get; init; }

    /// <summary>
    /// The most grandparent bytes one output file may overlap before the job cuts it (RocksDB's
    /// <c>max_compaction_bytes</c> as the compaction carries it); <see cref="ulong.MaxValue"/> is no limit.
    /// </summary>
    public required ulong MaxCompactionBytes { get; init; }

    /// <summary>Whether no older data of the inputs' key range exists below the output: deletions may then be dropped.</summary>
    public required bool IsBottommost { get; init; }

    /// <summary>
    /// Whether the job only re-records the input files at <see cref="OutputLevel"/> instead of rewriting them:
    /// the inputs overlap nothing at the output level and not each other (by internal key). Leveled: they come from
    /// one level and each overlaps at most <see cref="MaxCompactionBytes"/> of grandparents; universal (with
    /// AllowTrivialMove): they may come from several runs.
    /// </summary>
    public required bool IsTrivialMove { get; init; }

    /// <summary>Why the plan was picked.</summary>
    public required CompactionReason Reason { get; init; }

    /// <summary>The score that triggered the pick (≥ 1 for automatic picks); -1 for manual ones.</summary>
    public required double Score { get; init; }

    /// <summary>Whether outputs are compressed (universal's <c>compression_size_percent</c> can turn it off).</summary>
    public bool EnableCompression { get; init; } = true;

    /// <summary>
    /// Round-robin priority: the new compaction cursor of <see cref="StartLevel"/> to record with the result (the
    /// smallest key of the file after the last input, wrapping around); null otherwise.
    /// </summary>
    public byte[]? NextCompactCursor { get; init; }

    /// <summary>
    /// Manual plans: the <c>fromLevel</c> for the next <see cref="ICompactionPicker.PickRange"/> call once this
    /// plan has run (this plan's start level again when it had to leave part of the range for later).
    /// </summary>
    public int NextManualLevel { get; init; }

    /// <summary>The smallest user key of all inputs.</summary>
    public required byte[] SmallestUserKey { get; init; }

    /// <summary>The largest user key of all inputs.</summary>
    public required byte[] LargestUserKey { get; init; }

    /// <summary>Every input file, level by level.</summary>
    public IEnumerable<FileMetadata> AllInputFiles()
    {
        foreach (CompactionInputLevel level in Inputs)
        {
            foreach (FileMetadata f in level.Files)
            {
                yield return f;
            }
        }
    }

    /// <summary>The input files of <paramref name="level"/> (empty when the plan takes none from it).</summary>
    public IReadOnlyList<FileMetadata> InputsAt(int level)
    {
        foreach (CompactionInputLevel input in Inputs)
        {
            if (input.Level == level)
            {
                return input.Files;
            }
        }

        return [];
    }

    /// <summary>The total size in bytes of the inputs.</summary>
    public ulong InputBytes => FileRanges.TotalSize(AllInputFiles());

    /// <summary>The text form used by tests: <c>L0 [000005 000004] + L1 [000003] -> L1 reason=level0-file-count score=1.00 target=1024 bottommost</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        for (int i = 0; i < Inputs.Count; i++)
        {
            text.Append(i == 0 ? "" : " + ").Append(c, $"L{Inputs[i].Level} [");
            for (int j = 0; j < Inputs[i].Files.Count; j++)
            {
                text.Append(j == 0 ? "" : " ").Append(DbFileName.Number(Inputs[i].Files[j].FileNumber));
            }

            text.Append(']');
        }

        text.Append(c, $" -> L{OutputLevel} reason={ReasonText(Reason)} score={Score:0.00}");
        text.Append(c, $" target={(TargetFileSize == ulong.MaxValue ? "unlimited" : TargetFileSize.ToString(c))}");
        if (IsBottommost)
        {
            text.Append(" bottommost");
        }

        if (IsTrivialMove)
        {
            text.Append(" trivial-move");
        }

        if (!EnableCompression)
        {
            text.Append(" uncompressed");
        }

        if (Grandparents.Count > 0)
        {
            text.Append(" grandparents=[");
            for (int j = 0; j < Grandparents.Count; j++)
            {
                text.Append(j == 0 ? "" : " ").Append(DbFileName.Number(Grandparents[j].FileNumber));
            }

            text.Append(']');
        }

        if (NextCompactCursor is byte[] cursor)
        {
            text.Append(" next-cursor=").Append(ShapeText.FormatInternalKey(cursor));
        }

        return text.ToString();
    }

    /// <summary>The short name of a reason, as <see cref="ToString"/> prints it.</summary>
    public static string ReasonText(CompactionReason reason) => reason switch
    {
        CompactionReason.LevelL0FileCount => "level0-file-count",
        CompactionReason.LevelMaxLevelSize => "level-size",
        CompactionReason.UniversalSizeAmplification => "universal-size-amp",
        CompactionReason.UniversalSizeRatio => "universal-size-ratio",
        CompactionReason.UniversalSortedRunNum => "universal-run-count",
        CompactionReason.Manual => "manual",
        _ => reason.ToString(),
    };
}
