using Lsm.Engine.Encoding;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

internal sealed partial class LeveledCompactionPicker
{
    /// <summary>
    /// One attempt to build a compaction from <see cref="_startLevel"/> into <see cref="_outputLevel"/> (RocksDB's
    /// <c>LevelCompactionBuilder</c>). Used once, by one thread.
    /// </summary>
    private sealed class Pick
    {
        private readonly LeveledCompactionPicker _picker;
        private readonly Version _version;
        private readonly LevelTargets _targets;
        private readonly CompactionsInProgress _running;
        private readonly int _startLevel;
        private readonly int _outputLevel;
        private readonly KeyComparator _ucmp;
        private readonly ulong _maxCompactionBytes;

        public Pick(LeveledCompactionPicker picker, Version version, LevelTargets targets, CompactionsInProgress running, int startLevel, int outputLevel)
        {
            _picker = picker;
            _version = version;
            _targets = targets;
            _running = running;
            _startLevel = startLevel;
            _outputLevel = outputLevel;
            _ucmp = version.Comparator.UserComparator;
            _maxCompactionBytes = picker._options.EffectiveMaxCompactionBytes;
        }

        private bool RoundRobin => _picker._options.CompactionPri == CompactionPriority.RoundRobin;

        /// <summary>L0 → base level (rule 2 of the picker's remarks).</summary>
        public CompactionPlan? FromLevel0(double score)
        {
            if (_running.Level0InProgress)
            {
                return null;
            }

            List<FileMetadata> moved = TryPickL0TrivialMove();
            if (moved.Count > 0)
            {
                InternalKeyComparator icmp = _version.Comparator;
                moved.Sort((a, b) => icmp.Compare(a.Smallest, b.Smallest));
                (byte[] s, byte[] l) = FileRanges.UserRange(moved, _ucmp);
                return _running.OutputRangeOverlaps(_outputLevel, s, l, _ucmp)
                    ? null
                    : Finish(moved, [], CompactionReason.LevelL0FileCount, score, l0TrivialMove: true, nextCursor: null, nextManualLevel: 0);
            }

            IReadOnlyList<FileMetadata> files = _version.Files(0);
            FileMetadata? first = null;
            foreach (int index in _picker.PriorityOrder(_version, 0))
            {
                FileMetadata f = files[index];
                if (_running.IsBusy(f))
                {
                    continue;
                }

                (byte[] s, byte[] l) = FileRanges.UserRange([f], _ucmp);
                List<FileMetadata> below = FileRanges.Overlapping(_version, _outputLevel, s, l);
                if (below.Count > 0 && _running.AnyBusy(FileRanges.ExpandToCleanCut(_version, _outputLevel, below)))
                {
                    continue;
                }

                first = f;
                break;
            }

            if (first is null)
            {
                return null;
            }

            // Every L0 file the chosen one's range reaches, transitively (RocksDB GetOverlappingL0Files).
            (byte[] smallest, byte[] largest) = FileRanges.UserRange([first], _ucmp);
            List<FileMetadata> inputs = FileRanges.Overlapping(_version, 0, smallest, largest);
            (smallest, largest) = FileRanges.UserRange(inputs, _ucmp);
            if (_running.AnyBusy(inputs) || _running.AnyBusy(FileRanges.Overlapping(_version, _outputLevel, smallest, largest)))
            {
                return null;
            }

            return Complete(inputs, CompactionReason.LevelL0FileCount, score, onlyExpandRight: false, recordCursor: false, nextManualLevel: 0);
        }

        /// <summary>L1+ → the next level (rule 3 of the picker's remarks).</summary>
        public CompactionPlan? FromLevel(double score)
        {
            IReadOnlyList<FileMetadata> files = _version.Files(_startLevel);
            List<FileMetadata>? inputs = null;
            bool roundRobin = RoundRobin;
            foreach (int index in _picker.PriorityOrder(_version, _startLevel))
            {
                FileMetadata f = files[index];
                if (_running.IsBusy(f))
                {
                    if (roundRobin)
                    {
                        return null;
                    }

                    continue;
                }

                List<FileMetadata> candidate = FileRanges.ExpandToCleanCut(_version, _startLevel, [f]);
                (byte[] s, byte[] l) = FileRanges.UserRange(candidate, _ucmp);
                if (_running.AnyBusy(candidate) || _running.OutputRangeOverlaps(_outputLevel, s, l, _ucmp))
                {
                    if (roundRobin)
                    {
                        return null;
                    }

                    continue;
                }

                List<FileMetadata> below = FileRanges.Overlapping(_version, _outputLevel, s, l);
                if (below.Count == 0)
                {
                    if (candidate.Count == 1)
                    {
                        candidate = ExtendTrivialMove(index, onlyRight: roundRobin);
                    }
                }
                else if (_running.AnyBusy(FileRanges.ExpandToCleanCut(_version, _outputLevel, below)))
                {
                    if (roundRobin)
                    {
                        return null;
                    }

                    continue;
                }

                inputs = candidate;
                break;
            }

            if (inputs is null)
            {
                return null;
            }

            if (roundRobin)
            {
                inputs = ExpandRoundRobin(inputs);
            }

            return Complete(inputs, CompactionReason.LevelMaxLevelSize, score, onlyExpandRight: roundRobin, recordCursor: roundRobin, nextManualLevel: 0);
        }

