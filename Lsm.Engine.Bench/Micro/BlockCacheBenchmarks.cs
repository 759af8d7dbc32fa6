using BenchmarkDotNet.Attributes;
using Lsm.Engine.Cache;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The block cache's two paths on a 64 MiB cache (64 shards) of 4 KiB blocks, on 1 and 2 threads: a hit (lookup,
/// reference, release) over 8,192 cached blocks, and a miss that allocates a block, inserts it (evicting the oldest
/// block of its shard, the cache being full) and releases it.
/// </summary>
/// <remarks>
/// Each invocation runs 65,536 operations split over the threads, so a time per operation is wall time over all of
/// them: perfect scaling halves it with 2 threads. The second thread is started once and woken by a barrier per
/// invocation. Hits and misses use separate caches, so the misses' evictions never touch the blocks hits look up.
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
    private Thread? _worker;
    private Barrier? _barrier;
    private volatile bool _stop;
    private volatile int _mode;
    private readonly ulong[] _nextMissOffset = new ulong[2];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _cache = new BlockCache(64L << 20);
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
        _missCache = new BlockCache(64L << 20);
        for (int t = 0; t < 2; t++)
        {
            Miss(t, 8192);
        }

        if (Threads == 2)
        {
            _barrier = new Barrier(2);
            _worker = new Thread(WorkerLoop) { IsBackground = true };
            _worker.Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_worker is not null)
        {
            _stop = true;
            _barrier!.SignalAndWait();
            _worker.Join();
            _barrier.Dispose();
        }

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
        int ops = OpsPerThread / Threads;
        if (_worker is null)
        {
            return mode == 0 ? Hits(0, ops) : Miss(0, ops);
        }

        _mode = mode;
        _barrier!.SignalAndWait();
        long result = mode == 0 ? Hits(0, ops) : Miss(0, ops);
        _barrier.SignalAndWait();
        return result;
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _barrier!.SignalAndWait();
            if (_stop)
            {
                return;
            }

            int ops = OpsPerThread / 2;
            _ = _mode == 0 ? Hits(1, ops) : Miss(1, ops);
            _barrier.SignalAndWait();
        }
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
