using BenchmarkDotNet.Attributes;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Random point lookups (<see cref="LsmDb.TryGet"/>) in a database of 1,000,000 keys with 100-byte values compacted
/// into tables, through a block cache of each policy that holds all the data blocks (<c>CacheShare</c> 1) or a tenth of
/// them (<c>CacheShare</c> 10), on 1 and 2 threads: the cache's lookup and release on the whole read path.
/// </summary>
/// <remarks>
/// The database is built once under the temp directory and reused by later runs. Each setup opens it with a new
/// cache of 1 GiB, reads every key once, measures the data blocks' charge D (the cache's usage), sets the capacity
/// to D / <c>CacheShare</c> (D + 1/16 for 1) and reads 65,536 random keys to warm it; the hit ratio over the measured
/// lookups is printed at cleanup. Each invocation runs 65,536 lookups split over the threads (<see cref="BenchThreads"/>).
/// </remarks>
[MemoryDiagnoser]
public class CachedGetBenchmarks
{
    private const int Keys = 1_000_000;
    private const int OpsPerThread = 1 << 16;

    private LsmDb _db = null!;
    private BlockCache _cache = null!;
    private BenchThreads _threads = null!;
    private int[] _keys = [];
    private BlockCacheStatistics _before = null!;

    [Params(BlockCachePolicy.Lru, BlockCachePolicy.Clock)]
    public BlockCachePolicy Policy { get; set; }

    [Params(1, 10)]
    public int CacheShare { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string path = BuildOnce();
        _cache = new BlockCache(new BlockCacheOptions { Capacity = 1L << 30, Policy = Policy });
        _db = LsmDb.Open(path, Options(_cache));
        Lookups(Enumerable.Range(0, Keys).ToArray(), 0, Keys);
        long dataCharge = _cache.Usage;
        _cache.SetCapacity(CacheShare == 1 ? dataCharge + (dataCharge / 16) : dataCharge / CacheShare);
        var random = new Random(7);
        _keys = [.. Enumerable.Range(0, OpsPerThread).Select(_ => random.Next(Keys))];
        Lookups([.. Enumerable.Range(0, OpsPerThread).Select(_ => random.Next(Keys))], 0, OpsPerThread);
        _before = _cache.GetStatistics();
        Console.WriteLine($"// data blocks charge {dataCharge >> 20} MiB, cache capacity {_cache.Capacity >> 20} MiB");
        _threads = new BenchThreads(Threads, thread => Lookups(_keys, thread * (OpsPerThread / 2), OpsPerThread / Threads));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        BlockCacheStatistics after = _cache.GetStatistics();
        long hits = after.Hits - _before.Hits;
        long misses = after.Misses - _before.Misses;
        Console.WriteLine($"// {Policy} share 1/{CacheShare}, {Threads} thread(s): hit ratio {hits / (double)Math.Max(1, hits + misses):P2} over {hits + misses} lookups");
        _threads.Dispose();
        _db.Dispose();
        _cache.Dispose();
    }

    /// <summary>One random TryGet of a present key.</summary>
    [Benchmark(OperationsPerInvoke = OpsPerThread)]
    public long Get() => _threads.Run();

    private static DbOptions Options(BlockCache? cache) => new()
    {
        CreateIfMissing = true,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions
        {
            WriteBufferSize = 64L << 20,
            Table = new TableOptions { BlockSize = 4096, BloomBitsPerKey = 10, Compression = CompressionType.Lz4, BlockCache = cache },
        },
    };

    /// <summary>The database's directory, filled and compacted by the first run.</summary>
    private static string BuildOnce()
    {
        string path = Path.Combine(Path.GetTempPath(), "lsm-bench-cached-get-1m");
        string done = Path.Combine(path, "BUILT");
        if (File.Exists(done))
        {
            return path;
        }

        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        byte[] pool = BenchData.ValuePool(seed: 3);
        byte[] key = new byte[BenchData.KeyLength];
        var noWal = new WriteOptions { DisableWal = true };
        using (LsmDb db = LsmDb.Open(path, Options(cache: null)))
        {
            for (int i = 0; i < Keys; i++)
            {
                BenchData.FormatKey(key, i);
                db.Put(null, key, BenchData.ValueOf(pool, i), noWal);
            }

            db.Flush();
            db.CompactRange();
            db.WaitForCompactions();
        }

        File.WriteAllText(done, "1");
        return path;
    }

    private long Lookups(int[] keys, int start, int count)
    {
        LsmDb db = _db;
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        Span<byte> value = stackalloc byte[BenchData.ValueLength];
        long sum = 0;
        for (int i = 0; i < count; i++)
        {
            BenchData.FormatKey(key, keys[(start + i) % keys.Length]);
            if (!db.TryGet(key, value, out int length))
            {
                throw new InvalidOperationException("A present key was not found.");
            }

            sum += length;
        }

        return sum;
    }
}
