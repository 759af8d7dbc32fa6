using System.Globalization;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Metrics;

/// <summary>
/// The RocksDB-named numeric properties the metrics are built on: memtable sizes with RocksDB's distinction between
/// <c>cur-size-all-mem-tables</c> and <c>size-all-mem-tables</c>, the block cache figures, files per level, and
/// <see cref="LsmDb.TryGetIntProperty"/>.
/// </summary>
public sealed class PropertyTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    private static LsmDb Open(TableOptions? table = null) => LsmDb.Open("/db", new DbOptions
    {
        CreateIfMissing = true,
        FileSystem = new InMemoryFileSystem(),
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { DisableAutoCompactions = true, Table = table ?? new TableOptions() },
    });

    private static long Int(LsmDb db, string name)
    {
        Assert.True(db.TryGetIntProperty(name, out long value), name);
        Assert.Equal(value.ToString(CultureInfo.InvariantCulture), db.GetProperty(name));
        return value;
    }

    [Fact]
    public void SizeAllMemTables_CountsAFlushedMemtableWhileAnIteratorPinsIt()
    {
        using LsmDb db = Open();
        for (int i = 0; i < 3000; i++)
        {
            db.Put(Key(i), new byte[1000]); // a few arena chunks: an empty memtable has one
        }

        long flushedBytes = Int(db, "rocksdb.cur-size-active-mem-table");
        Assert.True(flushedBytes > 3_000_000, $"memtable bytes {flushedBytes}");
        Assert.Equal(flushedBytes, Int(db, "rocksdb.cur-size-all-mem-tables"));
        Assert.Equal(flushedBytes, Int(db, "rocksdb.size-all-mem-tables"));

        using (LsmIterator iterator = db.NewIterator())
        {
            db.Flush();
            long current = Int(db, "rocksdb.cur-size-all-mem-tables");
            Assert.True(current < flushedBytes, $"after the flush: {current}");
            Assert.Equal(current + flushedBytes, Int(db, "rocksdb.size-all-mem-tables")); // the iterator still pins the flushed one
            iterator.SeekToFirst();
            Assert.True(iterator.Valid);
        }

        Assert.Equal(Int(db, "rocksdb.cur-size-all-mem-tables"), Int(db, "rocksdb.size-all-mem-tables"));
    }

    [Fact]
    public void NumFilesAtLevel_CountsEachLevel_NullPastTheLast()
    {
        using LsmDb db = Open();
        db.Put("a"u8, "1"u8);
        db.Flush();
        db.Put("b"u8, "2"u8);
        db.Flush();
        Assert.Equal(2, Int(db, "rocksdb.num-files-at-level0"));
        Assert.Equal(0, Int(db, "rocksdb.num-files-at-level1"));

        db.CompactRange();
        Assert.Equal(0, Int(db, "rocksdb.num-files-at-level0"));
        Assert.Equal(1, Int(db, "rocksdb.num-files-at-level6"));
        Assert.Null(db.GetProperty("rocksdb.num-files-at-level7"));
        Assert.False(db.TryGetIntProperty("rocksdb.num-files-at-level7", out _));
        Assert.False(db.TryGetIntProperty("rocksdb.stats", out _)); // text only
        Assert.Equal(Int(db, "rocksdb.total-sst-files-size"), Int(db, "rocksdb.live-sst-files-size"));
    }

    [Fact]
    public void BlockCacheProperties_DefaultCache_CapacityAndUsage()
    {
        using LsmDb db = Open();
        Assert.Equal(TableOptions.DefaultBlockCacheCapacity, Int(db, "rocksdb.block-cache-capacity"));
        Assert.Equal(0, Int(db, "rocksdb.block-cache-usage"));
        Assert.Equal(0, Int(db, "rocksdb.block-cache-pinned-usage"));
    }

    [Fact]
    public void BlockCacheProperties_NoBlockCache_AreAbsent()
    {
        using LsmDb db = Open(new TableOptions { NoBlockCache = true });
        foreach (string name in new[] { "rocksdb.block-cache-capacity", "rocksdb.block-cache-usage", "rocksdb.block-cache-pinned-usage" })
        {
            Assert.Null(db.GetProperty(name));
            Assert.False(db.TryGetIntProperty(name, out long value));
            Assert.Equal(0, value);
        }
    }
}
