using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// The block cache's contract, case by case: handles, limits, reservations and dispose under both policies; LRU's
/// eviction order and priorities (CLOCK's are in <see cref="ClockCacheShardTests"/>).
/// </summary>
public sealed class BlockCacheTests
{
    internal const int Block = 4000;
    internal static readonly long Charge = NativeSlabAllocator.AllocatedLengthOf(Block) + BlockCache.PerEntryOverhead;

    [Theory]
    [MemberData(nameof(Policies))]
    public void Insert_ThenTryGet_HitsTheSameBytes_CountedByKind(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        Assert.False(cache.TryGet(1, 0, BlockKind.Data, out CacheHandle missed));
        Assert.False(missed.IsValid);
        cache.Release(cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 7)));

        Assert.True(cache.TryGet(1, 0, BlockKind.Index, out CacheHandle handle));
        Assert.Equal(Block, handle.Length);
        Assert.True(handle.Span.IndexOfAnyExcept((byte)7) < 0);
        Assert.Equal(Charge, cache.PinnedUsage);
        cache.Release(handle);

        Assert.False(cache.TryGet(1, 4096, BlockKind.Filter, out _));
        Assert.False(cache.TryGet(2, 0, BlockKind.Data, out _));
        BlockCacheStatistics stats = cache.GetStatistics();
        Assert.Equal((1L, 3L, 1L), (stats.Hits, stats.Misses, stats.Inserts));
        Assert.Equal((0L, 2L, 1L, 0L, 0L, 1L), (stats.DataHits, stats.DataMisses, stats.IndexHits, stats.IndexMisses, stats.FilterHits, stats.FilterMisses));
        Assert.Equal((Charge, 0L, 1L), (stats.Usage, stats.PinnedUsage, stats.Entries));
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Release_Twice_Throws(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        CacheHandle handle = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 1));
        cache.Release(handle);
        Assert.Throws<InvalidOperationException>(() => cache.Release(handle));
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Release_StaleHandleAfterTheSlotIsReused_Throws(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        CacheHandle old = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 1));
        CacheHandle replacing = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 2));
        cache.Release(old); // replaced while referenced: freed now, its slot free
        cache.Release(replacing);
        CacheHandle reuser = cache.Insert(9, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 3));
        Assert.Equal(old.Slot, reuser.Slot);
        Assert.Throws<InvalidOperationException>(() => cache.Release(old));
        cache.Release(reuser);
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Release_OfAnotherCacheOrDefault_Throws(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        using var other = OneShard(1 << 20, policy: policy);
        CacheHandle handle = other.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(other, Block, 1));
        Assert.Throws<InvalidOperationException>(() => cache.Release(handle));
        Assert.Throws<InvalidOperationException>(() => cache.Release(default));
        other.Release(handle);
    }

    [Fact]
    public void Lru_EvictsTheLeastRecentlyUsedFirst()
    {
        using var cache = OneShard(3 * Charge, highPriorityPoolRatio: 0);
        for (ulong offset = 0; offset < 3; offset++)
        {
            InsertAndRelease(cache, offset);
        }

        Assert.True(cache.TryGet(1, 0, BlockKind.Data, out CacheHandle touched));
        cache.Release(touched);
        InsertAndRelease(cache, 3);
        Assert.Equal([2UL, 0, 3], Keys(cache));
        Assert.Equal(1, cache.GetStatistics().Evictions);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void ReplacedWhileReferenced_KeepsItsBytesAndChargeUntilReleased(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        CacheHandle old = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 0x11));
        cache.Release(cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 0x22)));
        Assert.True(old.Span.IndexOfAnyExcept((byte)0x11) < 0);
        Assert.Equal(2 * Charge, cache.Usage);
        Assert.Equal(1, cache.GetStatistics().Entries);
        Assert.True(cache.TryGet(1, 0, BlockKind.Data, out CacheHandle current));
        Assert.True(current.Span.IndexOfAnyExcept((byte)0x22) < 0);
        cache.Release(current);
        cache.CheckInvariants();
        cache.Release(old);
        Assert.Equal(Charge, cache.Usage);
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void ShrunkWhileReferenced_KeepsTheBlock_DropsItAtRelease(BlockCachePolicy policy)
    {
        using var cache = OneShard(1 << 20, policy: policy);
        CacheHandle held = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 0x33));
        InsertAndRelease(cache, 1);
        cache.SetCapacity(0);
        Assert.Equal(Charge, cache.Usage); // only the referenced block is left
        Assert.True(held.Span.IndexOfAnyExcept((byte)0x33) < 0);
        cache.Release(held);
        Assert.Equal(0, cache.Usage);
        Assert.False(cache.TryGet(1, 0, BlockKind.Data, out _));
        Assert.Equal(0, cache.Allocator.AllocatedBytes);
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void StrictLimit_FullOfReferencedBlocks_ReturnsADetachedHandleAndCountsAFailure(BlockCachePolicy policy)
    {
        using var cache = OneShard(2 * Charge, strict: true, policy: policy);
        CacheHandle a = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 1));
        CacheHandle b = cache.Insert(1, 1, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 2));
        CacheHandle refused = cache.Insert(1, 2, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 3));

        Assert.True(refused.IsValid);
        Assert.True(refused.Span.IndexOfAnyExcept((byte)3) < 0);
        Assert.Equal(2 * Charge, cache.Usage);
        Assert.False(cache.TryGet(1, 2, BlockKind.Data, out _));
        BlockCacheStatistics stats = cache.GetStatistics();
        Assert.Equal((2L, 1L, 2L), (stats.Inserts, stats.InsertFailures, stats.Entries));

        long allocated = cache.Allocator.AllocatedBytes;
        cache.Release(refused);
        Assert.Equal(allocated - NativeSlabAllocator.AllocatedLengthOf(Block), cache.Allocator.AllocatedBytes);
        Assert.Throws<InvalidOperationException>(() => cache.Release(refused));
        cache.Release(a);
        cache.Release(b);
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void DefaultMode_FullOfReferencedBlocks_OvershootsUntilTheyAreReleased(BlockCachePolicy policy)
    {
        using var cache = OneShard(2 * Charge, policy: policy);
        CacheHandle[] held = [.. Enumerable.Range(0, 3).Select(i => cache.Insert(1, (ulong)i, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 1)))];
        Assert.Equal(3 * Charge, cache.Usage);
        Assert.Equal(3 * Charge, cache.PinnedUsage);
        foreach (CacheHandle handle in held)
        {
            cache.Release(handle);
        }

        Assert.Equal(2 * Charge, cache.Usage);
        Assert.Equal(0, cache.PinnedUsage);
        Assert.Equal(1, cache.GetStatistics().Evictions);
        cache.CheckInvariants();
    }

    [Fact]
    public void HighPriority_EvictedAfterLowPriority()
    {
        using var cache = OneShard(4 * Charge, highPriorityPoolRatio: 0.5);
        InsertAndRelease(cache, CachePriority.High, CachePriority.Low, CachePriority.Low, CachePriority.Low, CachePriority.Low);
        Assert.Equal([2UL, 3, 4, 0], Keys(cache));
        Assert.Equal([false, false, false, true], Pool(cache));
    }

    [Fact]
    public void HighPriorityPool_Overflowing_DemotesItsOldestEntry()
    {
        using var cache = OneShard(4 * Charge, highPriorityPoolRatio: 0.5);
        InsertAndRelease(cache, CachePriority.High, CachePriority.High, CachePriority.Low);
        InsertAndRelease(cache, 3, CachePriority.High); // pool holds 2: entry 0 becomes the newest low-priority one
        Assert.Equal([2UL, 0, 1, 3], Keys(cache));
        Assert.Equal([false, false, true, true], Pool(cache));
        InsertAndRelease(cache, 4, CachePriority.Low);
        Assert.Equal([0UL, 4, 1, 3], Keys(cache));
        cache.CheckInvariants();
    }

    [Fact]
    public void LowPriorityEntry_HitWhileCached_JoinsTheHighPriorityPool()
    {
        using var cache = OneShard(4 * Charge, highPriorityPoolRatio: 0.5);
        InsertAndRelease(cache, CachePriority.Low, CachePriority.Low);
        Assert.True(cache.TryGet(1, 0, BlockKind.Data, out CacheHandle handle));
        cache.Release(handle);
        Assert.Equal([1UL, 0], Keys(cache));
        Assert.Equal([false, true], Pool(cache));
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Reserve_EvictsToMakeRoom_AndCountsInUsage(BlockCachePolicy policy)
    {
        using var cache = new BlockCache(new BlockCacheOptions { Capacity = 40 * Charge, ShardBits = 2, Policy = policy });
        for (ulong offset = 0; offset < 40; offset++)
        {
            InsertAndRelease(cache, offset);
        }

        cache.Reserve(20 * Charge);
        BlockCacheStatistics stats = cache.GetStatistics();
        Assert.Equal(20 * Charge, stats.ReservedBytes);
        Assert.True(stats.Usage <= stats.Capacity, $"usage {stats.Usage}");
        Assert.True(stats.Entries <= 20, $"{stats.Entries} entries left");
        Assert.Equal(stats.Usage, (stats.Entries * Charge) + stats.ReservedBytes);

        cache.Unreserve(20 * Charge);
        Assert.Equal(stats.Entries * Charge, cache.Usage);
        Assert.Throws<InvalidOperationException>(() => cache.Unreserve(1));
        cache.CheckInvariants();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void ZeroCapacity_HoldsNothing(BlockCachePolicy policy)
    {
        using var cache = new BlockCache(new BlockCacheOptions { Capacity = 0, Policy = policy });
        InsertAndRelease(cache, 0);
        Assert.False(cache.TryGet(1, 0, BlockKind.Data, out _));
        Assert.Equal(0, cache.Usage);
        Assert.Equal(0, cache.Allocator.AllocatedBytes);
    }

    [Theory]
    [InlineData(0L, 0)]
    [InlineData(512L * 1024, 0)]
    [InlineData(1L << 20, 1)]
    [InlineData(8L << 20, 4)]
    [InlineData(32L << 20, 6)]
    [InlineData(1L << 40, 6)]
    public void DefaultShardBits_AsRocksDb(long capacity, int bits)
    {
        Assert.Equal(bits, BlockCache.DefaultShardBits(capacity));
        if (capacity <= 32L << 20)
        {
            using var cache = new BlockCache(capacity);
            Assert.Equal(1 << bits, cache.ShardCount);
        }
    }

    [Fact]
    public void Options_DefaultPolicy_IsTheConstant_UnknownPolicyRejected()
    {
        var options = new BlockCacheOptions { Capacity = 1 };
        Assert.Equal(BlockCacheOptions.DefaultPolicy, options.Policy);
        Assert.Throws<ArgumentException>(() => (options with { Policy = (BlockCachePolicy)2 }).Validate());
        using var clock = new BlockCache(options with { Policy = BlockCachePolicy.Clock });
        Assert.IsType<ClockCacheShard>(clock.ShardOf(0, 0, out _));
        using var lru = new BlockCache(options with { Policy = BlockCachePolicy.Lru });
        Assert.IsType<LruCacheShard>(lru.ShardOf(0, 0, out _));
    }

    [Fact]
    public void NewTableId_UniqueAcrossThreads()
    {
        using var cache = new BlockCache(1 << 20);
        ulong[][] ids = new ulong[2][];
        Parallel.For(0, 2, t => ids[t] = [.. Enumerable.Range(0, 10_000).Select(_ => cache.NewTableId())]);
        Assert.Equal(20_000, ids[0].Concat(ids[1]).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void Dispose_LaterUseThrows_HeldBlockFreedAtItsRelease(BlockCachePolicy policy)
    {
        var cache = new BlockCache(new BlockCacheOptions { Capacity = 1 << 20, ShardBits = 1, Policy = policy });
        CacheHandle held = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, Filled(cache, Block, 5));
        InsertAndRelease(cache, 1);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cache.TryGet(1, 1, BlockKind.Data, out _));
        Assert.Throws<ObjectDisposedException>(() => cache.Allocate(10));
        Assert.Throws<ObjectDisposedException>(() => cache.Reserve(10));
        Assert.True(held.Span.IndexOfAnyExcept((byte)5) < 0);
        Assert.Equal(NativeSlabAllocator.SlabSize, cache.GetStatistics().NativeBytes);
        cache.Release(held);
        Assert.Equal(0, cache.GetStatistics().NativeBytes);
        cache.Dispose();
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void HitAndRelease_AllocateNothing(BlockCachePolicy policy)
    {
        using var cache = new BlockCache(new BlockCacheOptions { Capacity = 1 << 20, Policy = policy });
        InsertAndRelease(cache, 0);

        // The best of three rounds: the runtime may allocate once while it recompiles the loop (tiering, OSR), but a
        // lookup that allocated would show in every round (10,000 times over).
        long fewest = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                LookupAndRelease(cache);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);

        static void LookupAndRelease(BlockCache cache)
        {
            Assert.True(cache.TryGet(1, 0, BlockKind.Data, out CacheHandle handle));
            cache.Release(handle);
        }
    }

    /// <summary>Both policies, for the tests of their shared contract.</summary>
    public static TheoryData<BlockCachePolicy> Policies => [BlockCachePolicy.Lru, BlockCachePolicy.Clock];

    internal static BlockCache OneShard(long capacity, bool strict = false, double highPriorityPoolRatio = 0.5, BlockCachePolicy policy = BlockCachePolicy.Lru) =>
        new(new BlockCacheOptions { Capacity = capacity, ShardBits = 0, StrictCapacityLimit = strict, HighPriorityPoolRatio = highPriorityPoolRatio, Policy = policy });

    internal static NativeBlock Filled(BlockCache cache, int length, byte value)
    {
        NativeBlock block = cache.Allocate(length);
        block.Span.Fill(value);
        return block;
    }

    private static void InsertAndRelease(BlockCache cache, ulong offset, CachePriority priority = CachePriority.Low) =>
        cache.Release(cache.Insert(1, offset, BlockKind.Data, priority, Filled(cache, Block, (byte)offset)));

    /// <summary>Inserts and releases blocks at offsets 0, 1, … with these priorities.</summary>
    private static void InsertAndRelease(BlockCache cache, params CachePriority[] priorities)
    {
        for (int offset = 0; offset < priorities.Length; offset++)
        {
            InsertAndRelease(cache, (ulong)offset, priorities[offset]);
        }
    }

    private static ulong[] Keys(BlockCache cache) => [.. Lru(cache).LruSnapshot().Select(e => e.Offset)];

    private static bool[] Pool(BlockCache cache) => [.. Lru(cache).LruSnapshot().Select(e => e.InHighPool)];

    private static LruCacheShard Lru(BlockCache cache) => (LruCacheShard)cache.ShardOf(0, 0, out _);
}
