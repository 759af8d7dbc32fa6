namespace Lsm.Engine.Db;

/// <summary>The RocksDB statistics name of each <see cref="Ticker"/>, and the reverse lookup.</summary>
internal static class TickerNames
{
    private static readonly string[] Names = Build();
    private static readonly Dictionary<string, Ticker> ByName = Enumerable.Range(0, Names.Length).ToDictionary(i => Names[i], i => (Ticker)i, StringComparer.Ordinal);

    /// <summary>How many tickers there are.</summary>
    public static int Count => Names.Length;

    /// <summary>Every ticker, in enum order.</summary>
    public static IEnumerable<Ticker> All => Enum.GetValues<Ticker>();

    /// <summary>The ticker's RocksDB name.</summary>
    public static string Name(Ticker ticker) => Names[(int)ticker];

    /// <summary>The ticker with a RocksDB name.</summary>
    public static bool TryParse(string name, out Ticker ticker) => ByName.TryGetValue(name, out ticker);

    private static string[] Build()
    {
        var names = new string[Enum.GetValues<Ticker>().Length];
        names[(int)Ticker.BlockCacheMiss] = "rocksdb.block.cache.miss";
        names[(int)Ticker.BlockCacheHit] = "rocksdb.block.cache.hit";
        names[(int)Ticker.BlockCacheAdd] = "rocksdb.block.cache.add";
        names[(int)Ticker.BlockCacheAddFailures] = "rocksdb.block.cache.add.failures";
        names[(int)Ticker.BlockCacheIndexMiss] = "rocksdb.block.cache.index.miss";
        names[(int)Ticker.BlockCacheIndexHit] = "rocksdb.block.cache.index.hit";
        names[(int)Ticker.BlockCacheFilterMiss] = "rocksdb.block.cache.filter.miss";
        names[(int)Ticker.BlockCacheFilterHit] = "rocksdb.block.cache.filter.hit";
        names[(int)Ticker.BlockCacheDataMiss] = "rocksdb.block.cache.data.miss";
        names[(int)Ticker.BlockCacheDataHit] = "rocksdb.block.cache.data.hit";
        names[(int)Ticker.BlockCacheBytesRead] = "rocksdb.block.cache.bytes.read";
        names[(int)Ticker.BlockCacheBytesWrite] = "rocksdb.block.cache.bytes.write";
        names[(int)Ticker.BloomFilterUseful] = "rocksdb.bloom.filter.useful";
        names[(int)Ticker.BloomFilterFullPositive] = "rocksdb.bloom.filter.full.positive";
        names[(int)Ticker.BloomFilterFullTruePositive] = "rocksdb.bloom.filter.full.true.positive";
        names[(int)Ticker.NumberKeysWritten] = "rocksdb.number.keys.written";
        names[(int)Ticker.NumberKeysRead] = "rocksdb.number.keys.read";
        names[(int)Ticker.BytesWritten] = "rocksdb.bytes.written";
        names[(int)Ticker.BytesRead] = "rocksdb.bytes.read";
        names[(int)Ticker.StallMicros] = "rocksdb.stall.micros";
        names[(int)Ticker.MemtableHit] = "rocksdb.memtable.hit";
        names[(int)Ticker.MemtableMiss] = "rocksdb.memtable.miss";
        names[(int)Ticker.CompactReadBytes] = "rocksdb.compact.read.bytes";
        names[(int)Ticker.CompactWriteBytes] = "rocksdb.compact.write.bytes";
        names[(int)Ticker.FlushWriteBytes] = "rocksdb.flush.write.bytes";
        names[(int)Ticker.TableBytesRead] = "lsm.table.bytes.read";
        names[(int)Ticker.GetTablesProbed] = "lsm.get.tables.probed";
        names[(int)Ticker.GetTablesRead] = "lsm.get.tables.read";
        return Array.IndexOf(names, null) is int missing && missing >= 0
            ? throw new InvalidOperationException($"ticker {(Ticker)missing} has no name")
            : names;
    }
}
