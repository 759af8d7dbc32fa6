namespace Lsm.Engine;

/// <summary>Options of one column family: memtable sizing, merge operator and table format.</summary>
public sealed record ColumnFamilyOptions
{
    /// <summary>Default for <see cref="WriteBufferSize"/>: 64 MiB.</summary>
    public const long DefaultWriteBufferSize = 64L * 1024 * 1024;

    /// <summary>Default for <see cref="MaxWriteBufferNumber"/>: 2.</summary>
    public const int DefaultMaxWriteBufferNumber = 2;

    /// <summary>
    /// Bytes of memtable before it is made immutable and flushed. Larger buffers mean fewer, larger level-0
    /// tables and longer recovery. Default: 64 MiB.
    /// </summary>
    public long WriteBufferSize { get; init; } = DefaultWriteBufferSize;

    /// <summary>
    /// Memtables (the active one plus immutable ones awaiting flush) allowed before writes wait for a flush.
    /// Default: 2.
    /// </summary>
    public int MaxWriteBufferNumber { get; init; } = DefaultMaxWriteBufferNumber;

    /// <summary>Folds merge operands; required to read keys written with Merge. Default: none.</summary>
    public MergeOperator? MergeOperator { get; init; }

    /// <summary>
    /// Decides during compaction whether values are kept, removed or replaced (time-to-live, application-defined
    /// garbage collection); shared by every compaction of the family, so it must be thread-safe. See
    /// <see cref="Lsm.Engine.CompactionFilter"/> for which values it is shown. Default: null (every value is kept).
    /// </summary>
    public CompactionFilter? CompactionFilter { get; init; }

    /// <summary>How tables are written (block size, Bloom bits, compression, checksum, comparator). Default: defaults.</summary>
    public TableOptions Table { get; init; } = new();

    // ---- Compaction: style, triggers, level targets, universal tuning (the compaction pickers' options). ----

    /// <summary>Default for <see cref="Level0FileNumCompactionTrigger"/>: 4.</summary>
    public const int DefaultLevel0FileNumCompactionTrigger = 4;

    /// <summary>Default for <see cref="Level0SlowdownWritesTrigger"/>: 20.</summary>
    public const int DefaultLevel0SlowdownWritesTrigger = 20;

    /// <summary>Default for <see cref="Level0StopWritesTrigger"/>: 36.</summary>
    public const int DefaultLevel0StopWritesTrigger = 36;

    /// <summary>Default for <see cref="MaxBytesForLevelBase"/>: 256 MiB.</summary>
    public const long DefaultMaxBytesForLevelBase = 256L * 1024 * 1024;

    /// <summary>Default for <see cref="MaxBytesForLevelMultiplier"/>: 10.</summary>
    public const double DefaultMaxBytesForLevelMultiplier = 10;

    /// <summary>Default for <see cref="LevelCompactionDynamicLevelBytes"/>: true, RocksDB's default since 8.4.</summary>
    public const bool DefaultLevelCompactionDynamicLevelBytes = true;

    /// <summary>Default for <see cref="TargetFileSizeBase"/>: 64 MiB.</summary>
    public const long DefaultTargetFileSizeBase = 64L * 1024 * 1024;

    /// <summary>Default for <see cref="TargetFileSizeMultiplier"/>: 1.</summary>
    public const int DefaultTargetFileSizeMultiplier = 1;

    /// <summary><see cref="MaxCompactionBytes"/> of 0 means this many times <see cref="TargetFileSizeBase"/>: 25.</summary>
    public const int MaxCompactionBytesTargetFileSizeFactor = 25;

    /// <summary>Default for <see cref="SoftPendingCompactionBytesLimit"/>: 64 GiB.</summary>
    public const long DefaultSoftPendingCompactionBytesLimit = 64L * 1024 * 1024 * 1024;

    /// <summary>Default for <see cref="HardPendingCompactionBytesLimit"/>: 256 GiB.</summary>
    public const long DefaultHardPendingCompactionBytesLimit = 256L * 1024 * 1024 * 1024;

    /// <summary>
    /// How table files are merged: leveled (read- and space-efficient) or universal (write-efficient).
    /// Default: <see cref="CompactionStyle.Level"/>.
    /// </summary>
    public CompactionStyle CompactionStyle { get; init; } = CompactionStyle.Level;

