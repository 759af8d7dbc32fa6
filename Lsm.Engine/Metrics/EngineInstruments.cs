using System.Diagnostics.Metrics;
using System.Globalization;
using Lsm.Engine.Db;

namespace Lsm.Engine.Metrics;

/// <summary>
/// The instruments of <see cref="EngineMeter"/>, named after OpenTelemetry's conventions (dotted lower-case names,
/// UCUM units, <c>{thing}</c> for counts): observable counters for the statistics tickers, observable gauges for the
/// properties. Every measurement carries the tag <c>db</c> (the database directory); per-family figures add
/// <c>column_family</c>, per-level ones <c>level</c>, block cache lookups <c>block_type</c>. docs/metrics.md is the
/// reference table; keep it in step.
/// </summary>
/// <remarks>
/// Callbacks run on the collecting thread, read each database through its own locks, skip a database disposed
/// meanwhile, and never throw. A block cache shared by several families or databases shows whole in each.
/// </remarks>
internal static class EngineInstruments
{
    /// <summary>The tag naming the database: its directory.</summary>
    public const string DbTag = "db";

    /// <summary>The tag naming the column family.</summary>
    public const string ColumnFamilyTag = "column_family";

    /// <summary>The tag naming the level of per-level figures.</summary>
    public const string LevelTag = "level";

    /// <summary>The tag naming the kind of block of block cache lookups: data, index, filter, other.</summary>
    public const string BlockTypeTag = "block_type";

