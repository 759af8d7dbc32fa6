using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// Several threads looking up, inserting and releasing random keys (holding some handles across operations) on a
/// small sharded cache, under each policy; every hit must see its own block's bytes, and at the end the charges must
/// add up and every byte of native memory must come back.
/// </summary>
public sealed class BlockCacheConcurrencyTests
{
    [Theory]
    [InlineData(BlockCachePolicy.Lru, false, 0.5)]
    [InlineData(BlockCachePolicy.Lru, true, 0.1)]
    [InlineData(BlockCachePolicy.Clock, false, 0.5)]
    [InlineData(BlockCachePolicy.Clock, true, 0.1)]
    public void RandomGetInsertRelease_ChargesAddUp_NoMemoryLeaks(BlockCachePolicy policy, bool strict, double ratio)
    {
        const int Threads = 4;
        const long Capacity = 2L << 20;
        var cache = new BlockCache(new BlockCacheOptions { Capacity = Capacity, ShardBits = 2, StrictCapacityLimit = strict, HighPriorityPoolRatio = ratio, Policy = policy });
        long overCapacity = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, worker =>
        {
            var random = new Random(worker);
            var held = new Queue<CacheHandle>();
            for (int i = 0; i < 40_000; i++)
            {
                ulong table = (ulong)random.Next(1, 4);
                ulong offset = (ulong)random.Next(0, 600);
                if (!cache.TryGet(table, offset, BlockKind.Data, out CacheHandle handle))
                {
                    int length = LengthOf(table, offset);
                    NativeBlock block = cache.Allocate(length);
                    block.Span.Fill(ByteOf(table, offset));
                    if (random.Next(50) == 0)
                    {
                        cache.Free(block); // a failed read
                        continue;
                    }

                    handle = cache.Insert(table, offset, BlockKind.Data, random.Next(4) == 0 ? CachePriority.High : CachePriority.Low, block);
                }

                if (handle.Length != LengthOf(table, offset) || handle.Span.IndexOfAnyExcept(ByteOf(table, offset)) >= 0)
                {
                    throw new InvalidOperationException($"block ({table}, {offset}) has foreign bytes");
                }

                held.Enqueue(handle);
                while (held.Count > random.Next(0, 8))
                {
                    cache.Release(held.Dequeue());
                }

                if (strict && cache.Usage > Capacity)
                {
                    Interlocked.Increment(ref overCapacity);
                }
            }

            while (held.Count > 0)
            {
                cache.Release(held.Dequeue());
            }
        });

        cache.CheckInvariants();
        BlockCacheStatistics stats = cache.GetStatistics();
        Assert.Equal(0, overCapacity);
        Assert.Equal(0, stats.PinnedUsage);
        Assert.True(stats.Usage <= Capacity, $"usage {stats.Usage} with nothing referenced");
        Assert.Equal(stats.Usage - (stats.Entries * BlockCache.PerEntryOverhead), cache.Allocator.AllocatedBytes);
        Assert.True(stats.Hits > 0 && stats.Evictions > 0, $"{stats.Hits} hits, {stats.Evictions} evictions");
        Assert.True(stats.NativeBytes >= cache.Allocator.AllocatedBytes);

        cache.SetCapacity(0);
        Assert.Equal(0, cache.Usage);
        Assert.Equal(0, cache.Allocator.AllocatedBytes);
        Assert.True(cache.GetStatistics().NativeBytes <= cache.Allocator.PooledSlabs * (long)NativeSlabAllocator.SlabSize);
        cache.Dispose();
        Assert.Equal(0, cache.GetStatistics().NativeBytes);
    }

    private static int LengthOf(ulong table, ulong offset) => (int)(((table * 7919) + (offset * 104_729)) % 9000) + (offset % 50 == 0 ? 40_000 : 100);

    private static byte ByteOf(ulong table, ulong offset) => (byte)((table * 31) + offset);
}
