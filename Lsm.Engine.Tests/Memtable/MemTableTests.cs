using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

public sealed class MemTableTests
{
    private static string Format(ReadOnlySpan<byte> internalKey) => KeyText.FormatInternalKey(internalKey);

    private static List<string> Scan(MemTableIterator it)
    {
        var keys = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            keys.Add(Format(it.Key));
        }

        return keys;
    }

    [Fact]
    public void Empty_IteratorIsInvalid_AndLookupsMiss()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        MemTableIterator it = mem.NewIterator();
        it.SeekToFirst();
        Assert.False(it.Valid);
        it.SeekToLast();
        Assert.False(it.Valid);
        it.Seek(InternalKey.Create("a"u8, 1, ValueKind.Value));
        Assert.False(it.Valid);
        it.SeekForPrev(InternalKey.Create("a"u8, 1, ValueKind.Value));
        Assert.False(it.Valid);
        Assert.True(it.Key.IsEmpty);
        Assert.True(it.Value.IsEmpty);
        it.Next();
        it.Prev();
        Assert.False(mem.TryGetEntry("a"u8, InternalKey.MaxSequence, out _, out _, out _));
        Assert.True(mem.IsEmpty);
        Assert.Equal(0UL, mem.FirstSequence);
        Assert.Equal(0UL, mem.LastSequence);
        Assert.Null(mem.NewRangeTombstoneIterator());
        mem.AssertInvariants();
    }

    [Fact]
    public void Entries_IterateInInternalKeyOrder_NewestVersionFirst()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(3, ValueKind.Value, "b"u8, "b3"u8);
        mem.Add(1, ValueKind.Value, "a"u8, "a1"u8);
        mem.Add(5, ValueKind.Deletion, "a"u8, default);
        mem.Add(4, ValueKind.Merge, "c"u8, "c4"u8);
        mem.Add(2, ValueKind.Value, "c"u8, "c2"u8);
        Assert.Equal(["a#5,DEL", "a#1,SET", "b#3,SET", "c#4,MERGE", "c#2,SET"], Scan(mem.NewIterator()));
        Assert.Equal(5, mem.NumEntries);
        Assert.Equal(1, mem.NumDeletes);
        Assert.Equal(1UL, mem.FirstSequence);
        Assert.Equal(5UL, mem.LastSequence);
        mem.AssertInvariants();
    }

    [Fact]
    public void TryGetEntry_RespectsSnapshot_AndReportsKindAndSequence()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(10, ValueKind.Value, "k"u8, "v10"u8);
        mem.Add(20, ValueKind.Deletion, "k"u8, default);
        mem.Add(30, ValueKind.Value, "k"u8, "v30"u8);

        Assert.False(mem.TryGetEntry("k"u8, 9, out _, out _, out _));
        Assert.True(mem.TryGetEntry("k"u8, 10, out ValueKind kind, out ReadOnlySpan<byte> value, out ulong sequence));
        Assert.Equal((ValueKind.Value, "v10", 10UL), (kind, System.Text.Encoding.ASCII.GetString(value), sequence));
        Assert.True(mem.TryGetEntry("k"u8, 29, out kind, out value, out sequence));
        Assert.Equal((ValueKind.Deletion, 0, 20UL), (kind, value.Length, sequence));
        Assert.True(mem.TryGetEntry("k"u8, InternalKey.MaxSequence, out kind, out value, out sequence));
        Assert.Equal((ValueKind.Value, "v30", 30UL), (kind, System.Text.Encoding.ASCII.GetString(value), sequence));

        // Neighbouring user keys, prefixes and extensions do not match.
        Assert.False(mem.TryGetEntry(""u8, InternalKey.MaxSequence, out _, out _, out _));
        Assert.False(mem.TryGetEntry("j"u8, InternalKey.MaxSequence, out _, out _, out _));
        Assert.False(mem.TryGetEntry("k\0"u8, InternalKey.MaxSequence, out _, out _, out _));
    }

    [Fact]
    public void TryGetEntry_SequenceEqualToSnapshot_IsVisibleForEveryKind()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(7, ValueKind.ValuePreferredSeqno, "p"u8, "x"u8);
        mem.Add(7, ValueKind.Merge, "m"u8, "y"u8);
        Assert.True(mem.TryGetEntry("p"u8, 7, out ValueKind kind, out _, out _));
        Assert.Equal(ValueKind.ValuePreferredSeqno, kind);
        Assert.True(mem.TryGetEntry("m"u8, 7, out kind, out _, out _));
        Assert.Equal(ValueKind.Merge, kind);
    }

    [Fact]
    public void EmptyUserKey_AndEmptyValues_RoundTrip()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(1, ValueKind.Value, default, default);
        mem.Add(2, ValueKind.Value, default, "two"u8);
        mem.Add(3, ValueKind.Value, "a"u8, default);
        Assert.Equal(["#2,SET", "#1,SET", "a#3,SET"], Scan(mem.NewIterator()));

        Assert.True(mem.TryGetEntry(default, 1, out _, out ReadOnlySpan<byte> value, out ulong sequence));
        Assert.Equal((0, 1UL), (value.Length, sequence));
        Assert.True(mem.TryGetEntry(default, 5, out _, out value, out _));
        Assert.Equal("two"u8.ToArray(), value.ToArray());
        Assert.True(mem.TryGetEntry("a"u8, 5, out _, out value, out _));
        Assert.True(value.IsEmpty);

        MemTableIterator it = mem.NewIterator();
        it.Seek(InternalKey.Create(default, 1, InternalKey.KindForSeek));
        Assert.Equal("#1,SET", Format(it.Key));
        Assert.Equal(InternalKey.TrailerSize, it.Key.Length);
    }

    [Fact]
    public void LargeValues_BiggerThanAChunk_GetTheirOwnChunks()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise, Arena.MinChunkSize);
        var random = new Random(3);
        var values = new Dictionary<int, byte[]>();
        for (int i = 0; i < 20; i++)
        {
            byte[] value = new byte[i % 2 == 0 ? 100_000 + i : 10];
            random.NextBytes(value);
            values[i] = value;
            mem.Add((ulong)i + 1, ValueKind.Value, System.Text.Encoding.ASCII.GetBytes($"key{i:D2}"), value);
        }

        Assert.True(mem.ApproximateMemoryUsage >= 10 * 100_000);
        MemTableIterator it = mem.NewIterator();
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), n++)
        {
            Assert.Equal(values[n], it.Value.ToArray());
        }

        Assert.Equal(20, n);
        mem.AssertInvariants();
    }

    [Fact]
    public void LongUserKey_LookupUsesPooledBuffer_AndFindsIt()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        byte[] key = new byte[5000];
        new Random(5).NextBytes(key);
        mem.Add(1, ValueKind.Value, key, "v"u8);
        mem.Add(2, ValueKind.Value, key.AsSpan(0, 4999), "w"u8);
        Assert.True(mem.TryGetEntry(key, 1, out _, out ReadOnlySpan<byte> value, out _));
        Assert.Equal("v"u8.ToArray(), value.ToArray());
        Assert.False(mem.TryGetEntry(key, 0, out _, out _, out _));
    }

    [Fact]
    public void ManyVersionsOfOneKey_EachSnapshotSeesItsVersion_AndScanWalksThemNewestFirst()
    {
        const int Versions = 2000;
        using var mem = new MemTable(InternalKeyComparator.Bytewise, Arena.MinChunkSize);
        mem.Add(5000, ValueKind.Value, "after"u8, default);
        mem.Add(5001, ValueKind.Value, "hot\0"u8, default);
        var order = Enumerable.Range(1, Versions).OrderBy(i => (i * 7919) % Versions).ToArray(); // shuffled insertion
        foreach (int v in order)
        {
            ValueKind kind = v % 3 == 0 ? ValueKind.Merge : ValueKind.Value;
            mem.Add((ulong)(2 * v), kind, "hot"u8, BitConverter.GetBytes(v));
        }

        mem.AssertInvariants();
        Assert.False(mem.TryGetEntry("hot"u8, 1, out _, out _, out _)); // older than every version
        for (int s = 2; s <= 2 * Versions + 1; s += 37)
        {
            int expected = Math.Min(s / 2, Versions);
            Assert.True(mem.TryGetEntry("hot"u8, (ulong)s, out _, out ReadOnlySpan<byte> value, out ulong sequence));
            Assert.Equal((ulong)(2 * expected), sequence);
            Assert.Equal(expected, BitConverter.ToInt32(value));
        }

        MemTableIterator it = mem.NewIterator();
        it.Seek(InternalKey.Create("hot"u8, 1001, InternalKey.KindForSeek));
        for (int v = 500; v >= 1; v--, it.Next())
        {
            Assert.Equal(KeyText.FormatKey("hot"u8, (ulong)(2 * v), v % 3 == 0 ? ValueKind.Merge : ValueKind.Value), Format(it.Key));
        }

        Assert.Equal("0x686F7400#5001,SET", Format(it.Key)); // the next user key, "hot\0"
    }

    [Fact]
    public void RangeDeletions_GoToTheirOwnList()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(1, ValueKind.Value, "b"u8, "v"u8);
        mem.Add(2, ValueKind.RangeDeletion, "a"u8, "c"u8);
        mem.Add(3, ValueKind.RangeDeletion, "x"u8, "z"u8);
        Assert.Equal(["b#1,SET"], Scan(mem.NewIterator()));
        MemTableIterator? tombstones = mem.NewRangeTombstoneIterator();
        Assert.NotNull(tombstones);
        Assert.Equal(["a#2,RANGEDEL", "x#3,RANGEDEL"], Scan(tombstones));
        tombstones.SeekToFirst();
        Assert.Equal("c"u8.ToArray(), tombstones.Value.ToArray());
        Assert.Equal(3, mem.NumEntries);
        Assert.Equal(2, mem.NumRangeDeletes);
        Assert.Equal(0, mem.NumDeletes);
        mem.AssertInvariants();
    }

    [Fact]
    public void CustomUserOrder_IsUsedBySkipListAndLookup()
    {
        using var mem = new MemTable(new InternalKeyComparator(ReverseBytewiseComparator.Instance));
        mem.Add(1, ValueKind.Value, "a"u8, "1"u8);
        mem.Add(2, ValueKind.Value, "c"u8, "2"u8);
        mem.Add(3, ValueKind.Value, "b"u8, "3"u8);
        mem.Add(4, ValueKind.Value, "b"u8, "4"u8);
        Assert.Equal(["c#2,SET", "b#4,SET", "b#3,SET", "a#1,SET"], Scan(mem.NewIterator()));
        Assert.True(mem.TryGetEntry("b"u8, 3, out _, out ReadOnlySpan<byte> value, out _));
        Assert.Equal("3"u8.ToArray(), value.ToArray());
        mem.AssertInvariants();
    }

    [Fact]
    public void RefCount_ArenaLivesUntilTheLastUnref()
    {
        var mem = new MemTable(InternalKeyComparator.Bytewise);
        mem.Add(1, ValueKind.Value, "k"u8, "v"u8);
        mem.Ref();                       // a reader
        mem.Dispose();                   // the creator lets go
        mem.Dispose();                   // idempotent
        Assert.True(mem.TryGetEntry("k"u8, 1, out _, out ReadOnlySpan<byte> value, out _)); // still readable
        Assert.Equal("v"u8.ToArray(), value.ToArray());
        Assert.True(mem.Unref());        // the last reference frees the arena
        Assert.Throws<ObjectDisposedException>(mem.Ref);
        Assert.Throws<InvalidOperationException>(() => mem.Unref());
    }

    [Fact]
    public void SkipList_HeightsFollowBranchingFactor()
    {
        using var arena = new Arena();
        var list = new SkipList(arena, InternalKeyComparator.Bytewise);
        const int N = 40_000;
        for (int i = 0; i < N; i++)
        {
            list.Insert(InternalKey.Create(BitConverter.GetBytes(i), 1, ValueKind.Value), default);
        }

        list.AssertInvariants();
        Assert.Equal(N, list.Count);

        // Walk level 1: about a quarter of the nodes are that tall.
        int tall = CountLevel(list, 1);
        Assert.InRange(tall, N / 4 * 0.9, N / 4 * 1.1);
        Assert.True(list.Contains(InternalKey.Create(BitConverter.GetBytes(123), 1, ValueKind.Value)));
        Assert.False(list.Contains(InternalKey.Create(BitConverter.GetBytes(123), 2, ValueKind.Value)));
    }

    [Theory]
    [InlineData("ascending")]
    [InlineData("descending")]
    [InlineData("runs")]
    public void InsertOrder_AscendingDescendingOrRuns_AllEndSorted(string shape)
    {
        // Ascending inserts take the append fast path; runs alternate between it and searched inserts.
        const int N = 5000;
        int[] order = shape switch
        {
            "ascending" => Enumerable.Range(0, N).ToArray(),
            "descending" => Enumerable.Range(0, N).Reverse().ToArray(),
            _ => Enumerable.Range(0, N).OrderBy(i => ((i / 100) * 7919 % 50 * 100) + (i % 100)).ToArray(),
        };
        using var mem = new MemTable(InternalKeyComparator.Bytewise, Arena.MinChunkSize);
        foreach (int i in order)
        {
            byte[] key = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(key, i);
            mem.Add((ulong)i + 1, ValueKind.Value, key, key);
        }

        mem.AssertInvariants();
        MemTableIterator it = mem.NewIterator();
        int expected = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), expected++)
        {
            Assert.Equal(expected, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(it.Value));
        }

        Assert.Equal(N, expected);
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            Assert.Equal(--expected, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(it.Value));
        }

        Assert.Equal(0, expected);
    }

    private static unsafe int CountLevel(SkipList list, int level)
    {
        int n = 0;
        for (byte* node = SkipListNode.Next(list.Head, level); node != null; node = SkipListNode.Next(node, level))
        {
            n++;
        }

        return n;
    }

    [Fact]
    public unsafe void SkipListNode_LayoutMatchesTheDocumentedExample()
    {
        using var arena = new Arena();
        Assert.Equal(30, SkipListNode.Size(2, 10, 1));
        byte* allocation = arena.Allocate(30);
        byte* node = SkipListNode.FromAllocation(allocation, 2);
        byte* key = SkipListNode.WriteHeader(node, 2, 10, 1, out byte* value);
        InternalKey.Write(new Span<byte>(key, 10), "ab"u8, 5, ValueKind.Value);
        *value = (byte)'x';
        Assert.Equal("02-0A-61-62-01-05-00-00-00-00-00-00-01-78", BitConverter.ToString(new ReadOnlySpan<byte>(allocation + 16, 14).ToArray()));
        Assert.Equal("ab#5,SET", Format(SkipListNode.Key(node)));
        Assert.Equal(2, SkipListNode.Height(node));
    }
}