        /// <summary>A manual step: <paramref name="inputs"/> of the start level into the output level; null on conflict.</summary>
        public CompactionPlan? Manual(List<FileMetadata> inputs, int nextManualLevel)
        {
            inputs = FileRanges.ExpandToCleanCut(_version, _startLevel, inputs);
            if (_running.AnyBusy(inputs) || (_startLevel == 0 && _running.Level0InProgress))
            {
                return null;
            }

            return Complete(inputs, CompactionReason.Manual, -1, onlyExpandRight: false, recordCursor: false, nextManualLevel);
        }

        /// <summary>Adds the output level's files, checks conflicts and builds the plan (RocksDB SetupOtherInputs and GetCompaction).</summary>
        /// <remarks>With <paramref name="recordCursor"/>, the plan carries the round-robin cursor past its final inputs.</remarks>
        private CompactionPlan? Complete(List<FileMetadata> inputs, CompactionReason reason, double score, bool onlyExpandRight, bool recordCursor, int nextManualLevel)
        {
            List<FileMetadata>? below = SetupOtherInputs(ref inputs, onlyExpandRight);
            if (below is null || _running.AnyBusy(below))
            {
                return null;
            }

            (byte[] s, byte[] l) = FileRanges.UserRange([.. inputs, .. below], _ucmp);
            if (_running.OutputRangeOverlaps(_outputLevel, s, l, _ucmp))
            {
                return null;
            }

            byte[]? cursor = recordCursor ? NextCursor(inputs[^1]) : null;
            return Finish(inputs, below, reason, score, l0TrivialMove: false, cursor, nextManualLevel);
        }

        /// <summary>
        /// The output level's files overlapping the inputs, expanded to a clean cut, and the inputs grown to every
        /// start-level file of the combined range when that adds no output-level file; null when a needed file is busy.
        /// </summary>
        private List<FileMetadata>? SetupOtherInputs(ref List<FileMetadata> inputs, bool onlyExpandRight)
        {
            (byte[] smallest, byte[] largest) = FileRanges.UserRange(inputs, _ucmp);
            List<FileMetadata> below = FileRanges.Overlapping(_version, _outputLevel, smallest, largest);
            if (_running.AnyBusy(below))
            {
                return null;
            }

            if (below.Count == 0)
            {
                return below;
            }

            below = FileRanges.ExpandToCleanCut(_version, _outputLevel, below);
            if (_running.AnyBusy(below))
            {
                return null;
            }

            ulong belowSize = FileRanges.TotalSize(below);
            ulong limit = LevelTargets.MultiplyCheckOverflow(_maxCompactionBytes, 2.0);
            (byte[] allStart, byte[] allLimit) = FileRanges.UserRange([.. inputs, .. below], _ucmp);
            byte[] expandFrom = onlyExpandRight ? smallest : allStart;

            // First try: every start-level file meeting the combined range, if the output files stay the same.
            List<FileMetadata> expanded = FileRanges.ExpandToCleanCut(
                _version, _startLevel, FileRanges.Overlapping(_version, _startLevel, expandFrom, allLimit));
            bool expand = false;
            if (expanded.Count > inputs.Count && !_running.AnyBusy(expanded) && belowSize + FileRanges.TotalSize(expanded) < limit)
            {
                (byte[] s, byte[] l) = FileRanges.UserRange(expanded, _ucmp);
                List<FileMetadata> expandedBelow = FileRanges.ExpandToCleanCut(_version, _outputLevel, FileRanges.Overlapping(_version, _outputLevel, s, l));
                expand = !_running.AnyBusy(expandedBelow) && expandedBelow.Count == below.Count;
            }

            // Second try: only the start-level files lying wholly inside the combined range.
            if (!expand && _startLevel > 0)
            {
                expanded = FileRanges.CleanWithinInterval(_version, _startLevel, expandFrom, allLimit);
                expand = expanded.Count > inputs.Count && !_running.AnyBusy(expanded) && belowSize + FileRanges.TotalSize(expanded) < limit;
            }

            if (expand)
            {
                inputs = expanded;
            }

            return below;
        }

