using System.Buffers.Binary;
using FsCheck.Xunit;
using Lsm.Engine.Compaction;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Tests.Compaction;

/// <summary>
/// <see cref="CompactionJob"/> against the model of <see cref="CompactionHistory"/>: for random histories of puts,
/// deletes, merges and range deletions spread over several tables, reading the outputs at every live snapshot and at
/// the latest sequence gives what reading the inputs gives; outputs are sorted, disjoint, exactly bounded, and split
/// between user keys; the compaction filter acts as its contract says; a failure or cancellation leaves no output.
/// </summary>
/// <remarks>A failing property prints its history (writes, flush points, live snapshots); its seed replays it.</remarks>
public sealed class CompactionJobTests
{
    private static readonly long[] TargetSizes = [1, 300, 4000, 1L << 30];

    [Property(MaxTest = 400)]
    public void Compaction_ReadsTheSameAtEverySnapshot(int seed, bool bottommost, byte sizeChoice)
    {
        CompactionHistory history = CompactionHistory.Generate(seed);
        using var harness = new CompactionHarness(history, bottommost);
        if (!harness.HasInputs)
        {
            return;
        }

        long target = TargetSizes[sizeChoice % TargetSizes.Length];
        CompactionResult result = new CompactionJob(harness.Options(target)).Run();
        string context = $"seed {seed}, bottommost {bottommost}, target {target}\n{history}";
        foreach (ulong snapshot in ReadPoints(history))
        {
            List<(byte[] Key, byte[] Value)> expected = [.. history.ReadAt(snapshot).Select(e => (e.Key, e.Value))];
            AssertSame(expected, harness.ReadAt(harness.Inputs.Concat(harness.Below), snapshot), $"inputs at {snapshot}", context);
            AssertSame(expected, harness.ReadAt(result.Outputs.Concat(harness.Below), snapshot), $"outputs at {snapshot}", context);
        }

        CheckOutputs(harness, result, target, context);
    }

    [Property(MaxTest = 300)]
    public void CompactionFilter_ActsOnlyOnValuesEverySnapshotSees(int seed, bool bottommost)
    {
        CompactionHistory history = CompactionHistory.Generate(seed);
        using var harness = new CompactionHarness(history, bottommost);
        if (!harness.HasInputs)
        {
            return;
        }

        // What the filter must be shown, and what it does to the history: a removed value is a deletion at its sequence.
        (List<string> expectedCalls, Dictionary<ulong, HistoryOp> replacements) = ExpectedFilterCalls(history, harness);
        var filter = new ModuloFilter();
        CompactionResult result = new CompactionJob(harness.Options(300, filter)).Run();
        string context = $"seed {seed}, bottommost {bottommost}\n{history}";
        expectedCalls.Sort(StringComparer.Ordinal);
        filter.Calls.Sort(StringComparer.Ordinal);
        Assert.True(expectedCalls.SequenceEqual(filter.Calls),
            $"filter calls: expected [{string.Join(", ", expectedCalls)}], got [{string.Join(", ", filter.Calls)}]\n{context}");
        Assert.Equal(filter.Calls.Count, result.Stats.FilterCalls);

        CompactionHistory filtered = history.With(replacements);
        foreach (ulong snapshot in ReadPoints(history))
        {
            List<(byte[] Key, byte[] Value)> expected = [.. filtered.ReadAt(snapshot).Select(e => (e.Key, e.Value))];
            AssertSame(expected, harness.ReadAt(result.Outputs.Concat(harness.Below), snapshot), $"outputs at {snapshot}", context);
        }
    }

