using Lsm.Engine.Db;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

/// <summary>
/// Table reads through a <see cref="BlockCache"/>: the same answers as straight from the file in every mode (index
/// and filter in the reader or in the cache, pinned or not, compressed or not); a block is read from the file once
/// and then hit; readers give every reference back; a corrupted block is never cached; compactions' reads
/// (<c>fillCache: false</c>) insert nothing.
/// </summary>
public sealed class CachedTableReaderTests
{
    private const int Count = 3000;

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    private static byte[] Value(int i) => System.Text.Encoding.ASCII.GetBytes($"value{i:D8}-{new string((char)('a' + (i % 26)), i % 40)}");

    private static byte[] BuildTable(CompressionType compression = CompressionType.Lz4)
    {
        var file = new MemoryFile("t.sst");
        using (var builder = new TableBuilder(file, new TableOptions { BlockSize = 1024, Compression = compression }, TableBuilderContext.External("S")))
        {
            for (int i = 0; i < Count; i += 2)
            {
                builder.Add(InternalKey.Create(Key(i), 0, ValueKind.Value), Value(i));
            }

            builder.Finish();
        }

        return file.ToArray();
    }

    private static TableReader Open(byte[] table, BlockCache? cache, bool indexInCache = false, bool pin = false, Tickers? tickers = null) =>
        TableReader.Open(new MemoryFile("t.sst", table), ownsFile: true, new TableReaderOptions
        {
            BlockCache = cache,
            CacheIndexAndFilterBlocks = indexInCache,
            PinIndexAndFilter = pin,
            Tickers = tickers,
        });

    private static LsmDb OpenInMemory(ColumnFamilyOptions family) =>
        LsmDb.Open("/db", new DbOptions { CreateIfMissing = true, FileSystem = new InMemoryFileSystem(), DefaultColumnFamilyOptions = family });

    /// <summary>Every key present and absent by point lookup, then a full scan forward and back.</summary>
    private static void AssertReadsEverything(TableReader reader)
    {
        TableIterator probe = reader.NewIterator();
        for (int i = 0; i < Count; i++)
        {
            bool mayMatch = reader.KeyMayMatch(Key(i));
            bool found = reader.TryGet(Key(i), InternalKey.MaxSequence, probe, out _, out ReadOnlySpan<byte> value);
            if (i % 2 == 0)
            {
                Assert.True(mayMatch, $"the filter ruled out key {i}, which is in the table");
                Assert.True(found, $"key {i} not found");
                Assert.True(value.SequenceEqual(Value(i)), $"key {i} has a wrong value");
            }
            else
            {
                Assert.False(found, $"key {i} found, though absent");
            }
        }

        probe.Dispose();
        using TableIterator scan = reader.NewIterator();
        int seen = 0;
        for (scan.SeekToFirst(); scan.Valid; scan.Next())
        {
            Assert.True(InternalKey.UserKey(scan.Key).SequenceEqual(Key(seen * 2)));
            Assert.True(scan.Value.SequenceEqual(Value(seen * 2)));
            seen++;
        }

        Assert.Equal(Count / 2, seen);
        for (scan.SeekToLast(); scan.Valid; scan.Prev())
        {
            seen--;
            Assert.True(InternalKey.UserKey(scan.Key).SequenceEqual(Key(seen * 2)));
        }

        Assert.Equal(0, seen);
    }

    [Theory]
    [InlineData(CompressionType.Lz4, false, false)]
    [InlineData(CompressionType.Lz4, true, false)]
    [InlineData(CompressionType.Lz4, true, true)]
    [InlineData(CompressionType.None, false, false)]
    [InlineData(CompressionType.None, true, true)]
    [InlineData(CompressionType.Zstd, true, false)]
    public void ReadsThroughTheCache_AnswerAsTheFile_AndGiveEveryReferenceBack(object compression, bool indexInCache, bool pin)
    {
        byte[] table = BuildTable((CompressionType)compression);
        using var cache = new BlockCache(64L << 20);
        using (TableReader reader = Open(table, cache, indexInCache, pin))
        {
            AssertReadsEverything(reader); // misses: every block read into the cache
            AssertReadsEverything(reader); // hits
            Assert.Equal(pin ? "pinned" : "none", cache.PinnedUsage > 0 ? "pinned" : "none");
        }

        Assert.Equal(0, cache.PinnedUsage);
        Assert.True(cache.Usage > 0);
    }

