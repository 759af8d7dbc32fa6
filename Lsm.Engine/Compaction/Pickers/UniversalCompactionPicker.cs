using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// Universal (tiered) compaction (RocksDB's <c>UniversalCompactionPicker</c>): the tree is a list of sorted
/// runs, newest first (each L0 file, then each non-empty level of L1 and up as a whole), and compactions merge
/// consecutive runs.
/// </summary>
/// <remarks>
/// <para>Nothing happens below <see cref="ColumnFamilyOptions.Level0FileNumCompactionTrigger"/> runs. Then, in
/// RocksDB's order, the first rule that yields a plan wins:</para>
/// <list type="number">
/// <item><description>Space amplification: when the runs newer than the oldest one (taken back from the oldest until a
/// busy run) hold at least MaxSizeAmplificationPercent % of the oldest run's bytes, they are all merged with it
/// into the last level.</description></item>
/// <item><description>Size ratio: from the newest non-busy run, the next older run joins while its size is at most
/// (100 + SizeRatio) % of the runs taken so far (<see cref="UniversalStopStyle"/>), up to MaxMergeWidth runs; at
/// least MinMergeWidth runs (and 2) must join, else the scan restarts at the next run.</description></item>
/// <item><description>Run count: when more non-busy runs remain than the read-amplification bound
/// (<see cref="UniversalCompactionOptions.MaxReadAmp"/>, by default the trigger), the newest
/// runs − bound + 1 runs are merged whatever their sizes (still within the merge widths).</description></item>
/// </list>
/// <para>
/// The output goes to the last level when the oldest run is included, otherwise to the level just above the
/// next older run (L0 when that run is an L0 file), so runs stay ordered by age from L0 down. A plan is dropped
/// when a running compaction writes the same key range of its output level. Busy runs are never taken.
/// </para>
/// <para>Left out from RocksDB: incremental size-amp compaction, the exclusion of newest L0 files near the stop
/// trigger, periodic, delete- and read-triggered compactions, ingest-behind, and multiple data paths.</para>
/// <para>Stateless apart from the options; thread-safe.</para>
/// </remarks>
internal sealed class UniversalCompactionPicker : ICompactionPicker
{
    private readonly ColumnFamilyOptions _options;
    private readonly UniversalCompactionOptions _universal;

    /// <summary>Creates the picker for <paramref name="options"/>.</summary>
    public UniversalCompactionPicker(ColumnFamilyOptions options)
    {
        _options = options;
        _universal = options.CompactionOptionsUniversal;
    }

    /// <inheritdoc/>
    public CompactionStyle Style => CompactionStyle.Universal;

    /// <summary>One sorted run: an L0 file, or a whole level of L1 and up (then <see cref="File"/> is null).</summary>
    private readonly record struct SortedRun(int Level, FileMetadata? File, ulong Size, ulong CompensatedSize, bool Busy);

    /// <inheritdoc/>
    /// <remarks>Index 0 holds non-busy sorted runs / Level0FileNumCompactionTrigger; the other levels score 0.</remarks>
    public double[] LevelScores(Version version, IReadOnlyCollection<CompactionPlan> running)
    {
        var scores = new double[version.NumLevels];
        int runs = 0;
        foreach (SortedRun run in SortedRuns(version, new CompactionsInProgress(running)))
        {
            runs += run.Busy ? 0 : 1;
        }

        scores[0] = (double)runs / _options.Level0FileNumCompactionTrigger;
        return scores;
    }

    /// <inheritdoc/>
    public bool NeedsCompaction(Version version, IReadOnlyCollection<CompactionPlan> running) => LevelScores(version, running)[0] >= 1;

    /// <inheritdoc/>
    /// <remarks>0, as RocksDB: the estimate is defined for leveled compaction only, so universal never stalls writes on it.</remarks>
    public ulong EstimatePendingCompactionBytes(Version version) => 0;

