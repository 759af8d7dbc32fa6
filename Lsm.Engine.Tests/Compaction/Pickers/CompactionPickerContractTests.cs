using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Encoding;
using Lsm.Engine.Versions;
using FsCheck.Xunit;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Compaction.Pickers;

/// <summary>
/// Properties every picker must keep, run over both styles on random shapes and options: every plan it returns
/// is valid (<see cref="AssertValid"/>), concurrent picks respect the running ones, and driving automatic or
/// manual compaction to completion ends in a shape with nothing left to do.
/// </summary>
public sealed class CompactionPickerContractTests
{
    public static TheoryData<CompactionStyle> Styles => [CompactionStyle.Level, CompactionStyle.Universal];

    [Property(MaxTest = 300)]
    public void PickCompaction_RandomShape_PlansAreValidAlsoWhileOthersRun(int seed)
    {
        foreach (CompactionStyle style in Styles)
        {
            var r = new Random(seed);
            ColumnFamilyOptions options = RandomShapes.Options(r, style);
            options.Validate();
            Version version = RandomShapes.Version(r, style);
            ICompactionPicker picker = CompactionPickerFactory.Create(options);
            var running = new List<CompactionPlan>();
            for (int i = 0; i < 5; i++)
            {
                CompactionPlan? plan = picker.PickCompaction(version, running);
                if (plan is null)
                {
                    break;
                }

                AssertValid(version, plan, running, style);
                // Leveled picks only levels scoring 1 or more; universal, as RocksDB, picks once the runs (busy ones
                // included) reach the trigger, so its score may have dropped below 1 while others run.
                Assert.True(plan.Score >= 1 || (style == CompactionStyle.Universal && running.Count > 0), $"an automatic pick scores at least 1: {plan}");
                running.Add(plan);
            }
        }
    }

    [Property(MaxTest = 200)]
    public void PickCompaction_Leveled_PicksExactlyWhenCompactionIsNeeded(int seed)
    {
        var r = new Random(seed);
        ColumnFamilyOptions options = RandomShapes.Options(r, CompactionStyle.Level);
        Version version = RandomShapes.Version(r, CompactionStyle.Level);
        ICompactionPicker picker = CompactionPickerFactory.Create(options);

        // With nothing running, a due level always yields a plan, and no plan is picked when none is due.
        Assert.Equal(picker.NeedsCompaction(version, []), picker.PickCompaction(version, []) is not null);
    }

    [Property(MaxTest = 150)]
    public void PickCompaction_DrivenToCompletion_LeavesNothingDue(int seed)
    {
        foreach (CompactionStyle style in Styles)
        {
            var r = new Random(seed);
            ColumnFamilyOptions options = RandomShapes.Options(r, style);
            Version version = RandomShapes.Version(r, style);
            ICompactionPicker picker = CompactionPickerFactory.Create(options);
            ulong next = 10_000;
            int steps = 0;
            while (picker.PickCompaction(version, []) is { } plan)
            {
                AssertValid(version, plan, [], style);
                version = RandomShapes.Apply(version, plan, ref next);
                version.AssertInvariants();
                Assert.True(++steps < 500, $"{style} compaction did not converge:\n{version}");
            }

            if (style == CompactionStyle.Level)
            {
                Assert.False(picker.NeedsCompaction(version, []), $"nothing picked although due:\n{version}");
            }
        }
    }

    [Property(MaxTest = 150)]
    public void PickRange_DrivenToCompletion_MovesTheRangeToOneLevel(int seed)
    {
        foreach (CompactionStyle style in Styles)
        {
            var r = new Random(seed);
            ColumnFamilyOptions options = RandomShapes.Options(r, style);
            Version version = RandomShapes.Version(r, style);
            ICompactionPicker picker = CompactionPickerFactory.Create(options);
            int a = r.Next(0, 80), b = r.Next(a, 80);
            byte[]? begin = r.Next(4) == 0 ? null : RandomShapes.UserKey(a);
            byte[]? end = r.Next(4) == 0 ? null : RandomShapes.UserKey(b);
            ulong next = 10_000;
            int from = 0, steps = 0;
            while (picker.PickRange(version, [], begin, end, from, out bool conflict) is { } plan)
            {
                Assert.False(conflict);
                AssertValid(version, plan, [], style);
                Assert.Equal(CompactionReason.Manual, plan.Reason);
                version = RandomShapes.Apply(version, plan, ref next);
                version.AssertInvariants();
                from = plan.NextManualLevel;
                Assert.True(++steps < 200, $"manual compaction did not end:\n{version}");
            }

            // Afterwards at most one level holds data of the range (L1 at least): the range is one sorted run.
            var levels = new HashSet<int>();
            foreach ((int level, FileMetadata f) in version.AllFiles())
            {
                if (FileRanges.Overlaps(f, begin, end, version.Comparator.UserComparator))
                {
                    levels.Add(level);
                }
            }

            Assert.True(levels.Count <= 1 && !levels.Contains(0), $"range still spread over levels {string.Join(",", levels)}:\n{version}");
        }
    }