        /// <summary>
        /// RocksDB TryPickL0TrivialMove: from the oldest L0 file on, take files while each lies wholly to one side of
        /// those taken and their hull overlaps nothing in the (non-empty) output level.
        /// </summary>
        private List<FileMetadata> TryPickL0TrivialMove()
        {
            var moved = new List<FileMetadata>();
            if (_outputLevel <= 0 || _version.Files(_outputLevel).Count == 0)
            {
                return moved; // into an empty level the ordinary pick's single-file move applies
            }

            InternalKeyComparator icmp = _version.Comparator;
            IReadOnlyList<FileMetadata> files = _version.Files(0);
            byte[]? smallest = null, largest = null;
            for (int i = files.Count - 1; i >= 0; i--)
            {
                FileMetadata f = files[i];
                if (smallest is null || largest is null)
                {
                    (smallest, largest) = (f.Smallest, f.Largest);
                }
                else if (icmp.Compare(f.Largest, smallest) < 0)
                {
                    smallest = f.Smallest;
                }
                else if (icmp.Compare(f.Smallest, largest) > 0)
                {
                    largest = f.Largest;
                }
                else
                {
                    break;
                }

                if (_running.IsBusy(f) || FileRanges.Overlapping(_version, _outputLevel, InternalKey.UserKey(smallest).ToArray(), InternalKey.UserKey(largest).ToArray()).Count > 0)
                {
                    break;
                }

                moved.Add(f);
            }

            return moved;
        }

        /// <summary>
        /// RocksDB TryExtendNonL0TrivialMove: the file at <paramref name="index"/> overlaps nothing below; add up to
        /// <see cref="MaxMultiTrivialMove"/> neighbours (right, then left) that keep it so, cut cleanly, are not busy
        /// and keep the total within MaxCompactionBytes.
        /// </summary>
        private List<FileMetadata> ExtendTrivialMove(int index, bool onlyRight)
        {
            IReadOnlyList<FileMetadata> files = _version.Files(_startLevel);
            FileMetadata initial = files[index];
            var result = new List<FileMetadata> { initial };
            ulong total = initial.FileSize;
            for (int i = index + 1; i < files.Count && result.Count < MaxMultiTrivialMove; i++)
            {
                FileMetadata next = files[i];
                if (_running.IsBusy(next)
                    || FileRanges.Overlapping(_version, _outputLevel, initial.SmallestUserKey.ToArray(), next.LargestUserKey.ToArray()).Count > 0
                    || (i < files.Count - 1 && _ucmp.Compare(next.LargestUserKey, files[i + 1].SmallestUserKey) == 0))
                {
                    break;
                }

                total += next.FileSize;
                if (total > _maxCompactionBytes)
                {
                    break;
                }

                result.Add(next);
            }

            for (int i = index - 1; !onlyRight && i >= 0 && result.Count < MaxMultiTrivialMove; i--)
            {
                FileMetadata next = files[i];
                if (_running.IsBusy(next)
                    || FileRanges.Overlapping(_version, _outputLevel, next.SmallestUserKey.ToArray(), initial.LargestUserKey.ToArray()).Count > 0
                    || (i > 0 && _ucmp.Compare(next.SmallestUserKey, files[i - 1].LargestUserKey) == 0))
                {
                    break;
                }

                total += next.FileSize;
                if (total > _maxCompactionBytes)
                {
                    break;
                }

                result.Insert(0, next);
            }

            return result;
        }