    /// <inheritdoc/>
    public CompactionPlan? PickCompaction(Version version, IReadOnlyCollection<CompactionPlan> running)
    {
        var inProgress = new CompactionsInProgress(running);
        List<SortedRun> runs = SortedRuns(version, inProgress);
        int trigger = _options.Level0FileNumCompactionTrigger;
        if (runs.Count == 0 || runs.Count < trigger)
        {
            return null;
        }

        double score = LevelScores(version, running)[0];
        CompactionPlan? plan = PickSizeAmp(version, inProgress, runs, score)
            ?? PickSizeRatio(version, inProgress, runs, score, _universal.SizeRatio, uint.MaxValue);
        if (plan is null)
        {
            int maxRuns = MaxRuns(runs);
            int notBusy = 0;
            foreach (SortedRun run in runs)
            {
                notBusy += run.Busy ? 0 : 1;
            }

            if (notBusy > maxRuns)
            {
                plan = PickSizeRatio(version, inProgress, runs, score, uint.MaxValue, (uint)(notBusy - maxRuns + 1));
            }
        }

        return plan;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// As RocksDB, universal compacts the whole tree whatever the range: every file from the first non-empty
    /// level down goes into one run at the last level. One step: its <see cref="CompactionPlan.NextManualLevel"/>
    /// is past the last level.
    /// </remarks>
    public CompactionPlan? PickRange(Version version, IReadOnlyCollection<CompactionPlan> running, byte[]? begin, byte[]? end, int fromLevel, out bool conflict)
    {
        conflict = false;
        if (fromLevel > 0)
        {
            return null;
        }

        var inProgress = new CompactionsInProgress(running);
        var inputs = new List<CompactionInputLevel>();
        for (int level = 0; level < version.NumLevels; level++)
        {
            if (version.Files(level).Count > 0)
            {
                inputs.Add(new CompactionInputLevel(level, version.Files(level)));
            }
        }

        if (inputs.Count == 0)
        {
            return null;
        }

        int output = version.NumLevels - 1;
        CompactionPlan? plan = null;
        if (!(inputs[0].Level == 0 && inProgress.Level0InProgress) && !inProgress.AnyBusy(AllFiles(inputs)))
        {
            plan = Build(version, inProgress, inputs, output, CompactionReason.Manual, -1, enableCompression: true, allowTrivialMove: false, nextManualLevel: version.NumLevels);
        }

        conflict = plan is null;
        return plan;
    }

    /// <summary>The sorted runs, newest first: each L0 file, then each non-empty level (busy if any file of it is).</summary>
    private static List<SortedRun> SortedRuns(Version version, CompactionsInProgress running)
    {
        var runs = new List<SortedRun>();
        foreach (FileMetadata f in version.Files(0))
        {
            runs.Add(new SortedRun(0, f, f.FileSize, FileRanges.CompensatedSize(f), running.IsBusy(f)));
        }

        for (int level = 1; level < version.NumLevels; level++)
        {
            IReadOnlyList<FileMetadata> files = version.Files(level);
            if (files.Count == 0)
            {
                continue;
            }

            ulong size = 0, compensated = 0;
            bool busy = false;
            foreach (FileMetadata f in files)
            {
                size += f.FileSize;
                compensated += FileRanges.CompensatedSize(f);
                busy |= running.IsBusy(f);
            }

            runs.Add(new SortedRun(level, null, size, compensated, busy));
        }

        return runs;
    }

    /// <summary>Rule 1: the space-amplification full compaction (RocksDB PickCompactionToReduceSizeAmp).</summary>
    private CompactionPlan? PickSizeAmp(Version version, CompactionsInProgress running, List<SortedRun> runs, double score)
    {
        int end = runs.Count - 1;
        if (runs[end].Busy)
        {
            return null;
        }

        int start = end;
        ulong candidateSize = 0;
        while (start > 0 && !runs[start - 1].Busy)
        {
            candidateSize += runs[start - 1].CompensatedSize;
            start--;
        }

        if (start == end)
        {
            return null;
        }

        // Size amplification = newer bytes as a percentage of the oldest run's.
        ulong baseSize = runs[end].Size;
        if ((UInt128)candidateSize * 100 < (UInt128)_universal.MaxSizeAmplificationPercent * baseSize)
        {
            return null;
        }

        return FromRuns(version, running, runs, start, end, CompactionReason.UniversalSizeAmplification, score, enableCompression: true);
    }

    /// <summary>
    /// Rules 2 and 3 (RocksDB PickCompactionToReduceSortedRuns): consecutive runs by size ratio, at most
    /// <paramref name="maxFiles"/> of them; a ratio of <see cref="uint.MaxValue"/> takes runs whatever their size.
    /// </summary>
    private CompactionPlan? PickSizeRatio(Version version, CompactionsInProgress running, List<SortedRun> runs, double score, uint ratio, uint maxFiles)
    {
        uint minWidth = Math.Max(_universal.MinMergeWidth, 2u);
        uint maxToCompact = Math.Min(_universal.MaxMergeWidth, maxFiles);
        int startIndex = -1;
        uint count = 0;
        for (int loop = 0; loop < runs.Count; loop++)
        {
            while (loop < runs.Count && runs[loop].Busy)
            {
                loop++;
            }

            if (loop >= runs.Count)
            {
                break;
            }

            count = 1;
            double candidateSize = runs[loop].CompensatedSize;
            for (int i = loop + 1; count < maxToCompact && i < runs.Count; i++)
            {
                SortedRun next = runs[i];
                if (next.Busy)
                {
                    break;
                }

                if (candidateSize * (100.0 + ratio) / 100.0 < next.Size)
                {
                    break;
                }

                if (_universal.StopStyle == UniversalStopStyle.SimilarSize)
                {
                    // Also stop when the last run taken is much larger than the next one: a run of small files
                    // starting there is picked up on a later pass.
                    if (next.Size * (100.0 + ratio) / 100.0 < candidateSize)
                    {
                        break;
                    }

                    candidateSize = next.CompensatedSize;
                }
                else
                {
                    candidateSize += next.CompensatedSize;
                }

                count++;
            }

            if (count >= minWidth)
            {
                startIndex = loop;
                break;
            }
        }

        if (startIndex < 0 || count <= 1)
        {
            return null;
        }

        int firstAfter = startIndex + (int)count;
        bool enableCompression = true;
        if (_universal.CompressionSizePercent >= 0)
        {
            // Compress only while the runs older than the output hold less than the configured share of all bytes.
            ulong total = 0;
            foreach (SortedRun run in runs)
            {
                total += run.CompensatedSize;
            }

            ulong older = 0;
            for (int i = runs.Count - 1; i >= firstAfter; i--)
            {
                older += runs[i].Size;
                if ((UInt128)older * 100 >= (UInt128)total * (ulong)_universal.CompressionSizePercent)
                {
                    enableCompression = false;
                    break;
                }
            }
        }

        CompactionReason reason = maxFiles == uint.MaxValue ? CompactionReason.UniversalSizeRatio : CompactionReason.UniversalSortedRunNum;
        return FromRuns(version, running, runs, startIndex, firstAfter - 1, reason, score, enableCompression);
    }

    /// <summary>
    /// The read-amplification bound of rule 3: MaxReadAmp when positive, the trigger when -1, and when 0 the
    /// number of runs a size-ratio-shaped tree needs to hold the largest run, starting from a
    /// write-buffer-sized run (RocksDB's auto-tuning; with the similar-size stop style, the trigger).
    /// </summary>
    private int MaxRuns(List<SortedRun> runs)
    {
        int maxReadAmp = _universal.MaxReadAmp;
        if (maxReadAmp < 0 || (maxReadAmp == 0 && _universal.StopStyle != UniversalStopStyle.TotalSize))
        {
            return _options.Level0FileNumCompactionTrigger;
        }

        if (maxReadAmp > 0)
        {
            return maxReadAmp;
        }

        ulong maxRunSize = 0;
        foreach (SortedRun run in runs)
        {
            maxRunSize = Math.Max(maxRunSize, run.Size);
        }

        int maxRuns = 1;
        double levelSize = _options.WriteBufferSize;
        double total = 0;
        while (levelSize < maxRunSize)
        {
            total += levelSize;
            levelSize = (100.0 + _universal.SizeRatio) / 100.0 * total;
            maxRuns++;
        }

        return maxRuns;
    }

    /// <summary>
    /// The plan merging runs[<paramref name="start"/>..<paramref name="end"/>]: into the last level when the oldest
    /// run is included, else just above the next older run (into L0 when that run is an L0 file).
    /// </summary>
    private CompactionPlan? FromRuns(Version version, CompactionsInProgress running, List<SortedRun> runs, int start, int end, CompactionReason reason, double score, bool enableCompression)
    {
        int output = end == runs.Count - 1 ? version.NumLevels - 1 : Math.Max(0, runs[end + 1].Level - 1);
        var l0 = new List<FileMetadata>();
        var inputs = new List<CompactionInputLevel>();
        for (int i = start; i <= end; i++)
        {
            if (runs[i].Level == 0)
            {
                l0.Add(runs[i].File!);
            }
            else
            {
                inputs.Add(new CompactionInputLevel(runs[i].Level, version.Files(runs[i].Level)));
            }
        }

        if (l0.Count > 0)
        {
            inputs.Insert(0, new CompactionInputLevel(0, l0));
        }

        return Build(version, running, inputs, output, reason, score, enableCompression, _universal.AllowTrivialMove, nextManualLevel: 0);
    }

    private CompactionPlan? Build(Version version, CompactionsInProgress running, List<CompactionInputLevel> inputs, int output, CompactionReason reason, double score, bool enableCompression, bool allowTrivialMove, int nextManualLevel)
    {
        KeyComparator ucmp = version.Comparator.UserComparator;
        (byte[] smallest, byte[] largest) = FileRanges.UserRange(AllFiles(inputs), ucmp);

        // L0 outputs may overlap other L0 files by design; any other level must not get two writers of one range.
        if (output != 0 && running.OutputRangeOverlaps(output, smallest, largest, ucmp))
        {
            return null;
        }

        FileMetadata? oldestL0 = inputs[0].Level == 0 ? inputs[0].Files[^1] : null;
        int startLevel = inputs[0].Level;
        return new CompactionPlan
        {
            StartLevel = startLevel,
            OutputLevel = output,
            Inputs = inputs,
            TargetFileSize = LevelTargets.FileSizes(_options, version.NumLevels, 1, CompactionStyle.Universal)[output],
            MaxCompactionBytes = ulong.MaxValue,
            IsBottommost = !FileRanges.RangeMightExistBelow(version, output, smallest, largest, oldestL0),
            IsTrivialMove = allowTrivialMove && output != 0 && startLevel != output && FilesDoNotOverlap(AllFiles(inputs), ucmp),
            Reason = reason,
            Score = score,
            EnableCompression = enableCompression,
            NextManualLevel = nextManualLevel,
            SmallestUserKey = smallest,
            LargestUserKey = largest,
        };
    }

    /// <summary>Whether no two of <paramref name="files"/> share a user key (RocksDB IsInputFilesNonOverlapping).</summary>
    private static bool FilesDoNotOverlap(IEnumerable<FileMetadata> files, KeyComparator ucmp)
    {
        List<FileMetadata> sorted = [.. files];
        sorted.Sort((a, b) => ucmp.Compare(a.SmallestUserKey, b.SmallestUserKey));
        for (int i = 1; i < sorted.Count; i++)
        {
            if (ucmp.Compare(sorted[i - 1].LargestUserKey, sorted[i].SmallestUserKey) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<FileMetadata> AllFiles(List<CompactionInputLevel> inputs)
    {
        foreach (CompactionInputLevel level in inputs)
        {
            foreach (FileMetadata f in level.Files)
            {
                yield return f;
            }
        }
    }
}
