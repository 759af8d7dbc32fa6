using static System.FormattableString;

namespace Lsm.Engine.Bench.Db;

/// <summary>
/// An engine's cumulative counters at one moment, from which the amplification of a workload is the difference of
/// two readings. Ours come from <see cref="LsmDb.GetStatistics"/>; RocksDB's from its statistics tickers
/// (<c>rocksdb.bytes.written</c>, <c>rocksdb.flush.write.bytes</c>, <c>rocksdb.compact.write.bytes</c>,
/// <c>rocksdb.wal.bytes</c>, <c>rocksdb.stall.micros</c>, <c>rocksdb.number.keys.read</c>, the Bloom filter tickers)
/// and the <c>rocksdb.live-sst-files-size</c> and <c>rocksdb.estimate-live-data-size</c> properties.
/// </summary>
/// <param name="UserBytes">Bytes of write batches committed.</param>
/// <param name="FlushBytes">Bytes of tables flushes wrote.</param>
/// <param name="CompactionBytes">Bytes of tables compactions wrote.</param>
/// <param name="WalBytes">Bytes written to the write-ahead log.</param>
/// <param name="StallMicros">Microseconds writers spent stalled.</param>
/// <param name="Gets">Point lookups.</param>
/// <param name="TablesProbed">Tables the lookups consulted (a filter probe at least); -1 when the engine does not say.</param>
/// <param name="SstBytes">Bytes of live tables now.</param>
/// <param name="LiveDataBytes">The engine's estimate of live data bytes now.</param>
/// <param name="Cache">The block cache tickers.</param>
/// <param name="CacheUsageBytes">Bytes in the block cache now (<c>rocksdb.block-cache-usage</c>; 0 without a cache).</param>
internal readonly record struct EngineCounters(
    long UserBytes,
    long FlushBytes,
    long CompactionBytes,
    long WalBytes,
    long StallMicros,
    long Gets,
    long TablesProbed,
    long SstBytes,
    long LiveDataBytes,
    CacheTickers Cache,
    long CacheUsageBytes);

/// <summary>
/// The block cache tickers, which both engines name alike (<c>rocksdb.block.cache.hit</c>, <c>.miss</c>, and the
/// <c>.data</c>, <c>.index</c> and <c>.filter</c> ones): every lookup of a block in the cache is a hit or a miss.
/// </summary>
internal readonly record struct CacheTickers(
    long Hits, long Misses, long DataHits, long DataMisses, long IndexHits, long IndexMisses, long FilterHits, long FilterMisses)
{
    /// <summary>The tickers read through <paramref name="ticker"/>, which maps a RocksDB ticker name to its count.</summary>
    public static CacheTickers Read(Func<string, long> ticker) => new(
        ticker("rocksdb.block.cache.hit"),
        ticker("rocksdb.block.cache.miss"),
        ticker("rocksdb.block.cache.data.hit"),
        ticker("rocksdb.block.cache.data.miss"),
        ticker("rocksdb.block.cache.index.hit"),
        ticker("rocksdb.block.cache.index.miss"),
        ticker("rocksdb.block.cache.filter.hit"),
        ticker("rocksdb.block.cache.filter.miss"));
}

/// <summary>What the block cache did during one workload: hit ratios are NaN (n/a) where there was no lookup.</summary>
/// <param name="Lookups">Blocks looked up in the cache (hits + misses).</param>
/// <param name="HitRatio">Hits / lookups, all blocks.</param>
/// <param name="DataHitRatio">Hits / lookups of data blocks.</param>
/// <param name="IndexHitRatio">Hits / lookups of index blocks (none unless index and filter blocks are cached).</param>
/// <param name="FilterHitRatio">Hits / lookups of filter blocks (likewise).</param>
/// <param name="UsageBytes">Bytes in the cache at the end of the workload.</param>
internal sealed record CacheFigures(long Lookups, double HitRatio, double DataHitRatio, double IndexHitRatio, double FilterHitRatio, long UsageBytes)
{
    /// <summary>The workload's figures from the readings before and after it.</summary>
    public static CacheFigures Between(EngineCounters before, EngineCounters after)
    {
        CacheTickers b = before.Cache;
        CacheTickers a = after.Cache;
        return new CacheFigures(
            a.Hits - b.Hits + a.Misses - b.Misses,
            Ratio(a.Hits - b.Hits, a.Misses - b.Misses),
            Ratio(a.DataHits - b.DataHits, a.DataMisses - b.DataMisses),
            Ratio(a.IndexHits - b.IndexHits, a.IndexMisses - b.IndexMisses),
            Ratio(a.FilterHits - b.FilterHits, a.FilterMisses - b.FilterMisses),
            after.CacheUsageBytes);
    }

    /// <summary>A ratio as a percentage with one decimal, or <c>n/a</c>.</summary>
    public static string Percent(double ratio) => double.IsNaN(ratio) ? "n/a" : Invariant($"{100 * ratio:0.0}%");

    private static double Ratio(long hits, long misses) => hits + misses > 0 ? (double)hits / (hits + misses) : double.NaN;
}

/// <summary>What one workload cost beyond its user data: NaN where there is nothing to measure (n/a).</summary>
/// <param name="StallSeconds">Time writers spent stalled during the workload.</param>
/// <param name="WriteAmplification">(flushed + compacted bytes) / user bytes written by the workload.</param>
/// <param name="WriteAmplificationWithWal">The same with the log's bytes.</param>
/// <param name="SpaceAmplification">Table bytes / estimated live data bytes, once the workload's background work is done.</param>
/// <param name="ReadAmplification">Tables consulted per Get during the workload.</param>
internal sealed record Amplification(double StallSeconds, double WriteAmplification, double WriteAmplificationWithWal, double SpaceAmplification, double ReadAmplification)
{
    /// <summary>The workload's figures from the readings before it and after its background work finished.</summary>
    public static Amplification Between(EngineCounters before, EngineCounters after)
    {
        long user = after.UserBytes - before.UserBytes;
        long written = after.FlushBytes - before.FlushBytes + after.CompactionBytes - before.CompactionBytes;
        long gets = after.Gets - before.Gets;
        return new Amplification(
            (after.StallMicros - before.StallMicros) / 1e6,
            user > 0 ? (double)written / user : double.NaN,
            user > 0 ? (double)(written + after.WalBytes - before.WalBytes) / user : double.NaN,
            after.LiveDataBytes > 0 ? (double)after.SstBytes / after.LiveDataBytes : double.NaN,
            gets > 0 && after.TablesProbed >= 0 ? (double)(after.TablesProbed - before.TablesProbed) / gets : double.NaN);
    }

    /// <summary>A figure with two decimals, or <c>n/a</c>.</summary>
    public static string Format(double value) => double.IsNaN(value) ? "n/a" : Invariant($"{value:0.00}");
}
