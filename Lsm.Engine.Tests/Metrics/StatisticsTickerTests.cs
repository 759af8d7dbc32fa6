using System.Text.RegularExpressions;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Metrics;

/// <summary>
/// The statistics tickers RocksDB names (<c>rocksdb.number.keys.read</c>, <c>rocksdb.bloom.filter.useful</c>, ...):
/// counted by the read and write paths, derived from the compaction statistics, read by <see cref="LsmDb.GetTickerCount"/>
/// and printed by <c>rocksdb.options-statistics</c> as RocksDB prints them.
/// </summary>
public sealed class StatisticsTickerTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    private static byte[] Value(int i) => System.Text.Encoding.ASCII.GetBytes($"value{i:D5}"); // 10 bytes

    private static LsmDb OpenWithTableAndMemtable()
    {
        var db = LsmDb.Open("/db", new DbOptions
        {
            CreateIfMissing = true,
            FileSystem = new InMemoryFileSystem(),
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { DisableAutoCompactions = true },
        });
        for (int i = 0; i < 100; i++)
        {
            db.Put(Key(i), Value(i));
        }

        db.Flush(); // keys 0..99 in a level-0 table with a Bloom filter
        for (int i = 100; i < 110; i++)
        {
            db.Put(Key(i), Value(i)); // keys 100..109 in the memtable
        }

        return db;
    }

    [Fact]
    public void Gets_CountKeysBytesMemtableAndFilterOutcomes()
    {
        using LsmDb db = OpenWithTableAndMemtable();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(Value(i), db.Get(Key(i)));         // in the table: memtable miss, filter positive, found
        }

        for (int i = 100; i < 110; i++)
        {
            Assert.Equal(Value(i), db.Get(Key(i)));         // in the memtable: hit, no table probed
        }

        for (int i = 0; i < 99; i++)
        {
            Assert.Null(db.Get(System.Text.Encoding.ASCII.GetBytes($"key{i:D6}x"))); // absent, inside the table's range
        }

        Assert.Equal(209, db.GetTickerCount("rocksdb.number.keys.read"));
        Assert.Equal(110 * 10, db.GetTickerCount("rocksdb.bytes.read"));
        Assert.Equal(10, db.GetTickerCount("rocksdb.memtable.hit"));
        Assert.Equal(199, db.GetTickerCount("rocksdb.memtable.miss"));
        long useful = db.GetTickerCount("rocksdb.bloom.filter.useful");
        long positive = db.GetTickerCount("rocksdb.bloom.filter.full.positive");
        long truePositive = db.GetTickerCount("rocksdb.bloom.filter.full.true.positive");
        Assert.Equal(100, truePositive);                    // every present key, and no absent one
        Assert.Equal(99, useful + (positive - truePositive)); // each absent key: ruled out, or a false positive
        Assert.True(useful >= 90, $"the filter ruled out only {useful} of 99 absent keys");

        DatabaseStatistics stats = db.GetStatistics();
        Assert.Equal(209, stats.Gets);
        Assert.Equal(199, stats.TablesProbed);
        Assert.Equal(positive, stats.TablesRead);
    }

    [Fact]
    public void Writes_CountKeysAndBytes_FlushBytesDerivedFromCompactionStatistics()
    {
        using LsmDb db = OpenWithTableAndMemtable();
        var batch = new WriteBatch();
        batch.Put(Key(200), Value(200));
        batch.Delete(Key(201));
        db.Write(batch);

        DatabaseStatistics stats = db.GetStatistics();
        Assert.Equal(112, db.GetTickerCount("rocksdb.number.keys.written"));
        Assert.Equal(stats.UserBytesWritten, db.GetTickerCount("rocksdb.bytes.written"));
        Assert.True(stats.UserBytesWritten > 110 * 19, $"bytes written {stats.UserBytesWritten}"); // keys and values at least
        Assert.Equal(stats.BytesFlushed, db.GetTickerCount("rocksdb.flush.write.bytes"));
        Assert.True(stats.BytesFlushed > 0);
        Assert.Equal(0, db.GetTickerCount("rocksdb.compact.write.bytes"));

        db.CompactRange();
        stats = db.GetStatistics();
        Assert.Equal(stats.CompactionBytesWritten, db.GetTickerCount("rocksdb.compact.write.bytes"));
        Assert.Equal(stats.CompactionBytesRead, db.GetTickerCount("rocksdb.compact.read.bytes"));
        Assert.True(stats.CompactionBytesRead > 0);
        Assert.Equal(0, db.GetTickerCount("rocksdb.stall.micros"));
    }

    [Fact]
    public void ConcurrentGets_LoseNoCount()
    {
        using LsmDb db = OpenWithTableAndMemtable();
        const int PerThread = 5000;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            Span<byte> destination = stackalloc byte[16];
            for (int i = 0; i < PerThread; i++)
            {
                Assert.True(db.TryGet(Key((i + t) % 110), destination, out _));
            }
        });

        Assert.Equal(4 * PerThread, db.GetTickerCount("rocksdb.number.keys.read"));
        Assert.Equal(4 * PerThread * 10, db.GetTickerCount("rocksdb.bytes.read"));
        Assert.Equal(4 * PerThread, db.GetTickerCount("rocksdb.memtable.hit") + db.GetTickerCount("rocksdb.memtable.miss"));
    }

    [Fact]
    public void OptionsStatistics_PrintsEveryTickerAsRocksDb()
    {
        using LsmDb db = OpenWithTableAndMemtable();
        db.Get(Key(105));
        string text = db.GetProperty("rocksdb.options-statistics")!;
        string[] lines = text.TrimEnd('\n').Split('\n');

        Assert.All(lines, line => Assert.Matches(@"^[a-z.]+ COUNT : \d+$", line));
        Assert.Contains("rocksdb.number.keys.read COUNT : 1", lines);
        Assert.Contains("rocksdb.memtable.hit COUNT : 1", lines);
        Assert.Contains("rocksdb.number.keys.written COUNT : 110", lines);
        foreach (string name in new[] { "rocksdb.block.cache.hit", "rocksdb.block.cache.miss", "rocksdb.block.cache.data.miss", "rocksdb.bloom.filter.useful", "rocksdb.stall.micros" })
        {
            Match count = Regex.Match(text, $@"^{Regex.Escape(name)} COUNT : (\d+)$", RegexOptions.Multiline);
            Assert.True(count.Success, $"{name} missing from:\n{text}");
            Assert.Equal(db.GetTickerCount(name).ToString(System.Globalization.CultureInfo.InvariantCulture), count.Groups[1].Value);
        }

        Assert.Equal(lines.Length, lines.Distinct().Count());
    }

    [Fact]
    public void GetTickerCount_UnknownName_Throws()
    {
        using LsmDb db = OpenWithTableAndMemtable();
        Assert.Throws<ArgumentException>(() => db.GetTickerCount("rocksdb.no.such.ticker"));
        Assert.Throws<ArgumentException>(() => db.GetTickerCount("rocksdb.estimate-num-keys")); // a property, not a ticker
    }
}
