namespace Lsm.Engine;

/// <summary>
/// Tuning of <see cref="CompactionStyle.Universal"/> (RocksDB <c>CompactionOptionsUniversal</c>, same names and
/// defaults). The number of sorted runs that starts a compaction is
/// <see cref="ColumnFamilyOptions.Level0FileNumCompactionTrigger"/>.
/// </summary>
public sealed record UniversalCompactionOptions
{
    /// <summary>Default for <see cref="SizeRatio"/>: 1 (percent).</summary>
    public const uint DefaultSizeRatio = 1;

    /// <summary>Default for <see cref="MinMergeWidth"/>: 2.</summary>
    public const uint DefaultMinMergeWidth = 2;

    /// <summary>Default for <see cref="MaxMergeWidth"/>: <see cref="uint.MaxValue"/> (no limit).</summary>
    public const uint DefaultMaxMergeWidth = uint.MaxValue;

    /// <summary>Default for <see cref="MaxSizeAmplificationPercent"/>: 200.</summary>
    public const uint DefaultMaxSizeAmplificationPercent = 200;

    /// <summary>Default for <see cref="CompressionSizePercent"/>: -1 (always compress).</summary>
    public const int DefaultCompressionSizePercent = -1;

    /// <summary>Default for <see cref="MaxReadAmp"/>: -1 (use the compaction trigger).</summary>
    public const int DefaultMaxReadAmp = -1;

    /// <summary>
    /// Percentage flexibility of a size-ratio merge: starting from the newest run, the next older run joins while
    /// its size is at most (100 + SizeRatio)% of the runs picked so far (<see cref="StopStyle"/>). Larger values
    /// merge more eagerly: fewer runs, more rewriting. Default: 1.
    /// </summary>
    public uint SizeRatio { get; init; } = DefaultSizeRatio;

    /// <summary>The fewest runs a size-ratio merge may take (values below 2 act as 2). Default: 2.</summary>
    public uint MinMergeWidth { get; init; } = DefaultMinMergeWidth;

    /// <summary>The most runs one size-ratio or run-count merge may take. Default: <see cref="uint.MaxValue"/>.</summary>
    public uint MaxMergeWidth { get; init; } = DefaultMaxMergeWidth;

    /// <summary>
    /// The space amplification tolerated before everything is compacted into the last level: the size of all
    /// runs but the oldest, as a percentage of the oldest. 200 lets the database take up to three times its
    /// live size between full compactions. Default: 200.
    /// </summary>
    public uint MaxSizeAmplificationPercent { get; init; } = DefaultMaxSizeAmplificationPercent;

    /// <summary>
    /// With a value of 0 to 100, a size-ratio merge writes its output uncompressed while the runs older than its
    /// inputs already hold at least this percentage of all bytes (RocksDB's compression_size_percent); -1 always
    /// compresses. Default: -1.
    /// </summary>
    public int CompressionSizePercent { get; init; } = DefaultCompressionSizePercent;

    /// <summary>How a size-ratio merge decides to stop taking runs. Default: <see cref="UniversalStopStyle.TotalSize"/>.</summary>
    public UniversalStopStyle StopStyle { get; init; } = UniversalStopStyle.TotalSize;

    /// <summary>
    /// The number of sorted runs above which runs are merged regardless of size ratio, to bound read
    /// amplification: -1 uses <see cref="ColumnFamilyOptions.Level0FileNumCompactionTrigger"/>; 0 derives it
    /// from the largest run, <see cref="SizeRatio"/> and <see cref="ColumnFamilyOptions.WriteBufferSize"/>
    /// (with <see cref="UniversalStopStyle.TotalSize"/>). Default: -1.
    /// </summary>
    public int MaxReadAmp { get; init; } = DefaultMaxReadAmp;

    /// <summary>
    /// Whether a merge whose input files do not overlap one another may move them to the output level instead of
    /// rewriting them. Default: false.
    /// </summary>
    public bool AllowTrivialMove { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (MinMergeWidth > MaxMergeWidth)
        {
            throw new ArgumentException("Universal MinMergeWidth must not exceed MaxMergeWidth.", nameof(MinMergeWidth));
        }

        if (CompressionSizePercent is < -1 or > 100)
        {
            throw new ArgumentException("Universal CompressionSizePercent must be -1 or between 0 and 100.", nameof(CompressionSizePercent));
        }

        if (MaxReadAmp < -1)
        {
            throw new ArgumentException("Universal MaxReadAmp must be -1, 0 or positive.", nameof(MaxReadAmp));
        }

        if (!Enum.IsDefined(StopStyle))
        {
            throw new ArgumentException("Universal StopStyle is not a defined stop style.", nameof(StopStyle));
        }
    }
}