    [Fact]
    public void ASecondReadOfABlock_IsAHit_AndTheFileIsNotReadAgain()
    {
        byte[] table = BuildTable();
        using var cache = new BlockCache(64L << 20);
        var tickers = new Tickers();
        using TableReader reader = Open(table, cache, indexInCache: true, tickers: tickers);
        Assert.Equal(2, tickers.Get(Ticker.BlockCacheAdd)); // the index and the filter, at open
        long openBytes = tickers.Get(Ticker.TableBytesRead);

        AssertReadsEverything(reader);
        long misses = tickers.Get(Ticker.BlockCacheDataMiss);
        long fileBytes = tickers.Get(Ticker.TableBytesRead);
        Assert.True(misses > 10, $"only {misses} data blocks were read");
        Assert.Equal(0, tickers.Get(Ticker.BlockCacheIndexMiss));
        Assert.Equal(0, tickers.Get(Ticker.BlockCacheFilterMiss));

        AssertReadsEverything(reader);
        Assert.Equal(misses, tickers.Get(Ticker.BlockCacheDataMiss));
        Assert.Equal(fileBytes, tickers.Get(Ticker.TableBytesRead));
        Assert.True(tickers.Get(Ticker.BlockCacheDataHit) > misses);
        Assert.True(tickers.Get(Ticker.BlockCacheIndexHit) > 0);
        Assert.True(tickers.Get(Ticker.BlockCacheFilterHit) >= Count);
        Assert.True(fileBytes > openBytes);
        Assert.Equal(
            tickers.Get(Ticker.BlockCacheHit),
            tickers.Get(Ticker.BlockCacheDataHit) + tickers.Get(Ticker.BlockCacheIndexHit) + tickers.Get(Ticker.BlockCacheFilterHit));
    }

    [Fact]
    public void PinnedIndexAndFilter_AreNeverLookedUpAgain()
    {
        byte[] table = BuildTable();
        using var cache = new BlockCache(64L << 20);
        var tickers = new Tickers();
        using TableReader reader = Open(table, cache, indexInCache: true, pin: true, tickers: tickers);
        AssertReadsEverything(reader);
        Assert.Equal(0, tickers.Get(Ticker.BlockCacheIndexHit) + tickers.Get(Ticker.BlockCacheIndexMiss));
        Assert.Equal(0, tickers.Get(Ticker.BlockCacheFilterHit) + tickers.Get(Ticker.BlockCacheFilterMiss));
        Assert.True(cache.PinnedUsage > 0);
    }

    [Fact]
    public void ACacheSmallerThanABlock_StillAnswersRight()
    {
        byte[] table = BuildTable();
        using var cache = new BlockCache(100);
        using TableReader reader = Open(table, cache, indexInCache: true);
        AssertReadsEverything(reader);
        Assert.Equal(0, cache.PinnedUsage);
    }

    [Fact]
    public void AnIteratorDisposedMidScan_ReleasesItsBlocks_AndCanSeekAgain()
    {
        byte[] table = BuildTable();
        using var cache = new BlockCache(64L << 20);
        using TableReader reader = Open(table, cache, indexInCache: true);
        TableIterator it = reader.NewIterator();
        it.Seek(InternalKey.Create(Key(1000), InternalKey.MaxSequence, ValueKind.Value));
        Assert.True(it.Valid);
        Assert.True(cache.PinnedUsage > 0, "a positioned iterator holds its index and data block");
        it.Dispose();
        Assert.Equal(0, cache.PinnedUsage);
        Assert.False(it.Valid);
        it.Seek(InternalKey.Create(Key(1000), InternalKey.MaxSequence, ValueKind.Value));
        Assert.True(it.Valid);
        Assert.True(InternalKey.UserKey(it.Key).SequenceEqual(Key(1000)));
        it.Dispose();
        Assert.Equal(0, cache.PinnedUsage);
    }

    [Fact]
    public void ReadsThatDoNotFillTheCache_InsertNothing_ButUseWhatIsCached()
    {
        byte[] table = BuildTable();
        using var cache = new BlockCache(64L << 20);
        var tickers = new Tickers();
        using TableReader reader = Open(table, cache, tickers: tickers);
        using (TableIterator scan = reader.NewIterator(fillCache: false))
        {
            int seen = 0;
            for (scan.SeekToFirst(); scan.Valid; scan.Next())
            {
                seen++;
            }

            Assert.Equal(Count / 2, seen);
        }

        Assert.Equal(0, tickers.Get(Ticker.BlockCacheAdd));
        Assert.Equal(0, cache.GetStatistics().Entries);

        AssertReadsEverything(reader);
        long adds = tickers.Get(Ticker.BlockCacheAdd);
        long hits = tickers.Get(Ticker.BlockCacheDataHit);
        using (TableIterator scan = reader.NewIterator(fillCache: false))
        {
            for (scan.SeekToFirst(); scan.Valid; scan.Next())
            {
            }
        }

        Assert.Equal(adds, tickers.Get(Ticker.BlockCacheAdd));
        Assert.True(tickers.Get(Ticker.BlockCacheDataHit) > hits);
    }

