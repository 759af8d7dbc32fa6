using Lsm.Engine.Compaction;
using Lsm.Engine.Encoding;
using Lsm.Engine.Iterators;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Tests.Compaction;

/// <summary>
/// <see cref="CompactionIterator"/> on small hand-written inputs, in the <c>user#seq,KIND=value</c> notation: which
/// versions survive each rule, and that the drop counters say why.
/// </summary>
public sealed class CompactionIteratorTests
{
    [Fact]
    public void ThreeVersions_NoSnapshot_OnlyTheNewestSurvives()
    {
        Result r = Run("a#3,SET=c a#2,SET=b a#1,SET=a");
        Assert.Equal("a#3,SET=c", r.Output);
        Assert.Equal(2, r.Stats.DroppedHidden);
        Assert.Equal(1, r.Stats.RecordsWritten);
    }

    [Fact]
    public void ThreeVersions_SnapshotBetween_TwoSurvive()
    {
        Result r = Run("a#3,SET=c a#2,SET=b a#1,SET=a", snapshots: [2]);
        Assert.Equal("a#3,SET=c a#2,SET=b", r.Output);
        Assert.Equal(1, r.Stats.DroppedHidden);
    }

    [Fact]
    public void SnapshotAtEveryVersion_AllSurvive()
    {
        Result r = Run("a#3,SET=c a#2,SET=b a#1,SET=a", snapshots: [1, 2, 3]);
        Assert.Equal("a#3,SET=c a#2,SET=b a#1,SET=a", r.Output);
        Assert.Equal(0, r.Stats.DroppedHidden);
    }

    [Fact]
    public void Bottommost_ValueVisibleToAll_GetsSequenceZero()
    {
        Assert.Equal("a#0,SET=c b#0,SET=x", Run("a#3,SET=c a#2,SET=b b#1,SET=x", bottommost: true).Output);

        // Only stripe 0 is zeroed: a#3 is above the snapshot.
        Assert.Equal("a#3,SET=c a#0,SET=b", Run("a#3,SET=c a#2,SET=b a#1,SET=a", snapshots: [2], bottommost: true).Output);
    }

    [Fact]
    public void Deletion_AboveTheBottom_IsKeptAndHidesOlderVersions()
    {
        Result r = Run("a#3,DEL a#2,SET=b a#1,SET=a");
        Assert.Equal("a#3,DEL", r.Output);
        Assert.Equal(2, r.Stats.DroppedHidden);
        Assert.Equal(0, r.Stats.DroppedObsoleteDeletions);
    }

    [Fact]
    public void Deletion_AtTheBottom_IsDroppedWithWhatItHides()
    {
        Result r = Run("a#3,DEL a#2,SET=b b#1,SET=x", bottommost: true);
        Assert.Equal("b#0,SET=x", r.Output);
        Assert.Equal(1, r.Stats.DroppedHidden);
        Assert.Equal(1, r.Stats.DroppedObsoleteDeletions);
    }

    [Fact]
    public void Deletion_AtTheBottom_KeptWhileASnapshotSeesAnOlderVersion()
    {
        Result r = Run("a#3,DEL a#1,SET=a", snapshots: [2], bottommost: true);
        Assert.Equal("a#3,DEL a#0,SET=a", r.Output);
        Assert.Equal(0, r.Stats.DroppedObsoleteDeletions);
    }

    [Fact]
    public void Deletion_AtTheBottom_AboveASnapshotWithNothingOlder_IsDropped()
    {
        // Both versions are newer than the snapshot, which sees no version of a at all.
        Result r = Run("a#3,DEL a#2,SET=b", snapshots: [1], bottommost: true);
        Assert.Equal("", r.Output);
        Assert.Equal(1, r.Stats.DroppedObsoleteDeletions);
        Assert.Equal(1, r.Stats.DroppedHidden);
    }

    [Fact]
    public void Merge_OntoAValue_FoldsIntoOneValueAtTheNewestOperand()
    {
        Result r = Run("a#3,MERGE=x a#2,MERGE=y a#1,SET=z");
        Assert.Equal("a#3,SET=z,y,x", r.Output);
        Assert.Equal(2, r.Stats.MergedAway);
    }

    [Fact]
    public void Merge_OntoADeletion_FoldsWithNoBase()
    {
        Result r = Run("a#4,MERGE=x a#3,DEL a#2,SET=z a#1,MERGE=w");
        Assert.Equal("a#4,SET=x", r.Output);
        Assert.Equal(1, r.Stats.MergedAway);
        Assert.Equal(2, r.Stats.DroppedHidden);
    }

    [Fact]
    public void Merge_NeverFoldsAcrossASnapshot()
    {
        Result r = Run("a#3,MERGE=x a#2,MERGE=y a#1,SET=z", snapshots: [2]);
        Assert.Equal("a#3,MERGE=x a#2,SET=z,y", r.Output);
    }

    [Fact]
    public void Merge_WithoutBase_KeptAboveTheBottom_FoldedAtIt()
    {
        Assert.Equal("a#3,MERGE=x a#2,MERGE=y", Run("a#3,MERGE=x a#2,MERGE=y").Output);
        Assert.Equal("a#0,SET=y,x", Run("a#3,MERGE=x a#2,MERGE=y", bottommost: true).Output);

        // At the bottom but with an older stripe still to come, the operands stay: their base is the older stripe's.
        Assert.Equal("a#3,MERGE=x a#0,SET=z", Run("a#3,MERGE=x a#1,SET=z", snapshots: [2], bottommost: true).Output);
    }