    [Fact]
    public void Outputs_CarryTheirMetadataAndProperties()
    {
        CompactionHistory history = CompactionHistory.Generate(SeedWithOutputs(3));
        using var harness = new CompactionHarness(history, bottommost: false);
        CompactionResult result = new CompactionJob(harness.Options(1)).Run();
        ulong epoch = harness.Inputs.Min(f => f.EpochNumber);
        foreach (FileMetadata file in result.Outputs)
        {
            Assert.Equal(epoch, file.EpochNumber);
            Assert.Equal(SstUniqueId.Compute("compaction-test-db", "0123456789ABCDEFGHIJ", file.FileNumber), file.UniqueId);
            TableReader reader = harness.Open(file.FileNumber);
            Assert.Equal((long)file.FileSize, reader.FileSize);
            Assert.Equal("UInt64AddOperator", reader.Properties.MergeOperatorName);
            Assert.Equal(file.SmallestSequence, reader.Properties.SmallestSequence ?? 0);
            Assert.Equal(file.LargestSequence, reader.Properties.LargestSequence ?? 0);
        }

        // The edit round-trips through the MANIFEST encoding.
        VersionEdit decoded = VersionEdit.Decode(result.Edit.Encode(), "edit", 0);
        Assert.Equal(result.Edit.ToString(), decoded.ToString());
    }

    [Fact]
    public void NothingSurvives_NoOutput()
    {
        using var harness = new CompactionHarness(OnlyDeletions(), bottommost: true);
        CompactionResult result = new CompactionJob(harness.Options(1)).Run();
        Assert.Empty(result.Outputs);
        Assert.Empty(result.Edit.NewFiles);
        Assert.Equal(harness.Inputs.Count(), result.Edit.DeletedFiles.Count);
        Assert.Equal(harness.Inputs.Select(f => f.FileNumber).ToHashSet(), harness.TableNumbers().ToHashSet());
    }

