using BenchmarkDotNet.Attributes;
using Lsm.Engine.Cache;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The block cache's two paths on a 64 MiB cache (64 shards) of 4 KiB blocks, on 1 and 2 threads, under each policy:
/// a hit (lookup, reference, release) over 8,192 cached blocks, and a miss that allocates a block, inserts it
/// (evicting a block of its shard, the cache being full) and releases it.
/// </summary>
/// <remarks>
/// Each invocation runs 65,536 operations split over the threads, so a time per operation is wall time over all of
/// them: perfect scaling halves it with 2 threads (<see cref="BenchThreads"/>). Hits and misses use separate caches, so the misses' evictions never touch the blocks hits look up.
/// </remarks>
[MemoryDiagnoser]
public class BlockCacheBenchmarks
{
    private const int Blocks = 8192;
    private const int BlockLength = 4096;
    private const int OpsPerThread = 1 << 16;

    private BlockCache _cache = null!;
    private BlockCache _missCache = null!;
    private ulong[] _offsets = [];
    private BenchThreads _threads = null!;
    private volatile int _mode;
    private readonly ulong[] _nextMissOffset = new ulong[2];

    [Params(BlockCachePolicy.Lru, BlockCachePolicy.Clock)]
    public BlockCachePolicy Policy { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new BlockCacheOptions { Capacity = 64L << 20, Policy = Policy };
        _cache = new BlockCache(options);
        var random = new Random(5);
        _offsets = new ulong[OpsPerThread];
        for (int i = 0; i < _offsets.Length; i++)
        {
            _offsets[i] = (ulong)random.Next(Blocks) * BlockLength;
        }

        for (int i = 0; i < Blocks; i++)
        {
            NativeBlock block = _cache.Allocate(BlockLength);
            block.Span.Fill((byte)i);
            _cache.Release(_cache.Insert(1, (ulong)i * BlockLength, BlockKind.Data, CachePriority.Low, block));
        }

        // Fill the miss cache past its capacity so that every insert evicts from the start.
        _missCache = new BlockCache(options);
        for (int t = 0; t < 2; t++)
        {
            Miss(t, 8192);
        }

        _threads = new BenchThreads(Threads, thread => _mode == 0 ? Hits(thread, OpsPerThread / Threads) : Miss(thread, OpsPerThread / Threads));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _threads.Dispose();
        _cache.Dispose();
        _missCache.Dispose();
    }

    /// <summary>TryGet that hits, then Release.</summary>
    [Benchmark(OperationsPerInvoke = OpsPerThread)]
    public long HitLookupRelease() => Run(mode: 0);

    /// <summary>TryGet that misses, Allocate, Insert (evicting one block), Release.</summary>
    [Benchmark(OperationsPerInvoke = OpsPerThread)]
    public long MissAllocateInsertRelease() => Run(mode: 1);

    private long Run(int mode)
    {
        _mode = mode;
        return _threads.Run();
    }

    private long Hits(int thread, int ops)
    {
        BlockCache cache = _cache;
        ulong[] offsets = _offsets;
        long sum = 0;
        int start = thread * (offsets.Length / 2);
        for (int i = 0; i < ops; i++)
        {
            ulong offset = offsets[(start + i) & (offsets.Length - 1)];
            if (cache.TryGet(1, offset, BlockKind.Data, out CacheHandle handle))
            {
                sum += handle.Length;
                cache.Release(handle);
            }
        }

        return sum;
    }

    private long Miss(int thread, int ops)
    {
        BlockCache cache = _missCache;
        ulong table = 100 + (ulong)thread;
        ulong offset = _nextMissOffset[thread];
        long sum = 0;
        for (int i = 0; i < ops; i++, offset += BlockLength)
        {
            if (!cache.TryGet(table, offset, BlockKind.Data, out CacheHandle handle))
            {
                NativeBlock block = cache.Allocate(BlockLength);
                block.Span[0] = (byte)i;
                handle = cache.Insert(table, offset, BlockKind.Data, CachePriority.Low, block);
            }

            sum += handle.Length;
            cache.Release(handle);
        }

        _nextMissOffset[thread] = offset;
        return sum;
    }
}