    /// <summary>
    /// Which file of an over-full level a leveled compaction starts from. Default:
    /// <see cref="CompactionPriority.MinOverlappingRatio"/>.
    /// </summary>
    public CompactionPriority CompactionPri { get; init; } = CompactionPriority.MinOverlappingRatio;

    /// <summary>
    /// Turns off automatic compactions (manual <c>CompactRange</c> still works); with them off, level-0 files and
    /// pending bytes never slow down or stop writes. For bulk loads followed by one manual compaction. Default: false.
    /// </summary>
    public bool DisableAutoCompactions { get; init; }

    /// <summary>
    /// The number of level-0 files (universal: sorted runs) that starts a compaction. Smaller values keep reads
    /// cheaper at the cost of smaller, more frequent compactions. Default: 4.
    /// </summary>
    public int Level0FileNumCompactionTrigger { get; init; } = DefaultLevel0FileNumCompactionTrigger;

    /// <summary>
    /// The number of level-0 files (universal: sorted runs) at which writes are slowed down to give compaction
    /// time to catch up. Must be at least <see cref="Level0FileNumCompactionTrigger"/>. Default: 20.
    /// </summary>
    public int Level0SlowdownWritesTrigger { get; init; } = DefaultLevel0SlowdownWritesTrigger;

    /// <summary>
    /// The number of level-0 files (universal: sorted runs) at which writes stop until compaction brings it
    /// down. Must be at least <see cref="Level0SlowdownWritesTrigger"/>. Default: 36.
    /// </summary>
    public int Level0StopWritesTrigger { get; init; } = DefaultLevel0StopWritesTrigger;

    /// <summary>
    /// Leveled: the target size in bytes of L1 (static targets) or the upper bound of the base level's target
    /// (<see cref="LevelCompactionDynamicLevelBytes"/>); a level-0 total above it also asks for an L0 compaction.
    /// Default: 256 MiB.
    /// </summary>
    public long MaxBytesForLevelBase { get; init; } = DefaultMaxBytesForLevelBase;

    /// <summary>
    /// Leveled: each level's target is this many times the target of the level above. Larger values mean fewer
    /// levels (less space and read amplification) and more rewriting per byte. Default: 10.
    /// </summary>
    public double MaxBytesForLevelMultiplier { get; init; } = DefaultMaxBytesForLevelMultiplier;

    /// <summary>
    /// Leveled: derive the level targets from the size of the largest level, bottom up, instead of from
    /// <see cref="MaxBytesForLevelBase"/> top down (RocksDB's <c>level_compaction_dynamic_level_bytes</c>).
    /// Level 0 then compacts into the highest level the targets need (the base level), which may be the last
    /// level of a small database, and space amplification stays near 1.1 whatever the data size. Default: true,
    /// as in RocksDB since 8.4: it bounds space amplification, which the static targets do not.
    /// </summary>
    public bool LevelCompactionDynamicLevelBytes { get; init; } = DefaultLevelCompactionDynamicLevelBytes;

    /// <summary>
    /// Leveled: the target size in bytes of a compaction output file at the base level; each level below
    /// multiplies it by <see cref="TargetFileSizeMultiplier"/>. Default: 64 MiB.
    /// </summary>
    public long TargetFileSizeBase { get; init; } = DefaultTargetFileSizeBase;

    /// <summary>The factor between the output file sizes of consecutive levels. Default: 1 (same size at every level).</summary>
    public int TargetFileSizeMultiplier { get; init; } = DefaultTargetFileSizeMultiplier;

    /// <summary>
    /// Leveled: the most bytes (inputs from both levels) one compaction should take; larger compactions run
    /// longer and hold more disk space at once. 0 means 25 × <see cref="TargetFileSizeBase"/>. Default: 0
    /// (1.6 GiB with the default file size).
    /// </summary>
    public long MaxCompactionBytes { get; init; }

    /// <summary>
    /// Writes are slowed down while the estimated bytes that compaction still has to rewrite exceed this; 0
    /// disables the check. Default: 64 GiB.
    /// </summary>
    public long SoftPendingCompactionBytesLimit { get; init; } = DefaultSoftPendingCompactionBytesLimit;