        /// <summary>
        /// RocksDB SetupOtherFilesWithRoundRobinExpansion: unless the pick is a trivial move, keep adding the next
        /// files of the level (stopping at a busy file, the level's end, or MaxCompactionBytes with the output
        /// files) until the level would be back under its target.
        /// </summary>
        private List<FileMetadata> ExpandRoundRobin(List<FileMetadata> inputs)
        {
            IReadOnlyList<FileMetadata> files = _version.Files(_startLevel);
            ulong notCompacting = 0;
            foreach (FileMetadata f in files)
            {
                notCompacting += _running.IsBusy(f) ? 0 : f.FileSize;
            }

            ulong target = _targets.MaxBytesForLevel(_startLevel);
            ulong maxBytesToCompact = notCompacting > target ? notCompacting - target : 0;
            (byte[] s, byte[] l) = FileRanges.UserRange(inputs, _ucmp);
            if (FileRanges.Overlapping(_version, _outputLevel, s, l).Count == 0 || inputs[0].FileSize >= maxBytesToCompact)
            {
                return inputs;
            }

            int next = IndexOf(files, inputs[^1]) + 1;
            List<FileMetadata> current = inputs;
            for (int i = next; i < files.Count; i++)
            {
                if (_running.IsBusy(files[i]))
                {
                    return current;
                }

                List<FileMetadata> candidate = FileRanges.ExpandToCleanCut(_version, _startLevel, [.. current, files[i]]);
                (s, l) = FileRanges.UserRange(candidate, _ucmp);
                if (_running.AnyBusy(candidate) || _running.OutputRangeOverlaps(_outputLevel, s, l, _ucmp))
                {
                    return current;
                }

                List<FileMetadata> below = FileRanges.ExpandToCleanCut(_version, _outputLevel, FileRanges.Overlapping(_version, _outputLevel, s, l));
                if (_running.AnyBusy(below))
                {
                    return current;
                }

                ulong startBytes = FileRanges.TotalSize(candidate);
                if (startBytes + FileRanges.TotalSize(below) > _maxCompactionBytes)
                {
                    return current;
                }

                current = candidate;
                i = IndexOf(files, current[^1]);
                if (startBytes > maxBytesToCompact)
                {
                    return current;
                }
            }

            return current;
        }

        /// <summary>The smallest key of the file after <paramref name="last"/> in the start level, wrapping to the first.</summary>
        private byte[] NextCursor(FileMetadata last)
        {
            IReadOnlyList<FileMetadata> files = _version.Files(_startLevel);
            int index = IndexOf(files, last) + 1;
            return files[index < files.Count ? index : 0].Smallest;
        }

        private static int IndexOf(IReadOnlyList<FileMetadata> files, FileMetadata file)
        {
            for (int i = 0; i < files.Count; i++)
            {
                if (ReferenceEquals(files[i], file))
                {
                    return i;
                }
            }

            throw new InvalidOperationException($"File #{file.FileNumber} is not in the level.");
        }

        /// <summary>Builds the plan: grandparents, output file size, bottommost and trivial-move flags.</summary>
        private CompactionPlan Finish(List<FileMetadata> inputs, List<FileMetadata> below, CompactionReason reason, double score, bool l0TrivialMove, byte[]? nextCursor, int nextManualLevel)
        {
            var levels = new List<CompactionInputLevel> { new(_startLevel, inputs) };
            if (below.Count > 0)
            {
                levels.Add(new CompactionInputLevel(_outputLevel, below));
            }

            (byte[] smallest, byte[] largest) = FileRanges.UserRange([.. inputs, .. below], _ucmp);
            FileMetadata? oldestL0 = _startLevel == 0 ? inputs[^1] : null;
            return new CompactionPlan
            {
                StartLevel = _startLevel,
                OutputLevel = _outputLevel,
                Inputs = levels,
                Grandparents = FileRanges.Grandparents(_version, _outputLevel, smallest, largest),
                TargetFileSize = _targets.TargetFileSize(_outputLevel),
                MaxCompactionBytes = _maxCompactionBytes,
                IsBottommost = !FileRanges.RangeMightExistBelow(_version, _outputLevel, smallest, largest, oldestL0),
                IsTrivialMove = below.Count == 0 && (_startLevel > 0 || inputs.Count == 1 || l0TrivialMove) && GrandparentsAllowMove(inputs),
                Reason = reason,
                Score = score,
                NextCompactCursor = nextCursor,
                NextManualLevel = nextManualLevel,
                SmallestUserKey = smallest,
                LargestUserKey = largest,
            };
        }

        /// <summary>
        /// RocksDB Compaction::IsTrivialMove: a moved file must not overlap more than MaxCompactionBytes (with its
        /// own size) of the level below the output, or a later compaction of it would be huge.
        /// </summary>
        private bool GrandparentsAllowMove(List<FileMetadata> inputs)
        {
            if (_outputLevel + 1 >= _version.NumLevels)
            {
                return true;
            }

            foreach (FileMetadata f in inputs)
            {
                ulong size = f.FileSize + FileRanges.TotalSize(FileRanges.Overlapping(_version, _outputLevel + 1, f.SmallestUserKey.ToArray(), f.LargestUserKey.ToArray()));
                if (size > _maxCompactionBytes)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
