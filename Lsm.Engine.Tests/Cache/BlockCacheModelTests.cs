using System.Globalization;
using System.Text;
using FsCheck.Xunit;
using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// One shard against its policy's model (<see cref="LruCacheModel"/>, <see cref="ClockCacheModel"/>): seeded random
/// sequences of lookups, inserts (low and high priority, small, data-sized and large blocks), releases of held
/// handles, reservations and capacity changes; after every operation the hit or miss, the policy's state (LRU order
/// with pool membership; the clock hand and every slot's count), usage, pinned usage and counters must match, every
/// held block must still be cached unless replaced, and the shard's invariants hold. A failure prints the seed and
/// the operations so far.
/// </summary>
public sealed class BlockCacheModelTests
{
    private static readonly int[] Lengths = [0, 100, 1000, 4000, 4500, 5000, 9000, 40_000];

    [Property(MaxTest = 150)]
    public void SingleShard_MatchesModel(int seed, bool strict, bool highPool, bool clock) =>
        Run(clock ? BlockCachePolicy.Clock : BlockCachePolicy.Lru, seed, strict, highPool ? 0.5 : 0, operations: 300);

    [Theory]
    [InlineData(BlockCachePolicy.Lru, 1, false, 0.5)]
    [InlineData(BlockCachePolicy.Lru, 2, true, 0.5)]
    [InlineData(BlockCachePolicy.Lru, 3, false, 0)]
    [InlineData(BlockCachePolicy.Lru, 4, true, 0.1)]
    [InlineData(BlockCachePolicy.Clock, 1, false, 0.5)]
    [InlineData(BlockCachePolicy.Clock, 2, true, 0.5)]
    [InlineData(BlockCachePolicy.Clock, 3, false, 0)]
    [InlineData(BlockCachePolicy.Clock, 4, true, 0.1)]
    public void LongSequence_MatchesModel(BlockCachePolicy policy, int seed, bool strict, double ratio) =>
        Run(policy, seed, strict, ratio, operations: 20_000);