    /// <summary>
    /// Writes stop while the estimated bytes that compaction still has to rewrite exceed this; 0 disables the
    /// check. Default: 256 GiB.
    /// </summary>
    public long HardPendingCompactionBytesLimit { get; init; } = DefaultHardPendingCompactionBytesLimit;

    /// <summary>Tuning of universal compaction (used when <see cref="CompactionStyle"/> is Universal). Default: defaults.</summary>
    public UniversalCompactionOptions CompactionOptionsUniversal { get; init; } = new();

    /// <summary><see cref="MaxCompactionBytes"/> with 0 resolved to 25 × <see cref="TargetFileSizeBase"/>, as RocksDB sanitizes it.</summary>
    internal ulong EffectiveMaxCompactionBytes =>
        MaxCompactionBytes > 0 ? (ulong)MaxCompactionBytes : (ulong)TargetFileSizeBase * MaxCompactionBytesTargetFileSizeFactor;

    private void ValidateCompaction()
    {
        if (!Enum.IsDefined(CompactionStyle))
        {
            throw new ArgumentException("CompactionStyle is not a defined compaction style.", nameof(CompactionStyle));
        }

        if (!Enum.IsDefined(CompactionPri))
        {
            throw new ArgumentException("CompactionPri is not a supported compaction priority.", nameof(CompactionPri));
        }

        if (Level0FileNumCompactionTrigger < 1)
        {
            throw new ArgumentException("Level0FileNumCompactionTrigger must be at least 1.", nameof(Level0FileNumCompactionTrigger));
        }

        if (Level0SlowdownWritesTrigger < Level0FileNumCompactionTrigger)
        {
            throw new ArgumentException("Level0SlowdownWritesTrigger must be at least Level0FileNumCompactionTrigger.", nameof(Level0SlowdownWritesTrigger));
        }

        if (Level0StopWritesTrigger < Level0SlowdownWritesTrigger)
        {
            throw new ArgumentException("Level0StopWritesTrigger must be at least Level0SlowdownWritesTrigger.", nameof(Level0StopWritesTrigger));
        }

        if (MaxBytesForLevelBase <= 0)
        {
            throw new ArgumentException("MaxBytesForLevelBase must be positive.", nameof(MaxBytesForLevelBase));
        }

        if (!(MaxBytesForLevelMultiplier > 0) || double.IsInfinity(MaxBytesForLevelMultiplier))
        {
            throw new ArgumentException("MaxBytesForLevelMultiplier must be a positive finite number.", nameof(MaxBytesForLevelMultiplier));
        }

        if (TargetFileSizeBase <= 0)
        {
            throw new ArgumentException("TargetFileSizeBase must be positive.", nameof(TargetFileSizeBase));
        }

        if (TargetFileSizeMultiplier < 1)
        {
            throw new ArgumentException("TargetFileSizeMultiplier must be at least 1.", nameof(TargetFileSizeMultiplier));
        }

        if (MaxCompactionBytes < 0)
        {
            throw new ArgumentException("MaxCompactionBytes must be 0 (25 × TargetFileSizeBase) or positive.", nameof(MaxCompactionBytes));
        }

        if (SoftPendingCompactionBytesLimit < 0 || HardPendingCompactionBytesLimit < 0)
        {
            throw new ArgumentException("The pending compaction bytes limits must be 0 (disabled) or positive.", nameof(SoftPendingCompactionBytesLimit));
        }

        if (HardPendingCompactionBytesLimit > 0 && SoftPendingCompactionBytesLimit > HardPendingCompactionBytesLimit)
        {
            throw new ArgumentException("SoftPendingCompactionBytesLimit must not exceed HardPendingCompactionBytesLimit.", nameof(SoftPendingCompactionBytesLimit));
        }

        ArgumentNullException.ThrowIfNull(CompactionOptionsUniversal);
        CompactionOptionsUniversal.Validate();
    }

    // ---- End of the compaction options. ----

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (WriteBufferSize < 4096 || WriteBufferSize > (1L << 40))
        {
            throw new ArgumentException("WriteBufferSize must be between 4 KiB and 1 TiB.", nameof(WriteBufferSize));
        }

        if (MaxWriteBufferNumber is < 2 or > 64)
        {
            throw new ArgumentException("MaxWriteBufferNumber must be between 2 and 64.", nameof(MaxWriteBufferNumber));
        }

        Table.Validate();
        ValidateCompaction();
    }
}
