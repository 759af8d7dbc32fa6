using FsCheck.Xunit;
using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

/// <summary>
/// The memtable against a sorted model of the same internal keys: random inserts (several versions per
/// user key, values from empty to larger than an arena chunk), then scans, seeks and point lookups. Each
/// property runs with the bytewise order (the skip list's fast path) and a reversed one (the generic path).
/// </summary>
public sealed class MemTableModelTests
{
    [Property(MaxTest = 100)]
    public bool Scans_BothWays_MatchModel(byte[][] userKeys, int seed, bool reverseOrder)
    {
        using var m = MemTableModel.Create(userKeys, seed, reverseOrder);
        return ScansMatch(m);
    }

    [Property(MaxTest = 100)]
    public bool SeekAndSeekForPrev_LandWhereTheModelSays(byte[][] userKeys, byte[][] targets, int seed, bool reverseOrder)
    {
        using var m = MemTableModel.Create(userKeys, seed, reverseOrder);
        return SeeksMatch(m, targets, seed);
    }

    [Property(MaxTest = 100)]
    public bool TryGetEntry_FindsNewestVisibleVersion_AndIteratorContinuesThroughOlderOnes(byte[][] userKeys, int seed, bool reverseOrder)
    {
        using var m = MemTableModel.Create(userKeys, seed, reverseOrder);
        IEnumerable<byte[]> users = (userKeys ?? []).Select(u => u ?? []).Append([]).Append([0xFF, 0x00]);
        return LookupsMatch(m, users, seed);
    }

    [Property(MaxTest = 50)]
    public bool Counters_MatchModel(byte[][] userKeys, int seed)
    {
        using var m = MemTableModel.Create(userKeys, seed);
        ulong[] sequences = m.Entries.Select(e => InternalKey.Sequence(e.Key)).ToArray();
        long deletes = m.Entries.Count(e => InternalKey.Kind(e.Key) is ValueKind.Deletion or ValueKind.SingleDeletion);
        return m.Table.NumEntries == m.Entries.Count
            && m.Table.NumDeletes == deletes
            && m.Table.FirstSequence == sequences.Min()
            && m.Table.LastSequence == sequences.Max()
            && m.Table.ApproximateMemoryUsage >= m.Entries.Sum(e => (long)e.Key.Length + e.Value.Length);
    }

    /// <summary>The same checks on thousands of short keys, so the lists grow tall and versions collide often.</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void LargeRandomMemtable_MatchesModel(int seed, bool reverseOrder)
    {
        var random = new Random(seed);
        byte[][] userKeys = Enumerable.Range(0, 3000).Select(_ => RandomKey(random)).ToArray();
        byte[][] probes = Enumerable.Range(0, 500).Select(_ => RandomKey(random)).ToArray();
        using var m = MemTableModel.Create(userKeys, seed, reverseOrder);
        Assert.True(m.Entries.Count > 6000);
        Assert.True(ScansMatch(m));
        Assert.True(SeeksMatch(m, probes, seed));
        Assert.True(LookupsMatch(m, userKeys.Take(500).Concat(probes), seed));
    }

    private static byte[] RandomKey(Random random)
    {
        byte[] key = new byte[random.Next(0, 4)];
        random.NextBytes(key);
        return key;
    }

    private static bool ScansMatch(MemTableModel m)
    {
        m.Table.AssertInvariants();
        MemTableIterator it = m.Table.NewIterator();
        int i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            if (i >= m.Entries.Count || !it.Key.SequenceEqual(m.Entries[i].Key) || !it.Value.SequenceEqual(m.Entries[i].Value))
            {
                return false;
            }
        }

        if (i != m.Entries.Count)
        {
            return false;
        }

        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            i--;
            if (i < 0 || !it.Key.SequenceEqual(m.Entries[i].Key) || !it.Value.SequenceEqual(m.Entries[i].Value))
            {
                return false;
            }
        }

        return i == 0 && m.Table.NumEntries == m.Entries.Count;
    }

    private static bool SeeksMatch(MemTableModel m, byte[][]? targets, int seed)
    {
        var random = new Random(seed);
        MemTableIterator it = m.Table.NewIterator();

        // Targets: random user keys, and the user keys of present entries, at random sequences and kinds.
        IEnumerable<byte[]> users = (targets ?? []).Concat(m.Entries.Take(30).Select(e => InternalKey.UserKey(e.Key).ToArray()));
        foreach (byte[]? user in users)
        {
            var kind = random.Next(3) switch { 0 => ValueKind.Value, 1 => ValueKind.Deletion, _ => InternalKey.KindForSeek };
            byte[] target = InternalKey.Create(user ?? [], (ulong)random.Next(0, 220), kind);

            it.Seek(target);
            int expected = m.LowerBound(target);
            if (expected == m.Entries.Count ? it.Valid : !it.Valid || !it.Key.SequenceEqual(m.Entries[expected].Key))
            {
                return false;
            }

            // Next and Prev from a sought position agree with the model's neighbours.
            if (it.Valid)
            {
                it.Prev();
                if (expected == 0 ? it.Valid : !it.Valid || !it.Key.SequenceEqual(m.Entries[expected - 1].Key))
                {
                    return false;
                }
            }

            it.SeekForPrev(target);
            int expectedPrev = m.LastAtOrBefore(target);
            if (expectedPrev < 0 ? it.Valid : !it.Valid || !it.Key.SequenceEqual(m.Entries[expectedPrev].Key))
            {
                return false;
            }

            if (it.Valid)
            {
                it.Next();
                if (expectedPrev + 1 == m.Entries.Count ? it.Valid : !it.Valid || !it.Key.SequenceEqual(m.Entries[expectedPrev + 1].Key))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool LookupsMatch(MemTableModel m, IEnumerable<byte[]> users, int seed)
    {
        var random = new Random(seed);
        MemTableIterator it = m.Table.NewIterator();
        foreach (byte[] user in users)
        {
            ulong snapshot = random.Next(4) == 0 ? InternalKey.MaxSequence : (ulong)random.Next(0, 220);
            List<(byte[] Key, byte[] Value)> visible = m.Visible(user, snapshot);
            bool found = m.Table.TryGetEntry(user, snapshot, out ValueKind kind, out ReadOnlySpan<byte> value, out ulong sequence);
            if (found != visible.Count > 0)
            {
                return false;
            }

            if (found
                && (kind != InternalKey.Kind(visible[0].Key) || sequence != InternalKey.Sequence(visible[0].Key) || !value.SequenceEqual(visible[0].Value)))
            {
                return false;
            }

            // The merge path: seek to (user, snapshot, KindForSeek) and walk the older versions of the key.
            it.Seek(InternalKey.Create(user, snapshot, InternalKey.KindForSeek));
            foreach ((byte[] key, byte[] expectedValue) in visible)
            {
                if (!it.Valid || !it.Key.SequenceEqual(key) || !it.Value.SequenceEqual(expectedValue))
                {
                    return false;
                }

                it.Next();
            }

            if (it.Valid && m.Order.UserComparator.Compare(InternalKey.UserKey(it.Key), user) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