    [Fact]
    public void RangeTombstone_InTheSameStripe_DropsWhatItCovers()
    {
        Result r = Run("a#5,MERGE=x a#3,SET=z b#2,SET=w c#1,SET=v", tombstones: [("a", "c", 4)]);
        Assert.Equal("a#5,SET=x c#1,SET=v", r.Output); // the tombstone is the operand's base
        Assert.Equal(2, r.Stats.DroppedRangeDeleted);
    }

    [Fact]
    public void RangeTombstone_InANewerStripe_KeepsWhatOlderSnapshotsSee()
    {
        Result r = Run("a#3,SET=z b#2,SET=w", snapshots: [3], tombstones: [("a", "c", 4)]);
        Assert.Equal("a#3,SET=z b#2,SET=w", r.Output);
        Assert.Equal(0, r.Stats.DroppedRangeDeleted);
    }

    [Fact]
    public void Filter_SeesOnlyTheNewestValueVisibleToEverySnapshot()
    {
        var filter = new RecordingFilter(_ => CompactionDecision.Keep);
        Run("a#3,SET=c a#2,SET=b b#5,SET=n b#1,SET=o c#2,DEL c#1,SET=p d#2,MERGE=m d#1,SET=q e#1,SET=r", snapshots: [3], filter: filter,
            tombstones: [("e", "f", 2)]);

        // a#3 is at the snapshot; b#5 is above it (so b#1 is not b's newest); c and d start with a deletion and an operand;
        // e#1 is deleted by a range tombstone of its stripe.
        Assert.Equal(["a=c"], filter.Calls);
    }

    [Fact]
    public void Filter_RemoveAndChange()
    {
        var filter = new RecordingFilter(value => value switch { "drop" => CompactionDecision.Remove, "old" => CompactionDecision.ChangeValue, _ => CompactionDecision.Keep });
        Result above = Run("a#3,SET=drop a#2,SET=b b#2,SET=old c#1,SET=keep", filter: filter);
        Assert.Equal("a#3,DEL b#2,SET=new c#1,SET=keep", above.Output);
        Assert.Equal(1, above.Stats.FilterRemoved);
        Assert.Equal(1, above.Stats.FilterChanged);

        Result bottom = Run("a#3,SET=drop a#2,SET=b b#2,SET=old", filter: filter, bottommost: true);
        Assert.Equal("b#0,SET=new", bottom.Output);
        Assert.Equal(1, bottom.Stats.DroppedObsoleteDeletions);
    }

    [Fact]
    public void Counters_Balance()
    {
        Result r = Run(
            "a#9,MERGE=1 a#8,SET=2 a#7,DEL a#6,SET=3 b#5,SET=4 b#4,MERGE=5 c#3,DEL d#2,SET=6 d#1,SET=7",
            snapshots: [5], bottommost: true, tombstones: [("d", "e", 3)]);
        CompactionStats s = r.Stats;
        Assert.Equal(9, s.RecordsRead);
        Assert.Equal(s.RecordsRead, s.RecordsWritten + s.DroppedHidden + s.DroppedRangeDeleted + s.DroppedObsoleteDeletions + s.MergedAway);
    }

    [Fact]
    public void UnsupportedKind_FailsTheCompaction()
    {
        Assert.Throws<NotSupportedException>(() => Run("a#3,ENTITY=x"));
    }

    [Fact]
    public void Operands_WithoutMergeOperator_FailWhenFolded()
    {
        Assert.Throws<InvalidOperationException>(() => Run("a#3,MERGE=x a#2,SET=y", noMergeOperator: true));
    }

    private sealed record Result(string Output, CompactionStats Stats);

    private static Result Run(
        string entries,
        ulong[]? snapshots = null,
        bool bottommost = false,
        (string Start, string End, ulong Sequence)[]? tombstones = null,
        CompactionFilter? filter = null,
        bool noMergeOperator = false)
    {
        MergeOperator? mergeOperator = noMergeOperator ? null : new StringAppendOperator();
        var input = new ListIterator(Parse(entries));
        var list = new List<RangeTombstone>();
        foreach ((string start, string end, ulong sequence) in tombstones ?? [])
        {
            list.Add(new RangeTombstone(System.Text.Encoding.ASCII.GetBytes(start), System.Text.Encoding.ASCII.GetBytes(end), sequence));
        }

        var stats = new CompactionStats();
        using var iterator = new CompactionIterator(
            input, BytewiseComparator.Instance, snapshots ?? [], mergeOperator, FragmentedRangeTombstones.Build(BytewiseComparator.Instance, list),
            bottommost, filter, filterLevel: 1, stats);
        var output = new List<string>();
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            string text = KeyText.FormatInternalKey(iterator.Key);
            output.Add(InternalKey.Kind(iterator.Key) == ValueKind.Deletion ? text : text + "=" + System.Text.Encoding.ASCII.GetString(iterator.Value));
        }

        return new Result(string.Join(' ', output), stats);
    }

    private static IEnumerable<(byte[] Key, byte[] Value)> Parse(string entries)
    {
        foreach (string entry in entries.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? entry : entry[..eq];
            string value = eq < 0 ? "" : entry[(eq + 1)..];
            yield return (ShapeText.ParseInternalKey(key), System.Text.Encoding.ASCII.GetBytes(value));
        }
    }

    /// <summary>Records each call as <c>key=value</c> and decides by the value; a changed value becomes <c>new</c>.</summary>
    private sealed class RecordingFilter(Func<string, CompactionDecision> decide) : CompactionFilter
    {
        public List<string> Calls { get; } = [];

        public override string Name => "RecordingFilter";

        public override CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue)
        {
            string value = System.Text.Encoding.ASCII.GetString(existingValue);
            Calls.Add(System.Text.Encoding.ASCII.GetString(key) + "=" + value);
            CompactionDecision decision = decide(value);
            newValue = decision == CompactionDecision.ChangeValue ? "new"u8.ToArray() : null;
            return decision;
        }
    }
}