    private static void Run(BlockCachePolicy policy, int seed, bool strict, double ratio, int operations)
    {
        var random = new Random(seed);
        long capacity = random.Next(0, 4) == 0 ? random.Next(0, 20_000) : random.Next(20_000, 120_000);
        var log = new StringBuilder($"{policy}, seed {seed}, capacity {capacity}, strict {strict}, ratio {ratio}\n");
        CacheModel model = policy == BlockCachePolicy.Clock ? new ClockCacheModel(capacity, strict, ratio) : new LruCacheModel(capacity, strict, ratio);
        var cache = new BlockCache(new BlockCacheOptions { Capacity = capacity, ShardBits = 0, StrictCapacityLimit = strict, HighPriorityPoolRatio = ratio, Policy = policy });
        var held = new List<(CacheModelEntry Model, CacheHandle Handle)>();
        try
        {
            for (int op = 0; op < operations; op++)
            {
                ulong key = (ulong)random.Next(0, 16);
                int choice = random.Next(100);
                bool hold = random.Next(4) == 0;
                if (choice < 40)
                {
                    log.Append(CultureInfo.InvariantCulture, $"get {key}{(hold ? " hold" : string.Empty)}\n");
                    CacheModelEntry? expected = model.Lookup(key);
                    bool hit = cache.TryGet(1, key, BlockKind.Data, out CacheHandle handle);
                    Assert.Equal(expected is not null, hit);
                    if (hit)
                    {
                        Assert.True(handle.Span.IndexOfAnyExcept((byte)key) < 0, "block bytes changed");
                        Hold(expected!, handle, hold);
                    }
                }
                else if (choice < 80)
                {
                    int length = Lengths[random.Next(Lengths.Length)];
                    bool high = random.Next(3) == 0;
                    log.Append(CultureInfo.InvariantCulture, $"insert {key} {length}{(high ? " high" : string.Empty)}{(hold ? " hold" : string.Empty)}\n");
                    long charge = NativeSlabAllocator.AllocatedLengthOf(length) + BlockCache.PerEntryOverhead;
                    CacheModelEntry expected = model.Insert(key, charge, high);
                    long before = cache.Usage;
                    CacheHandle handle = cache.Insert(1, key, BlockKind.Data, high ? CachePriority.High : CachePriority.Low, BlockCacheTests.Filled(cache, length, (byte)key));
                    if (strict)
                    {
                        // A strict insert never takes the cache over capacity (capacity changes and reservations may).
                        Assert.True(cache.Usage <= Math.Max(before, cache.Capacity), $"strict insert took usage from {before} to {cache.Usage}");
                    }

                    Hold(expected, handle, hold);
                }
                else if (choice < 94)
                {
                    if (held.Count > 0)
                    {
                        int at = random.Next(held.Count);
                        log.Append(CultureInfo.InvariantCulture, $"release {held[at].Model.Key}\n");
                        model.Release(held[at].Model);
                        cache.Release(held[at].Handle);
                        held.RemoveAt(at);
                    }
                }
                else if (choice < 97)
                {
                    long reserved = random.Next(0, 3) == 0 ? 0 : random.Next(0, (int)(capacity / 2) + 1);
                    log.Append(CultureInfo.InvariantCulture, $"reserve {reserved}\n");
                    model.SetReserved(reserved);
                    long now = cache.GetStatistics().ReservedBytes;
                    if (reserved >= now)
                    {
                        cache.Reserve(reserved - now);
                    }
                    else
                    {
                        cache.Unreserve(now - reserved);
                    }
                }
                else
                {
                    long newCapacity = Math.Max(0, capacity + random.Next(-20_000, 20_000));
                    log.Append(CultureInfo.InvariantCulture, $"capacity {newCapacity}\n");
                    model.SetCapacity(newCapacity);
                    cache.SetCapacity(newCapacity);
                }

                Compare(model, cache, held);
            }

            foreach ((CacheModelEntry m, CacheHandle h) in held)
            {
                model.Release(m);
                cache.Release(h);
            }

            Compare(model, cache, held);
            cache.Unreserve(cache.GetStatistics().ReservedBytes);
            Assert.Equal(cache.Usage - (cache.GetStatistics().Entries * BlockCache.PerEntryOverhead), cache.Allocator.AllocatedBytes);
            cache.Dispose();
            Assert.Equal(0, cache.GetStatistics().NativeBytes);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidOperationException("Cache diverged from the model after:\n" + log, e);
        }

        void Hold(CacheModelEntry model1, CacheHandle handle, bool keep)
        {
            if (keep)
            {
                held.Add((model1, handle));
            }
            else
            {
                model.Release(model1);
                cache.Release(handle);
            }
        }
    }

    private static void Compare(CacheModel model, BlockCache cache, List<(CacheModelEntry Model, CacheHandle Handle)> held)
    {
        cache.CheckInvariants();
        CacheShard shard = cache.ShardOf(1, 0, out _);
        model.AssertSameAs(shard);
        BlockCacheStatistics stats = cache.GetStatistics();
        Assert.Equal(
            (model.Usage, model.Pinned, (long)model.Count, model.Hits, model.Misses, model.Inserts, model.Failures, model.Evictions),
            (stats.Usage, stats.PinnedUsage, stats.Entries, stats.Hits, stats.Misses, stats.Inserts, stats.InsertFailures, stats.Evictions));

        // A referenced block is never evicted: it leaves the table only when replaced (or was never let in).
        foreach ((CacheModelEntry entry, CacheHandle _) in held)
        {
            if (entry.InCache)
            {
                cache.ShardOf(1, entry.Key, out uint hash);
                Assert.True(shard.Contains(1, entry.Key, hash), $"held block {entry.Key} is gone");
            }
        }

        if (stats.Usage > stats.Capacity)
        {
            // Over capacity only by what readers hold and the reservation: nothing unreferenced is left.
            Assert.Empty(shard is LruCacheShard lru
                ? lru.LruSnapshot().Select(e => e.Offset)
                : ((ClockCacheShard)shard).ClockSnapshot().Slots.Where(e => e.InCache && !e.Referenced).Select(e => e.Offset));
        }
    }
}
