using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

/// <summary>
/// The reuse contracts of the read path: data blocks live in one pooled buffer per iterator, point lookups go
/// through a per-thread probe re-pointed from table to table, and neither ever hands out another block's bytes.
/// </summary>
public sealed class TableIteratorTests
{
    private const int Count = 5000;

    private static TableReader Open(
        string name, CompressionType compression, string valueTag, int formatVersion = 6, ChecksumType checksum = ChecksumType.Xxh3)
    {
        var file = new MemoryFile(name);
        var options = new TableOptions { BlockSize = 512, Compression = compression, FormatVersion = formatVersion, Checksum = checksum };
        using (var builder = new TableBuilder(file, options, TableBuilderContext.External("S")))
        {
            for (int i = 0; i < Count; i++)
            {
                builder.Add(InternalKey.Create(Key(i), 0, ValueKind.Value), Value(valueTag, i));
            }

            builder.Finish();
        }

        return TableReader.Open(new MemoryFile(name, file.ToArray()), ownsFile: true);
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    private static byte[] Value(string tag, int i) => System.Text.Encoding.ASCII.GetBytes($"{tag}-value-{i:D8}-{new string('x', i % 50)}");

    [Fact]
    public void Probe_ReusedAcrossTables_ReadsEachTablesOwnValues()
    {
        using TableReader lz4 = Open("a.sst", CompressionType.Lz4, "lz4");
        using TableReader raw = Open("b.sst", CompressionType.None, "raw", formatVersion: 5);
        var random = new Random(3);
        for (int n = 0; n < 4000; n++)
        {
            int i = random.Next(Count);
            TableReader table = n % 2 == 0 ? lz4 : raw;
            TableIterator probe = TableIterator.RentProbe(table);
            Assert.True(table.TryGet(Key(i), InternalKey.MaxSequence, probe, out ValueKind kind, out ReadOnlySpan<byte> value));
            Assert.Equal(ValueKind.Value, kind);
            Assert.Equal(Value(n % 2 == 0 ? "lz4" : "raw", i), value.ToArray());
            TableIterator.ReturnProbe(probe);
        }
    }

    [Fact]
    public void Probe_NestedRent_GetsItsOwnIterator()
    {
        using TableReader table = Open("a.sst", CompressionType.Lz4, "lz4");
        TableIterator outer = TableIterator.RentProbe(table);
        TableIterator inner = TableIterator.RentProbe(table);
        Assert.NotSame(outer, inner);
        Assert.True(table.TryGet(Key(10), InternalKey.MaxSequence, outer, out _, out ReadOnlySpan<byte> first));
        Assert.True(table.TryGet(Key(4000), InternalKey.MaxSequence, inner, out _, out _));
        Assert.Equal(Value("lz4", 10), first.ToArray()); // the inner lookup did not reuse the outer block
        TableIterator.ReturnProbe(inner);
        TableIterator.ReturnProbe(outer);
    }

    [Theory]
    [InlineData(CompressionType.Lz4, ChecksumType.Xxh3)]
    [InlineData(CompressionType.None, ChecksumType.Crc32C)]
    [InlineData(CompressionType.Lz4, ChecksumType.XxHash32)]
    [InlineData(CompressionType.Lz4, ChecksumType.XxHash64)]
    public void TryGet_WithWarmProbe_AllocatesNothing(CompressionType compression, ChecksumType checksum)
    {
        using TableReader table = Open("a.sst", compression, "lz4", checksum: checksum);
        byte[][] keys = [.. Enumerable.Range(0, 256).Select(i => Key(i * 19 % Count))];
        int found = Lookup(table, keys); // warm: the probe, its buffer and this thread's scratch are in place

        long before = GC.GetAllocatedBytesForCurrentThread();
        found += Lookup(table, keys);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2 * keys.Length, found);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Scan_AcrossBlocks_MatchesWhatWasWritten_BothWays()
    {
        using TableReader table = Open("a.sst", CompressionType.Lz4, "lz4");
        Assert.NotNull(table.IndexWords); // the index seeks below go through the restart key words
        using TableIterator it = table.NewIterator();
        int i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            Assert.Equal(Key(i), InternalKey.UserKey(it.Key).ToArray());
            Assert.Equal(Value("lz4", i), it.Value.ToArray());
        }

        Assert.Equal(Count, i);
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            i--;
            Assert.Equal(Value("lz4", i), it.Value.ToArray());
        }

        Assert.Equal(0, i);
    }

    [Fact]
    public void Dispose_LeavesIteratorInvalid_AndASeekReadsAgain()
    {
        using TableReader table = Open("a.sst", CompressionType.Lz4, "lz4");
        var it = table.NewIterator();
        it.Seek(InternalKey.Create(Key(100), InternalKey.MaxSequence, InternalKey.KindForSeek));
        Assert.True(it.Valid);

        it.Dispose();
        Assert.False(it.Valid);
        it.Next(); // a no-op on an invalid iterator, not a read of the returned buffer
        Assert.False(it.Valid);

        it.Seek(InternalKey.Create(Key(2000), InternalKey.MaxSequence, InternalKey.KindForSeek));
        Assert.True(it.Valid);
        Assert.Equal(Value("lz4", 2000), it.Value.ToArray());
        it.Dispose();
    }

    private static int Lookup(TableReader table, byte[][] keys)
    {
        int found = 0;
        foreach (byte[] key in keys)
        {
            TableIterator probe = TableIterator.RentProbe(table);
            if (table.TryGet(key, InternalKey.MaxSequence, probe, out _, out ReadOnlySpan<byte> value) && value.Length > 0)
            {
                found++;
            }

            TableIterator.ReturnProbe(probe);
        }

        return found;
    }
}