    public static TheoryData<string, int> Faults() => new()
    {
        { nameof(FileSystemOperation.Create), 1 },
        { nameof(FileSystemOperation.Create), 3 },
        { nameof(FileSystemOperation.Append), 1 },
        { nameof(FileSystemOperation.Append), 8 },
        { nameof(FileSystemOperation.Append), 14 },
        { nameof(FileSystemOperation.Sync), 1 },
        { nameof(FileSystemOperation.Sync), 3 },
        { nameof(FileSystemOperation.SyncDirectory), 1 },
        { nameof(FileSystemOperation.Read), 4 },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void IoFailure_LeavesNoOutputFiles(string operation, int nth)
    {
        var op = Enum.Parse<FileSystemOperation>(operation);
        CompactionHistory history = CompactionHistory.Generate(SeedWithOutputs(3));
        using var harness = new CompactionHarness(history, bottommost: false, injectFaults: true);
        FaultInjectingFileSystem faulty = harness.Faults!;
        HashSet<ulong> before = [.. harness.TableNumbers()];
        FileSystemFault rule = faulty.AddRule(new FileSystemFault
        {
            Operation = op,
            PathFilter = op is FileSystemOperation.SyncDirectory or FileSystemOperation.Read ? null : IsOutput,
            Trigger = FaultTrigger.OnNthCall(nth),
        });

        IOException e = Assert.Throws<IOException>(() => new CompactionJob(harness.Options(1)).Run());
        Assert.True(FaultInjectingFileSystem.IsInjected(e), e.ToString());
        Assert.Equal(1, rule.Fires);
        Assert.Equal(before, harness.TableNumbers().ToHashSet());
    }

    [Fact]
    public void Cancellation_BeforeStart_LeavesNoOutputFiles()
    {
        using var harness = new CompactionHarness(CompactionHistory.Generate(SeedWithOutputs(3)), bottommost: true);
        HashSet<ulong> before = [.. harness.TableNumbers()];
        Assert.ThrowsAny<OperationCanceledException>(() => new CompactionJob(harness.Options(1)).Run(new CancellationToken(canceled: true)));
        Assert.Equal(before, harness.TableNumbers().ToHashSet());
    }

    [Fact]
    public void Cancellation_AfterAnOutputIsFinished_DeletesItToo()
    {
        using var harness = new CompactionHarness(CompactionHistory.Generate(SeedWithOutputs(3)), bottommost: true, injectFaults: true);
        FaultInjectingFileSystem faulty = harness.Faults!;
        HashSet<ulong> before = [.. harness.TableNumbers()];
        using var cancellation = new CancellationTokenSource();
        var createdSecond = false;
        faulty.AddRule(new FileSystemFault
        {
            Operation = FileSystemOperation.Create,
            PathFilter = IsOutput,
            Trigger = FaultTrigger.OnNthCall(2),
            Kind = FaultKind.None,
            OnFire = (_, _) =>
            {
                createdSecond = true;
                cancellation.Cancel(); // the first output is finished and synced by now
            },
        });

        Assert.ThrowsAny<OperationCanceledException>(() => new CompactionJob(harness.Options(1)).Run(cancellation.Token));
        Assert.True(createdSecond);
        Assert.Equal(before, harness.TableNumbers().ToHashSet());
    }

    [Fact]
    public void Cancellation_FromTheFilter_StopsTheCompaction()
    {
        // Without snapshots, every key's newest value is shown to the filter.
        using var harness = new CompactionHarness(CompactionHistory.Generate(SeedWithOutputs(3)).WithSnapshots([]), bottommost: true);
        HashSet<ulong> before = [.. harness.TableNumbers()];
        using var cancellation = new CancellationTokenSource();
        var filter = new ModuloFilter { OnCall = calls => { if (calls == 1) cancellation.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => new CompactionJob(harness.Options(1, filter)).Run(cancellation.Token));
        Assert.Single(filter.Calls);
        Assert.Equal(before, harness.TableNumbers().ToHashSet());
    }

    /// <summary>Every live snapshot, and the latest sequence.</summary>
    private static IEnumerable<ulong> ReadPoints(CompactionHistory history) => history.Snapshots.Append(history.LastSequence).Distinct();

    private static bool IsOutput(string path) =>
        ulong.TryParse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture, out ulong n) && n >= 1000;

    /// <summary>The first seed whose history gives at least <paramref name="outputs"/> outputs at target size 1 (deterministic).</summary>
    private static int SeedWithOutputs(int outputs)
    {
        for (int seed = 0; ; seed++)
        {
            CompactionHistory history = CompactionHistory.Generate(seed);
            using var bottom = new CompactionHarness(history, bottommost: true);
            using var above = new CompactionHarness(history, bottommost: false);
            if (bottom.HasInputs && above.HasInputs && history.ChunkEnds.Count >= 3
                && new CompactionJob(bottom.Options(1)).Run().Outputs.Count >= outputs
                && new CompactionJob(above.Options(1)).Run().Outputs.Count >= outputs)
            {
                return seed;
            }
        }
    }

    private static CompactionHistory OnlyDeletions()
    {
        for (int seed = 0; ; seed++)
        {
            CompactionHistory history = CompactionHistory.Generate(seed, maxOps: 8);
            if (history.Ops.Count >= 3 && history.ChunkEnds.Count >= 2 && history.Snapshots.Length == 0 && history.Ops.All(o => o.Kind == HistoryKind.Delete))
            {
                return history;
            }
        }
    }

    /// <summary>
    /// Which values the filter must see (as <c>key=hex</c>), and the writes its decisions turn them into: per key, the
    /// newest point write among the inputs, if it is a put at or below the oldest live snapshot and no input range
    /// deletion of the same stripe (newer than it, at or below that snapshot) covers it.
    /// </summary>
    private static (List<string> Calls, Dictionary<ulong, HistoryOp> Replacements) ExpectedFilterCalls(CompactionHistory history, CompactionHarness harness)
    {
        ulong stripeTop = history.Snapshots.Length > 0 ? history.Snapshots[0] : ulong.MaxValue;
        List<HistoryOp> inputs = [.. history.Ops.Where(o => harness.Below.Count == 0 || o.Sequence > BelowTop(harness))];
        var newest = new Dictionary<byte[], HistoryOp>(ByteArrayComparer.Instance);
        foreach (HistoryOp op in inputs)
        {
            if (op.Kind != HistoryKind.DeleteRange)
            {
                newest[op.Key] = op;
            }
        }

        var calls = new List<string>();
        var replacements = new Dictionary<ulong, HistoryOp>();
        foreach (HistoryOp op in newest.Values)
        {
            if (op.Kind != HistoryKind.Put || op.Sequence > stripeTop)
            {
                continue;
            }

            bool covered = inputs.Any(r => r.Kind == HistoryKind.DeleteRange && r.Sequence > op.Sequence && r.Sequence <= stripeTop
                && ByteArrayComparer.Instance.Compare(op.Key, r.Key) >= 0 && ByteArrayComparer.Instance.Compare(op.Key, r.Value) < 0);
            if (covered)
            {
                continue;
            }

            calls.Add(KeyText.FormatUserKey(op.Key) + "=" + Convert.ToHexString(op.Value));
            switch (ModuloFilter.Decide(op.Value, out byte[]? changed))
            {
                case CompactionDecision.Remove:
                    replacements[op.Sequence] = op with { Kind = HistoryKind.Delete, Value = [] };
                    break;
                case CompactionDecision.ChangeValue:
                    replacements[op.Sequence] = op with { Value = changed! };
                    break;
            }
        }

        return (calls, replacements);
    }

    /// <summary>The newest sequence in the tables below the compaction.</summary>
    private static ulong BelowTop(CompactionHarness harness) => harness.History.Ops[harness.History.ChunkEnds[0] - 1].Sequence;

    private static void CheckOutputs(CompactionHarness harness, CompactionResult result, long target, string context)
    {
        var order = InternalKeyComparator.Bytewise;
        CompactionStats stats = result.Stats;

        // The edit swaps exactly the inputs for exactly the outputs, which alone join the inputs on disk.
        Assert.Equal(harness.Level0.Select(f => (0, f.FileNumber)).Concat(harness.Level1.Select(f => (1, f.FileNumber))).Order(), result.Edit.DeletedFiles);
        Assert.Equal(result.Outputs.Select(f => (1, f.FileNumber)), result.Edit.NewFiles.Select(n => (n.Level, n.File.FileNumber)));
        Assert.Equal(
            harness.Inputs.Concat(harness.Below).Concat(result.Outputs).Select(f => f.FileNumber).Order(),
            harness.TableNumbers());

        long inputRecords = harness.Inputs.Sum(f => (long)(harness.Open(f.FileNumber).Properties.NumEntries - harness.Open(f.FileNumber).Properties.NumRangeDeletions));
        Assert.Equal(inputRecords, stats.RecordsRead);
        Assert.Equal(stats.RecordsRead, stats.RecordsWritten + stats.DroppedHidden + stats.DroppedRangeDeleted + stats.DroppedObsoleteDeletions + stats.MergedAway);
        Assert.Equal(result.Outputs.Count, stats.OutputFiles);
        Assert.Equal(result.Outputs.Sum(f => (long)f.FileSize), stats.BytesWritten);

        long outputRecords = 0;
        byte[]? previousLargest = null;
        byte[]? previousLastUser = null;
        foreach (FileMetadata file in result.Outputs)
        {
            TableReader reader = harness.Open(file.FileNumber);
            byte[]? smallest = null;
            byte[]? largest = null;
            byte[]? firstUser = null;
            byte[]? lastUser = null;
            int userKeys = 0;
            TableIterator it = reader.NewIterator();
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                byte[] key = it.Key.ToArray();
                Widen(order, key, ref smallest, ref largest);
                byte[] user = InternalKey.UserKey(key).ToArray();
                if (lastUser is null || !user.AsSpan().SequenceEqual(lastUser))
                {
                    userKeys++;
                }

                firstUser ??= user;
                lastUser = user;
                outputRecords++;
                if (harness.Bottommost)
                {
                    Assert.True(InternalKey.Kind(key) != ValueKind.Deletion || InternalKey.Sequence(key) > Oldest(harness.History), $"an obsolete deletion {KeyText.FormatInternalKey(key)} was kept\n{context}");
                }
            }

            foreach (RangeTombstone t in reader.RangeTombstones)
            {
                Widen(order, InternalKey.Create(t.Start, t.Sequence, ValueKind.RangeDeletion), ref smallest, ref largest);
                Widen(order, InternalKey.Create(t.End, InternalKey.MaxSequence, ValueKind.RangeDeletion), ref smallest, ref largest);
                Assert.True(!harness.Bottommost || t.Sequence > Oldest(harness.History), $"a range tombstone no snapshot needs was kept\n{context}");
            }

            Assert.True(smallest is not null, $"empty output {file}\n{context}");
            Assert.True(order.Compare(smallest, file.Smallest) == 0, $"{file}: smallest is {KeyText.FormatInternalKey(smallest)}\n{context}");
            Assert.True(order.Compare(largest!, file.Largest) == 0, $"{file}: largest is {KeyText.FormatInternalKey(largest)}\n{context}");
            if (previousLargest is not null)
            {
                Assert.True(order.Compare(previousLargest, file.Smallest) < 0, $"outputs overlap at {file}\n{context}");
            }

            if (previousLastUser is not null && firstUser is not null)
            {
                Assert.True(BytewiseComparator.Instance.Compare(previousLastUser, firstUser) < 0, $"a user key spans two outputs at {file}\n{context}");
            }

            if (target == 1)
            {
                Assert.True(userKeys <= 1, $"{file} holds {userKeys} user keys with a target size of 1\n{context}");
            }

            previousLargest = file.Largest;
            previousLastUser = lastUser ?? previousLastUser;
        }

        Assert.Equal(outputRecords, stats.RecordsWritten);
    }