    public static void Create(Meter meter)
    {
        // Reads and writes (statistics tickers).
        TickerCounter(meter, "lsm.db.keys.written", "{key}", "Entries written (rocksdb.number.keys.written).", Ticker.NumberKeysWritten);
        TickerCounter(meter, "lsm.db.bytes.written", "By", "Bytes of write batches committed (rocksdb.bytes.written).", Ticker.BytesWritten);
        TickerCounter(meter, "lsm.db.keys.read", "{key}", "Point lookups (rocksdb.number.keys.read).", Ticker.NumberKeysRead);
        TickerCounter(meter, "lsm.db.bytes.read", "By", "Bytes of values point lookups returned (rocksdb.bytes.read).", Ticker.BytesRead);
        TickerCounter(meter, "lsm.memtable.hits", "{lookup}", "Point lookups a memtable answered (rocksdb.memtable.hit).", Ticker.MemtableHit);
        TickerCounter(meter, "lsm.memtable.misses", "{lookup}", "Point lookups that went past the memtables (rocksdb.memtable.miss).", Ticker.MemtableMiss);
        TickerCounter(meter, "lsm.get.tables.probed", "{table}", "Tables whose key range held a point lookup's key (lsm.get.tables.probed).", Ticker.GetTablesProbed);
        TickerCounter(meter, "lsm.get.tables.read", "{table}", "Tables whose blocks a point lookup read (lsm.get.tables.read).", Ticker.GetTablesRead);
        TickerCounter(meter, "lsm.bloom_filter.useful", "{lookup}", "Table probes a filter ruled out (rocksdb.bloom.filter.useful).", Ticker.BloomFilterUseful);
        TickerCounter(meter, "lsm.bloom_filter.positives", "{lookup}", "Table probes a filter let through (rocksdb.bloom.filter.full.positive).", Ticker.BloomFilterFullPositive);
        TickerCounter(meter, "lsm.bloom_filter.true_positives", "{lookup}", "Of those, probes that found the key (rocksdb.bloom.filter.full.true.positive).", Ticker.BloomFilterFullTruePositive);

        // Block cache (tickers).
        BlockCacheLookups(meter, "lsm.block_cache.hits", "{hit}", "Block cache hits (rocksdb.block.cache.hit and .data/.index/.filter).", Ticker.BlockCacheHit, Ticker.BlockCacheDataHit, Ticker.BlockCacheIndexHit, Ticker.BlockCacheFilterHit);
        BlockCacheLookups(meter, "lsm.block_cache.misses", "{miss}", "Block cache misses (rocksdb.block.cache.miss and .data/.index/.filter).", Ticker.BlockCacheMiss, Ticker.BlockCacheDataMiss, Ticker.BlockCacheIndexMiss, Ticker.BlockCacheFilterMiss);
        TickerCounter(meter, "lsm.block_cache.inserts", "{block}", "Blocks inserted into the block cache (rocksdb.block.cache.add).", Ticker.BlockCacheAdd);
        TickerCounter(meter, "lsm.block_cache.insert_failures", "{block}", "Inserts a strict-capacity cache refused (rocksdb.block.cache.add.failures).", Ticker.BlockCacheAddFailures);
        TickerCounter(meter, "lsm.block_cache.bytes_read", "By", "Bytes of blocks served from the cache (rocksdb.block.cache.bytes.read).", Ticker.BlockCacheBytesRead);
        TickerCounter(meter, "lsm.block_cache.bytes_written", "By", "Bytes of blocks inserted into the cache (rocksdb.block.cache.bytes.write).", Ticker.BlockCacheBytesWrite);
        TickerCounter(meter, "lsm.table.bytes_read", "By", "Bytes read from table files (lsm.table.bytes.read).", Ticker.TableBytesRead);

        // Background work (tickers derived from the compaction statistics and the write controller).
        TickerCounter(meter, "lsm.flush.bytes_written", "By", "Bytes of tables flushes wrote (rocksdb.flush.write.bytes).", Ticker.FlushWriteBytes);
        TickerCounter(meter, "lsm.compaction.bytes_read", "By", "Bytes of tables compactions read (rocksdb.compact.read.bytes).", Ticker.CompactReadBytes);
        TickerCounter(meter, "lsm.compaction.bytes_written", "By", "Bytes of tables compactions wrote (rocksdb.compact.write.bytes).", Ticker.CompactWriteBytes);
        TickerCounter(meter, "lsm.write.stall.time", "us", "Time writers were delayed or stopped (rocksdb.stall.micros).", Ticker.StallMicros);
        DatabaseProperty(meter, counter: true, "lsm.background.errors", "{error}", "Background errors since the open (rocksdb.background-errors).", "rocksdb.background-errors");

        // Per column family (properties).
        FamilyProperty(meter, "lsm.memtable.size", "By", "Memtable memory: active, unflushed and flushed-but-pinned memtables (rocksdb.size-all-mem-tables).", "rocksdb.size-all-mem-tables");
        FamilyProperty(meter, "lsm.memtable.unflushed.size", "By", "Active and unflushed immutable memtables (rocksdb.cur-size-all-mem-tables).", "rocksdb.cur-size-all-mem-tables");
        FamilyProperty(meter, "lsm.memtable.immutable.count", "{memtable}", "Immutable memtables awaiting flush (rocksdb.num-immutable-mem-table).", "rocksdb.num-immutable-mem-table");
        FamilyProperty(meter, "lsm.sst.size", "By", "Bytes of the live table files (rocksdb.live-sst-files-size).", "rocksdb.live-sst-files-size");
        FamilyProperty(meter, "lsm.compaction.pending.size", "By", "Bytes compaction must rewrite to bring every level under its target (rocksdb.estimate-pending-compaction-bytes).", "rocksdb.estimate-pending-compaction-bytes");
        FamilyProperty(meter, "lsm.block_cache.capacity", "By", "Capacity of the family's block cache (rocksdb.block-cache-capacity).", "rocksdb.block-cache-capacity");
        FamilyProperty(meter, "lsm.block_cache.usage", "By", "Bytes in the family's block cache (rocksdb.block-cache-usage).", "rocksdb.block-cache-usage");
        FamilyProperty(meter, "lsm.block_cache.pinned_usage", "By", "Bytes of blocks in use by readers (rocksdb.block-cache-pinned-usage).", "rocksdb.block-cache-pinned-usage");
        meter.CreateObservableGauge("lsm.sst.files", ObserveLevelFiles, "{file}", "Table files per level (rocksdb.num-files-at-level<N>), tagged level.");

        // Whole database (properties).
        DatabaseProperty(meter, counter: false, "lsm.flush.running", "{flush}", "Flushes running (rocksdb.num-running-flushes).", "rocksdb.num-running-flushes");
        DatabaseProperty(meter, counter: false, "lsm.compaction.running", "{compaction}", "Compactions running (rocksdb.num-running-compactions).", "rocksdb.num-running-compactions");
        DatabaseProperty(meter, counter: false, "lsm.write.stopped", "1", "1 while writes are stopped by a stall (rocksdb.is-write-stopped).", "rocksdb.is-write-stopped");
        DatabaseProperty(meter, counter: false, "lsm.write.delayed_rate", "By/s", "The rate writes are held to while delayed, 0 when not (rocksdb.actual-delayed-write-rate).", "rocksdb.actual-delayed-write-rate");
        DatabaseProperty(meter, counter: false, "lsm.write_buffer_manager.usage", "By", "Memtable memory charged to the database's write buffer manager, shared with whatever else uses it (lsm.write-buffer-manager-usage).", "lsm.write-buffer-manager-usage");
        DatabaseProperty(meter, counter: true, "lsm.write_buffer_manager.flushes", "{flush}", "Memtables this database switched early because its write buffer manager was full (lsm.write-buffer-manager-flushes).", "lsm.write-buffer-manager-flushes");
        DatabaseProperty(meter, counter: false, "lsm.snapshots", "{snapshot}", "Snapshots held (rocksdb.num-snapshots).", "rocksdb.num-snapshots");
    }

