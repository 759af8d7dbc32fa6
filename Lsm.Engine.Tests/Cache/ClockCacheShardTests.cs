using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// CLOCK's eviction case by case, on one shard holding a few equal blocks: what a hit, a priority and a reference do
/// to the hand's choice (the shared contract is in <see cref="BlockCacheTests"/>, sequences in
/// <see cref="BlockCacheModelTests"/>).
/// </summary>
public sealed class ClockCacheShardTests
{
    private const int Block = BlockCacheTests.Block;
    private static readonly long Charge = BlockCacheTests.Charge;

    [Fact]
    public void Sweep_WithoutHits_EvictsInInsertionOrder()
    {
        using BlockCache cache = Clock(3);
        Insert(cache, 0, 1, 2, 3, 4);
        Assert.Equal([3UL, 4, 2], Keys(cache)); // by slot: 3 and 4 took the slots of 0 and 1
        Assert.Equal(2, cache.GetStatistics().Evictions);
    }

    [Fact]
    public void HitEntry_SurvivesTheNextSweep()
    {
        using BlockCache cache = Clock(3);
        Insert(cache, 0, 1, 2);
        Hit(cache, 1);
        Insert(cache, 3); // the hand lowers 0, 1 and 2, then evicts 0
        Insert(cache, 4); // then lowers 1 (hit: still 1 left), evicts 2
        Assert.Equal([3UL, 1, 4], Keys(cache));
        Insert(cache, 5); // 1 has run down: the next to go
        Assert.DoesNotContain(1UL, Keys(cache));
        cache.CheckInvariants();
    }

    [Fact]
    public void Hit_ChangesOnlyItsOwnCount_UpToTheMaximum()
    {
        using BlockCache cache = Clock(4);
        Insert(cache, 0, 1, 2);
        for (int i = 0; i < 5; i++)
        {
            Hit(cache, 1);
        }

        Assert.Equal([1, ClockCacheShard.MaxCount, 1], Counts(cache));
    }

    [Fact]
    public void HighPriority_OutlivesThreeLowPriorityEvictions()
    {
        using BlockCache cache = Clock(4);
        InsertWith(cache, CachePriority.High, 0);
        Insert(cache, 1, 2, 3);
        Insert(cache, 4, 5, 6);
        Assert.Contains(0UL, Keys(cache));
        Assert.DoesNotContain(1UL, Keys(cache));
        Insert(cache, 7);
        Assert.DoesNotContain(0UL, Keys(cache));
    }

    [Fact]
    public void HighPriority_WithPoolRatioZero_HasNoHeadStart()
    {
        using BlockCache cache = Clock(4, highPriorityPoolRatio: 0);
        InsertWith(cache, CachePriority.High, 0);
        Insert(cache, 1, 2, 3, 4);
        Assert.DoesNotContain(0UL, Keys(cache));
        Assert.Equal([1, 0, 0, 0], Counts(cache)); // 4 in 0's slot; the hand has lowered 1, 2 and 3 once
    }

    [Fact]
    public void ReferencedEntry_IsSkippedByTheHand()
    {
        using BlockCache cache = Clock(2);
        CacheHandle held = cache.Insert(1, 0, BlockKind.Data, CachePriority.Low, BlockCacheTests.Filled(cache, Block, 0));
        Insert(cache, 1, 2, 3, 4);
        Assert.Equal([0UL, 4], Keys(cache));
        Assert.True(held.Span.IndexOfAnyExcept((byte)0) < 0);
        cache.Release(held);
        Insert(cache, 5); // released: evictable again, with its insert count run down
        Assert.Equal([5UL, 4], Keys(cache));
        cache.CheckInvariants();
    }

    [Fact]
    public void AllReferenced_InsertOvershoots_LastReleasesDropUntilItFits()
    {
        using BlockCache cache = Clock(2);
        CacheHandle[] held = [.. Enumerable.Range(0, 4).Select(i => cache.Insert(1, (ulong)i, BlockKind.Data, CachePriority.Low, BlockCacheTests.Filled(cache, Block, 1)))];
        Assert.Equal(4 * Charge, cache.Usage);
        foreach (CacheHandle handle in held)
        {
            cache.Release(handle);
        }

        Assert.Equal([2UL, 3], Keys(cache));
        Assert.Equal(2 * Charge, cache.Usage);
        Assert.Equal(2, cache.GetStatistics().Evictions);
        cache.CheckInvariants();
    }

    private static BlockCache Clock(int blocks, double highPriorityPoolRatio = 0.5) =>
        BlockCacheTests.OneShard(blocks * Charge, highPriorityPoolRatio: highPriorityPoolRatio, policy: BlockCachePolicy.Clock);

    private static void Insert(BlockCache cache, params ulong[] offsets) => InsertWith(cache, CachePriority.Low, offsets);

    private static void InsertWith(BlockCache cache, CachePriority priority, params ulong[] offsets)
    {
        foreach (ulong offset in offsets)
        {
            cache.Release(cache.Insert(1, offset, BlockKind.Data, priority, BlockCacheTests.Filled(cache, Block, (byte)offset)));
        }
    }

    private static void Hit(BlockCache cache, ulong offset)
    {
        Assert.True(cache.TryGet(1, offset, BlockKind.Data, out CacheHandle handle));
        cache.Release(handle);
    }

    private static ClockCacheShard Shard(BlockCache cache) => (ClockCacheShard)cache.ShardOf(1, 0, out _);

    /// <summary>The cached blocks' offsets by slot.</summary>
    private static ulong[] Keys(BlockCache cache) => [.. Shard(cache).ClockSnapshot().Slots.Where(e => e.InCache).Select(e => e.Offset)];

    private static int[] Counts(BlockCache cache) => [.. Shard(cache).ClockSnapshot().Slots.Select(e => (int)e.Count)];
}