    /// <summary>The sequence every stripe-0 entry is at or below: the oldest live snapshot, or all of history.</summary>
    private static ulong Oldest(CompactionHistory history) => history.Snapshots.Length > 0 ? history.Snapshots[0] : history.LastSequence;

    private static void Widen(InternalKeyComparator order, byte[] key, ref byte[]? smallest, ref byte[]? largest)
    {
        if (smallest is null || order.Compare(key, smallest) < 0)
        {
            smallest = key;
        }

        if (largest is null || order.Compare(key, largest) > 0)
        {
            largest = key;
        }
    }

    private static void AssertSame(List<(byte[] Key, byte[] Value)> expected, List<(byte[] Key, byte[] Value)> actual, string what, string context)
    {
        static string Format(List<(byte[] Key, byte[] Value)> entries) =>
            string.Join(' ', entries.Select(e => KeyText.FormatUserKey(e.Key) + "=" + Convert.ToHexString(e.Value)));

        string e = Format(expected);
        string a = Format(actual);
        Assert.True(e == a, $"{what}:\nexpected {e}\nactual   {a}\n{context}");
    }

    /// <summary>
    /// On 8-byte values: multiples of 5 are removed, multiples of 7 become the value plus 1000; every other value is
    /// kept. Records every call as <c>key=hex</c>.
    /// </summary>
    private sealed class ModuloFilter : CompactionFilter
    {
        public List<string> Calls { get; } = [];

        public Action<int>? OnCall { get; init; }

        public override string Name => "ModuloFilter";

        public static CompactionDecision Decide(ReadOnlySpan<byte> value, out byte[]? newValue)
        {
            newValue = null;
            if (value.Length != 8)
            {
                return CompactionDecision.Keep;
            }

            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(value);
            if (v % 5 == 0)
            {
                return CompactionDecision.Remove;
            }

            if (v % 7 == 0)
            {
                newValue = CompactionHistory.U64(v + 1000);
                return CompactionDecision.ChangeValue;
            }

            return CompactionDecision.Keep;
        }

        public override CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue)
        {
            Calls.Add(KeyText.FormatUserKey(key) + "=" + Convert.ToHexString(existingValue));
            OnCall?.Invoke(Calls.Count);
            return Decide(existingValue, out newValue);
        }
    }
}
