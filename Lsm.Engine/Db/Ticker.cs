namespace Lsm.Engine.Db;

/// <summary>
/// The database's event counters, each named as RocksDB's statistics ticker it matches (<see cref="TickerNames"/>).
/// Counted per database in <see cref="Tickers"/>.
/// </summary>
internal enum Ticker
{
    /// <summary><c>rocksdb.block.cache.miss</c>: block lookups that missed the cache (every kind).</summary>
    BlockCacheMiss,

    /// <summary><c>rocksdb.block.cache.hit</c>: block lookups that hit (every kind).</summary>
    BlockCacheHit,

    /// <summary><c>rocksdb.block.cache.add</c>: blocks inserted.</summary>
    BlockCacheAdd,

    /// <summary><c>rocksdb.block.cache.add.failures</c>: inserts refused (strict capacity).</summary>
    BlockCacheAddFailures,

    /// <summary><c>rocksdb.block.cache.index.miss</c>.</summary>
    BlockCacheIndexMiss,

    /// <summary><c>rocksdb.block.cache.index.hit</c>.</summary>
    BlockCacheIndexHit,

    /// <summary><c>rocksdb.block.cache.filter.miss</c>.</summary>
    BlockCacheFilterMiss,

    /// <summary><c>rocksdb.block.cache.filter.hit</c>.</summary>
    BlockCacheFilterHit,

    /// <summary><c>rocksdb.block.cache.data.miss</c>.</summary>
    BlockCacheDataMiss,

    /// <summary><c>rocksdb.block.cache.data.hit</c>.</summary>
    BlockCacheDataHit,

    /// <summary><c>rocksdb.block.cache.bytes.read</c>: bytes of blocks served from the cache.</summary>
    BlockCacheBytesRead,

    /// <summary><c>rocksdb.block.cache.bytes.write</c>: bytes of blocks inserted.</summary>
    BlockCacheBytesWrite,

    /// <summary><c>rocksdb.bloom.filter.useful</c>: lookups a filter ruled out (no block read).</summary>
    BloomFilterUseful,

    /// <summary><c>rocksdb.bloom.filter.full.positive</c>: lookups a full filter let through.</summary>
    BloomFilterFullPositive,

    /// <summary><c>rocksdb.bloom.filter.full.true.positive</c>: of those, lookups that found the key.</summary>
    BloomFilterFullTruePositive,

    /// <summary><c>rocksdb.number.keys.written</c>.</summary>
    NumberKeysWritten,

    /// <summary><c>rocksdb.number.keys.read</c>: point lookups.</summary>
    NumberKeysRead,

    /// <summary><c>rocksdb.bytes.written</c>: bytes of user data written.</summary>
    BytesWritten,

    /// <summary><c>rocksdb.bytes.read</c>: bytes of values returned by point lookups.</summary>
    BytesRead,

    /// <summary><c>rocksdb.stall.micros</c>: time writers were delayed or stopped, in microseconds.</summary>
    StallMicros,

    /// <summary><c>rocksdb.memtable.hit</c>: lookups answered by a memtable.</summary>
    MemtableHit,

    /// <summary><c>rocksdb.memtable.miss</c>.</summary>
    MemtableMiss,

    /// <summary><c>rocksdb.compact.read.bytes</c>.</summary>
    CompactReadBytes,

    /// <summary><c>rocksdb.compact.write.bytes</c>.</summary>
    CompactWriteBytes,

    /// <summary><c>rocksdb.flush.write.bytes</c>.</summary>
    FlushWriteBytes,

    /// <summary><c>lsm.table.bytes.read</c>: bytes read from table files (blocks and their trailers).</summary>
    TableBytesRead,

    /// <summary><c>lsm.get.tables.probed</c>: tables whose key range held a point lookup's key (a filter probe at least).</summary>
    GetTablesProbed,

    /// <summary><c>lsm.get.tables.read</c>: of those, tables whose blocks the lookup read (no filter, or it let the key through).</summary>
    GetTablesRead,
}