    private static void TickerCounter(Meter meter, string name, string unit, string description, Ticker ticker) =>
        meter.CreateObservableCounter(name, () => ObserveTicker(ticker), unit, description);

    private static void BlockCacheLookups(Meter meter, string name, string unit, string description, Ticker total, Ticker data, Ticker index, Ticker filter) =>
        meter.CreateObservableCounter(name, () => ObserveBlockCacheLookups(total, data, index, filter), unit, description);

    private static void FamilyProperty(Meter meter, string name, string unit, string description, string property) =>
        meter.CreateObservableGauge(name, () => ObserveFamilies(property), unit, description);

    private static void DatabaseProperty(Meter meter, bool counter, string name, string unit, string description, string property)
    {
        if (counter)
        {
            meter.CreateObservableCounter(name, () => ObserveDatabases(property), unit, description);
        }
        else
        {
            meter.CreateObservableGauge(name, () => ObserveDatabases(property), unit, description);
        }
    }

    private static List<Measurement<long>> ObserveTicker(Ticker ticker)
    {
        var measurements = new List<Measurement<long>>();
        foreach (LsmDb db in EngineMeter.Databases())
        {
            if (db.TryReadTicker(ticker, out long count))
            {
                measurements.Add(new Measurement<long>(count, Tag(DbTag, db.Path)));
            }
        }

        return measurements;
    }

    /// <summary>Lookups by block type; <c>other</c> is what the total counts beyond data, index and filter blocks.</summary>
    private static List<Measurement<long>> ObserveBlockCacheLookups(Ticker total, Ticker data, Ticker index, Ticker filter)
    {
        var measurements = new List<Measurement<long>>();
        foreach (LsmDb db in EngineMeter.Databases())
        {
            if (db.TryReadTicker(total, out long all) && db.TryReadTicker(data, out long dataCount)
                && db.TryReadTicker(index, out long indexCount) && db.TryReadTicker(filter, out long filterCount))
            {
                measurements.Add(new Measurement<long>(dataCount, Tag(DbTag, db.Path), Tag(BlockTypeTag, "data")));
                measurements.Add(new Measurement<long>(indexCount, Tag(DbTag, db.Path), Tag(BlockTypeTag, "index")));
                measurements.Add(new Measurement<long>(filterCount, Tag(DbTag, db.Path), Tag(BlockTypeTag, "filter")));
                measurements.Add(new Measurement<long>(Math.Max(0, all - dataCount - indexCount - filterCount), Tag(DbTag, db.Path), Tag(BlockTypeTag, "other")));
            }
        }

        return measurements;
    }

    private static List<Measurement<long>> ObserveFamilies(string property)
    {
        var measurements = new List<Measurement<long>>();
        foreach (LsmDb db in EngineMeter.Databases())
        {
            foreach (ColumnFamilyHandle family in db.LiveColumnFamilies())
            {
                if (db.TryReadIntProperty(property, family, out long value))
                {
                    measurements.Add(new Measurement<long>(value, Tag(DbTag, db.Path), Tag(ColumnFamilyTag, family.Name)));
                }
            }
        }

        return measurements;
    }

    private static List<Measurement<long>> ObserveLevelFiles()
    {
        var measurements = new List<Measurement<long>>();
        foreach (LsmDb db in EngineMeter.Databases())
        {
            foreach (ColumnFamilyHandle family in db.LiveColumnFamilies())
            {
                // Every level the family has: the property is unknown past the last one.
                for (int level = 0; db.TryReadIntProperty(LsmDb.LevelFilesPrefix + level.ToString(CultureInfo.InvariantCulture), family, out long files); level++)
                {
                    measurements.Add(new Measurement<long>(files, Tag(DbTag, db.Path), Tag(ColumnFamilyTag, family.Name), Tag(LevelTag, level)));
                }
            }
        }

        return measurements;
    }

    private static List<Measurement<long>> ObserveDatabases(string property)
    {
        var measurements = new List<Measurement<long>>();
        foreach (LsmDb db in EngineMeter.Databases())
        {
            if (db.TryReadIntProperty(property, columnFamily: null, out long value))
            {
                measurements.Add(new Measurement<long>(value, Tag(DbTag, db.Path)));
            }
        }

        return measurements;
    }

    private static KeyValuePair<string, object?> Tag(string key, object value) => new(key, value);
}