    [Property(MaxTest = 150)]
    public void PickRange_WhileOthersRun_ConflictsInsteadOfTakingBusyFiles(int seed)
    {
        foreach (CompactionStyle style in Styles)
        {
            var r = new Random(seed);
            ColumnFamilyOptions options = RandomShapes.Options(r, style);
            Version version = RandomShapes.Version(r, style);
            ICompactionPicker picker = CompactionPickerFactory.Create(options);
            var running = new List<CompactionPlan>();
            if (picker.PickCompaction(version, running) is { } first)
            {
                running.Add(first);
            }

            for (int from = 0; from < version.NumLevels; from++)
            {
                CompactionPlan? plan = picker.PickRange(version, running, null, null, from, out bool conflict);
                if (plan is not null)
                {
                    Assert.False(conflict);
                    AssertValid(version, plan, running, style);
                }
            }
        }
    }

    /// <summary>The invariants of <see cref="CompactionPlan"/>, checked independently of the pickers' helpers.</summary>
    internal static void AssertValid(Version version, CompactionPlan plan, IReadOnlyCollection<CompactionPlan> running, CompactionStyle picker)
    {
        KeyComparator ucmp = version.Comparator.UserComparator;
        var busy = new HashSet<ulong>(running.SelectMany(p => p.AllInputFiles()).Select(f => f.FileNumber));
        var seen = new HashSet<ulong>();
        Assert.NotEmpty(plan.Inputs);
        Assert.Equal(plan.Inputs[0].Level, plan.StartLevel);
        Assert.InRange(plan.OutputLevel, plan.StartLevel, version.NumLevels - 1);
        int previousLevel = -1;
        byte[]? smallest = null, largest = null;
        foreach (CompactionInputLevel input in plan.Inputs)
        {
            Assert.True(input.Level > previousLevel, $"levels ascend: {plan}");
            Assert.True(input.Level <= plan.OutputLevel, $"no input below the output: {plan}");
            previousLevel = input.Level;
            Assert.NotEmpty(input.Files);
            IReadOnlyList<FileMetadata> levelFiles = version.Files(input.Level);
            var indexes = new List<int>();
            foreach (FileMetadata f in input.Files)
            {
                int index = IndexOf(levelFiles, f);
                Assert.True(index >= 0, $"#{f.FileNumber} is not on L{input.Level}: {plan}");
                Assert.True(seen.Add(f.FileNumber), $"#{f.FileNumber} taken twice: {plan}");
                Assert.False(busy.Contains(f.FileNumber), $"#{f.FileNumber} is being compacted: {plan}");
                indexes.Add(index);
                smallest = smallest is null || ucmp.Compare(f.SmallestUserKey, smallest) < 0 ? f.SmallestUserKey.ToArray() : smallest;
                largest = largest is null || ucmp.Compare(f.LargestUserKey, largest) > 0 ? f.LargestUserKey.ToArray() : largest;
            }

            if (input.Level > 0)
            {
                indexes.Sort();
                for (int i = 1; i < indexes.Count; i++)
                {
                    Assert.True(indexes[i] == indexes[i - 1] + 1, $"L{input.Level} inputs are contiguous: {plan}");
                }

                int first = indexes[0], last = indexes[^1];
                Assert.True(first == 0 || ucmp.Compare(levelFiles[first - 1].LargestUserKey, levelFiles[first].SmallestUserKey) < 0, $"clean cut on the left at L{input.Level}: {plan}");
                Assert.True(last == levelFiles.Count - 1 || ucmp.Compare(levelFiles[last].LargestUserKey, levelFiles[last + 1].SmallestUserKey) < 0, $"clean cut on the right at L{input.Level}: {plan}");
            }
            else if (plan.OutputLevel > 0)
            {
                // An L0 file older than a chosen one must not overlap it, or its stale entries would end up above.
                for (int i = 0; i < levelFiles.Count; i++)
                {
                    if (!input.Files.Contains(levelFiles[i]))
                    {
                        continue;
                    }

                    for (int j = i + 1; j < levelFiles.Count; j++)
                    {
                        Assert.True(input.Files.Contains(levelFiles[j]) || !Overlap(levelFiles[i], levelFiles[j], ucmp), $"older #{levelFiles[j].FileNumber} overlaps chosen #{levelFiles[i].FileNumber}: {plan}");
                    }
                }
            }
        }

        Assert.Equal(smallest, plan.SmallestUserKey);
        Assert.Equal(largest, plan.LargestUserKey);

        // Levels skipped between the start and the output hold nothing of the range.
        for (int level = plan.StartLevel + 1; level < plan.OutputLevel; level++)
        {
            if (plan.InputsAt(level).Count == 0)
            {
                Assert.DoesNotContain(version.Files(level), f => FileRanges.Overlaps(f, smallest, largest, ucmp));
            }
        }

        // The outputs will fit the output level: every file there overlapping the range is an input.
        if (plan.OutputLevel > 0)
        {
            foreach (FileMetadata f in version.Files(plan.OutputLevel))
            {
                Assert.True(seen.Contains(f.FileNumber) || !FileRanges.Overlaps(f, smallest, largest, ucmp), $"#{f.FileNumber} at the output level overlaps the range: {plan}");
            }

            foreach (CompactionPlan other in running)
            {
                bool overlaps = other.OutputLevel == plan.OutputLevel
                    && ucmp.Compare(smallest, other.LargestUserKey) <= 0 && ucmp.Compare(largest, other.SmallestUserKey) >= 0;
                Assert.False(overlaps, $"writes the range of a running compaction ({other}): {plan}");
            }
        }

        if (plan.StartLevel == 0 && plan.Reason != CompactionReason.UniversalSizeRatio && plan.Reason != CompactionReason.UniversalSizeAmplification && plan.Reason != CompactionReason.UniversalSortedRunNum)
        {
            Assert.DoesNotContain(running, p => p.StartLevel == 0);
        }

        // Bottommost exactly when nothing below the output (older L0 files for an L0 output) meets the range.
        bool below = false;
        for (int level = plan.OutputLevel + 1; level < version.NumLevels; level++)
        {
            below |= version.Files(level).Any(f => FileRanges.Overlaps(f, smallest, largest, ucmp));
        }

        if (plan.OutputLevel == 0)
        {
            IReadOnlyList<FileMetadata> l0 = version.Files(0);
            int oldest = l0.Select((f, i) => (f, i)).Where(x => seen.Contains(x.f.FileNumber)).Max(x => x.i);
            below |= l0.Skip(oldest + 1).Any(f => FileRanges.Overlaps(f, smallest, largest, ucmp));
            for (int level = 1; level < version.NumLevels; level++)
            {
                below |= version.Files(level).Any(f => FileRanges.Overlaps(f, smallest, largest, ucmp));
            }
        }

        Assert.True(plan.IsBottommost == !below, $"bottommost is {plan.IsBottommost} but data below is {below}: {plan}");

        if (plan.IsTrivialMove)
        {
            // Leveled moves files of one level; universal may move the files of several runs that do not overlap.
            Assert.True(plan.Inputs.Count == 1 || picker == CompactionStyle.Universal, $"a leveled move takes one level: {plan}");
            Assert.NotEqual(plan.StartLevel, plan.OutputLevel);
            List<FileMetadata> files = [.. plan.AllInputFiles()];
            for (int i = 0; i < files.Count; i++)
            {
                for (int j = i + 1; j < files.Count; j++)
                {
                    // Internal keys: neighbours of one level may share a user key and still move together.
                    InternalKeyComparator icmp = version.Comparator;
                    bool overlap = icmp.Compare(files[i].Smallest, files[j].Largest) <= 0 && icmp.Compare(files[j].Smallest, files[i].Largest) <= 0;
                    Assert.False(overlap, $"moved files overlap: {plan}");
                }
            }
        }

        Assert.True(plan.TargetFileSize > 0);
    }

    private static bool Overlap(FileMetadata a, FileMetadata b, KeyComparator ucmp) =>
        ucmp.Compare(a.SmallestUserKey, b.LargestUserKey) <= 0 && ucmp.Compare(b.SmallestUserKey, a.LargestUserKey) <= 0;

    private static int IndexOf(IReadOnlyList<FileMetadata> files, FileMetadata file)
    {
        for (int i = 0; i < files.Count; i++)
        {
            if (ReferenceEquals(files[i], file))
            {
                return i;
            }
        }

        return -1;
    }
}