    /// <summary>A flipped byte in a data block: each read of it reports the corruption; the bad block is never served from the cache.</summary>
    [Fact]
    public void ACorruptedBlock_IsReportedOnEveryRead_AndNeverCached()
    {
        byte[] table = BuildTable(CompressionType.None);
        table[100] ^= 0x40; // inside the first data block
        using var cache = new BlockCache(64L << 20);
        var tickers = new Tickers();
        using TableReader reader = Open(table, cache, tickers: tickers);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            using TableIterator it = reader.NewIterator();
            var e = Assert.Throws<CorruptionException>(it.SeekToFirst);
            Assert.Contains("t.sst", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, tickers.Get(Ticker.BlockCacheAdd));
        Assert.Equal(3, tickers.Get(Ticker.BlockCacheDataMiss));
        Assert.Equal(0, cache.PinnedUsage);
    }

    /// <summary>Two databases share one cache: both read right, and each counts its own hits.</summary>
    [Fact]
    public void OneCache_SharedByTwoDatabases()
    {
        using var cache = new BlockCache(8L << 20);
        var fs = new InMemoryFileSystem();
        var options = new DbOptions
        {
            CreateIfMissing = true,
            FileSystem = fs,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { Table = new TableOptions { BlockCache = cache } },
        };
        using LsmDb a = LsmDb.Open("/a", options);
        using LsmDb b = LsmDb.Open("/b", options);
        for (int i = 0; i < 2000; i++)
        {
            a.Put(Key(i), Value(i));
            b.Put(Key(i), Value(i + 1));
        }

        a.Flush();
        b.Flush();
        long before = cache.Usage;
        for (int round = 0; round < 2; round++)
        {
            for (int i = 0; i < 2000; i += 7)
            {
                Assert.Equal(Value(i), a.Get(Key(i)));
                Assert.Equal(Value(i + 1), b.Get(Key(i)));
            }
        }

        Assert.True(cache.Usage > before, "the reads did not go through the shared cache");
        Assert.Equal(0, cache.PinnedUsage);
        Assert.Equal((8L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), a.GetProperty("rocksdb.block-cache-capacity"));
        Assert.Equal(a.GetProperty("rocksdb.block-cache-usage"), b.GetProperty("rocksdb.block-cache-usage"));
        Assert.True(a.GetTickerCount("rocksdb.block.cache.data.hit") > 0);
        Assert.True(b.GetTickerCount("rocksdb.block.cache.data.hit") > 0);
        Assert.Equal(
            cache.GetStatistics().DataHits,
            a.GetTickerCount("rocksdb.block.cache.data.hit") + b.GetTickerCount("rocksdb.block.cache.data.hit"));
    }

    /// <summary>A scan with <see cref="ReadOptions.FillCache"/> false leaves the cache as it was.</summary>
    [Fact]
    public void AScanThatDoesNotFillTheCache_LeavesItAsItWas()
    {
        using var cache = new BlockCache(8L << 20);
        using LsmDb db = OpenInMemory(new ColumnFamilyOptions { Table = new TableOptions { BlockCache = cache } });
        for (int i = 0; i < 3000; i++)
        {
            db.Put(Key(i), Value(i));
        }

        db.Flush();
        long before = cache.GetStatistics().Entries;
        using (LsmIterator it = db.NewIterator(null, new ReadOptions { FillCache = false }))
        {
            int seen = 0;
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                seen++;
            }

            Assert.Equal(3000, seen);
        }

        Assert.Equal(before, cache.GetStatistics().Entries);
        using (LsmIterator it = db.NewIterator())
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
            }
        }

        Assert.True(cache.GetStatistics().Entries > before + 10);
    }

    /// <summary>
    /// Tens of megabytes of cached blocks live in native memory: reading them into the cache allocates on the managed heap
    /// only the shards' struct arrays, a small fraction of the blocks' bytes, so a full cache adds little garbage-collection work.
    /// </summary>
    [Fact]
    public void CachedBlocks_LiveOffTheManagedHeap()
    {
        using var cache = new BlockCache(64L << 20);
        using LsmDb db = OpenInMemory(new ColumnFamilyOptions
        {
            WriteBufferSize = 8L << 20,
            Table = new TableOptions { BlockCache = cache, Compression = CompressionType.None },
        });
        byte[] value = new byte[1000];
        for (int i = 0; i < 24_000; i++)
        {
            Random.Shared.NextBytes(value);
            db.Put(Key(i), value);
        }

        db.Flush();
        db.WaitForCompactions();
        byte[][] keys = [.. Enumerable.Range(0, 24_000).Select(Key)];
        byte[] destination = new byte[2000];
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread(); // the reads run here: every miss fills the cache
        foreach (byte[] key in keys)
        {
            Assert.True(db.TryGet(key, destination, out _));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        long cached = cache.Usage;
        Assert.True(cached > 20L << 20, $"only {cached} bytes were cached");
        // What the managed heap does take: the shards' entry and bucket arrays growing with the entry count (structs, no
        // object per entry; about 1.1 MB here, for some 6,000 entries), far below the blocks' bytes.
        Assert.True(allocated < cached / 8, $"{allocated} managed bytes were allocated while {cached} bytes were read into the cache");
        Assert.True(cache.GetStatistics().NativeBytes >= cached - (cache.GetStatistics().Entries * BlockCache.PerEntryOverhead));
    }
}
