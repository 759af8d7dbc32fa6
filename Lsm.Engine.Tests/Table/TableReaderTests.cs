using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Table;

public sealed class TableReaderTests
{
    private static byte[] BuildTable(int count, TableOptions? options = null)
    {
        var file = new MemoryFile("t.sst");
        using (var builder = new TableBuilder(file, options ?? new TableOptions { BlockSize = 1024 }, TableBuilderContext.External("S")))
        {
            for (int i = 0; i < count; i++)
            {
                builder.Add(InternalKey.Create(Key(i), 0, ValueKind.Value), Value(i));
            }

            builder.Finish();
        }

        return file.ToArray();
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    private static byte[] Value(int i) => System.Text.Encoding.ASCII.GetBytes($"value{i:D8}");

    [Fact]
    public void ConcurrentReaders_SeeTheSameData()
    {
        const int count = 20000;
        using var reader = TableReader.Open(new MemoryFile("t.sst", BuildTable(count)), ownsFile: true);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, thread =>
        {
            var random = new Random(thread);
            TableIterator scratch = reader.NewIterator();
            for (int n = 0; n < 5000; n++)
            {
                int i = random.Next(count);
                if (!reader.TryGet(Key(i), InternalKey.MaxSequence, scratch, out _, out ReadOnlySpan<byte> value) || !value.SequenceEqual(Value(i)))
                {
                    failures.Add($"thread {thread}: key {i}");
                }
            }

            TableIterator scan = reader.NewIterator();
            int seen = 0;
            for (scan.SeekToFirst(); scan.Valid; scan.Next())
            {
                seen++;
            }

            if (seen != count)
            {
                failures.Add($"thread {thread}: scanned {seen}");
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void Get_AbsentKey_IsRejectedByFilterWithoutReadingData()
    {
        using var reader = TableReader.Open(new MemoryFile("t.sst", BuildTable(1000)), ownsFile: true);
        int mayMatch = 0;
        for (int i = 0; i < 10000; i++)
        {
            if (reader.KeyMayMatch(System.Text.Encoding.ASCII.GetBytes($"absent{i}")))
            {
                mayMatch++;
            }
        }

        Assert.InRange(mayMatch, 0, 250); // ~1% at 10 bits per key
    }

    [Fact]
    public void WrongComparator_IsRefused()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("t.sst"), BuildTable(10));
        var ex = Assert.Throws<NotSupportedException>(() => TableReader.Open(dir.File("t.sst"), new ReverseComparator()));
        Assert.Contains("leveldb.BytewiseComparator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RocksDbZlibTable_IsRefusedClearly()
    {
        using var dir = new TempDirectory();
        string path = dir.File("zlib.sst");
        RocksDbOracle.WriteSst(path, TestEntries.Random(1, 500, withDeletesAndMerges: false), compression: RocksDbSharp.Compression.Zlib);
        using var sst = SstFile.Open(path);
        var ex = Assert.Throws<NotSupportedException>(() => sst.VerifyChecksums());
        Assert.Contains("Zlib", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Properties_DescribeTheTable()
    {
        byte[] table = BuildTable(5000, new TableOptions { BlockSize = 4096, Compression = CompressionType.Lz4 });
        using var reader = TableReader.Open(new MemoryFile("t.sst", table), ownsFile: true);
        TableProperties p = reader.Properties;
        Assert.Equal(5000UL, p.NumEntries);
        Assert.Equal(5000UL * 19, p.RawKeySize);
        Assert.Equal(5000UL * 13, p.RawValueSize);
        Assert.Equal("leveldb.BytewiseComparator", p.ComparatorName);
        Assert.Equal("bloomfilter", p.FilterPolicyName);
        Assert.Equal("LZ4", p.CompressionName);
        Assert.Equal(2, p.ExternalFileVersion);
        Assert.True(p.IndexKeyIsUserKey);
        Assert.True(p.IndexValueIsDeltaEncoded);
        Assert.Equal(0UL, p.SmallestSequence);
        Assert.Equal(0UL, p.LargestSequence);
        Assert.Equal("key00000000#0,SET", KeyText.FormatInternalKey(p.SmallestKey.Span));
        Assert.Equal("key00004999#0,SET", KeyText.FormatInternalKey(p.LargestKey.Span));
        Assert.True(p.NumDataBlocks > 10);
        Assert.True(p.DataSize < (ulong)table.Length);
    }

    [Fact]
    public void SameUserKeyAcrossBlocks_KeepsSequenceInIndexKeys()
    {
        var file = new MemoryFile("t.sst");
        using (var builder = new TableBuilder(file, new TableOptions { BlockSize = 64, BlockRestartInterval = 1 }, new TableBuilderContext(0, "default", "nullptr", "db", "S", 1, false)))
        {
            for (ulong seq = 100; seq > 0; seq--)
            {
                builder.Add(InternalKey.Create("same"u8, seq, ValueKind.Value), new byte[20]);
            }

            builder.Finish();
        }

        using var reader = TableReader.Open(new MemoryFile("t.sst", file.ToArray()), ownsFile: true);
        Assert.False(reader.Properties.IndexKeyIsUserKey);
        TableIterator scratch = reader.NewIterator();
        for (ulong snapshot = 1; snapshot <= 100; snapshot++)
        {
            Assert.True(reader.TryGet("same"u8, snapshot, scratch, out _, out _));
            Assert.Equal(snapshot, InternalKey.Sequence(scratch.Key));
        }
    }

    private sealed class ReverseComparator : KeyComparator
    {
        public override string Name => "rocksdb.ReverseBytewiseComparator";

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => b.SequenceCompareTo(a);
    }
}
