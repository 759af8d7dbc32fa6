using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memory;

/// <summary>
/// The one-number budget: Flink's split of the total into block cache and write buffer manager, the options it gives
/// databases and families, and the derived write buffer sizes. The end-to-end budget test is in
/// <see cref="MemoryBudgetLoadTests"/> (it needs the block cache).
/// </summary>
public sealed class MemoryBudgetTests
{
    private const long MiB = 1 << 20;

    [Theory]
    // Flink's RocksDBMemoryControllerUtils: C = (3 - r) T / 3, W = 2 r T / 3
    [InlineData(600 * MiB, 0.5, 500 * MiB, 200 * MiB)]
    [InlineData(300 * MiB, 0.25, 275 * MiB, 50 * MiB)]
    [InlineData(300 * MiB, 0.75, 225 * MiB, 150 * MiB)]
    public void Split_IsFlinks(long total, double ratio, long cache, long writeBuffers)
    {
        Assert.Equal(cache, MemoryBudget.BlockCacheCapacityFor(total, ratio));
        Assert.Equal(writeBuffers, MemoryBudget.WriteBufferManagerCapacityFor(total, ratio));
        Assert.True(cache + (writeBuffers / 2) <= total, "the memtables' overshoot (half of W) fits in what the cache leaves");
    }

    [Fact]
    public void Constructor_BuildsACacheAndAManagerChargingIt()
    {
        using var budget = new MemoryBudget(new MemoryBudgetOptions { TotalBytes = 600 * MiB, HighPriorityPoolRatio = 0.2, AllowStall = true });
        Assert.Equal(500 * MiB, budget.BlockCache.Options.Capacity);
        Assert.Equal(0.2, budget.BlockCache.Options.HighPriorityPoolRatio);
        Assert.False(budget.BlockCache.Options.StrictCapacityLimit);
        Assert.Equal(200 * MiB, budget.WriteBufferManager.BufferSize);
        Assert.Same(budget.BlockCache, budget.WriteBufferManager.BlockCache);
        Assert.True(budget.WriteBufferManager.CostToCache);
        Assert.True(budget.WriteBufferManager.AllowStall);
    }

    [Fact]
    public void Defaults_AreFlinks()
    {
        var options = new MemoryBudgetOptions { TotalBytes = 64 * MiB };
        Assert.Equal(0.5, options.WriteBufferRatio);
        Assert.Equal(0.1, options.HighPriorityPoolRatio);
        Assert.Equal(MemoryBudgetOptions.DefaultWriteBufferRatio, options.WriteBufferRatio);
        Assert.Equal(MemoryBudgetOptions.DefaultHighPriorityPoolRatio, options.HighPriorityPoolRatio);
        Assert.False(options.AllowStall);
        Assert.False(options.StrictCapacityLimit);
    }

    [Theory]
    [InlineData(MemoryBudgetOptions.MinTotalBytes - 1, 0.5, 0.1)]
    [InlineData(64 * MiB, 0, 0.1)]
    [InlineData(64 * MiB, 1, 0.1)]
    [InlineData(64 * MiB, double.NaN, 0.1)]
    [InlineData(64 * MiB, 0.5, -0.01)]
    [InlineData(64 * MiB, 0.5, 1.01)]
    public void Validate_RefusesOutOfRange(long total, double ratio, double highPriority) =>
        Assert.Throws<ArgumentException>(() => new MemoryBudget(new MemoryBudgetOptions { TotalBytes = total, WriteBufferRatio = ratio, HighPriorityPoolRatio = highPriority }));

    [Fact]
    public void ApplyTo_Database_SharesTheManagerAndCache_AndSplitsWBetweenItsFamilies()
    {
        using var budget = new MemoryBudget(600 * MiB); // W = 200 MiB
        var options = new DbOptions
        {
            CreateIfMissing = true,
            ColumnFamilies = new Dictionary<string, ColumnFamilyOptions>
            {
                ["orders"] = new() { MaxWriteBufferNumber = 4 },
                ["users"] = new() { WriteBufferSize = 8 * MiB },
            },
        };

        DbOptions applied = budget.ApplyTo(options);

        Assert.Same(budget.WriteBufferManager, applied.WriteBufferManager);
        Assert.True(applied.CreateIfMissing);
        // N_cf = 3 (default, orders, users): W / (N_cf × N_buffers), never more than configured
        Assert.Equal(200 * MiB / 6, applied.DefaultColumnFamilyOptions.WriteBufferSize);
        Assert.Equal(200 * MiB / 12, applied.ColumnFamilies["orders"].WriteBufferSize);
        Assert.Equal(8 * MiB, applied.ColumnFamilies["users"].WriteBufferSize);
        foreach (ColumnFamilyOptions family in applied.ColumnFamilies.Values.Append(applied.DefaultColumnFamilyOptions))
        {
            Assert.Same(budget.BlockCache, family.Table.BlockCache);
            Assert.True(family.Table.CacheIndexAndFilterBlocks);
            Assert.True(family.Table.CacheIndexAndFilterBlocksWithHighPriority);
            Assert.False(family.Table.NoBlockCache);
            family.Validate();
        }

        // The seed formula's memtable term fits the manager's budget.
        long term = applied.ColumnFamilies.Values.Append(applied.DefaultColumnFamilyOptions).Sum(f => f.WriteBufferSize * f.MaxWriteBufferNumber);
        Assert.True(term <= budget.WriteBufferManager.BufferSize, $"{term} > {budget.WriteBufferManager.BufferSize}");
        Assert.Null(options.WriteBufferManager); // the input is not changed
    }

    [Fact]
    public void WriteBufferSizeFor_IsCappedByTheDefault_AndFloored()
    {
        using var budget = new MemoryBudget(6L << 30); // W = 2 GiB
        Assert.Equal(ColumnFamilyOptions.DefaultWriteBufferSize, budget.ApplyTo(new ColumnFamilyOptions()).WriteBufferSize);
        Assert.Equal(MemoryBudget.MinWriteBufferSize, budget.WriteBufferSizeFor(100_000, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.WriteBufferSizeFor(0, 2));
    }

    [Fact]
    public void DerivedWriteBuffers_KeepEveryEmptyMemtableFarBelowTheMutableLimit()
    {
        // Flink's sanity check: an arena block at or above the mutable limit makes RocksDB flush at every write. Here
        // even N_cf empty memtables (one arena chunk each) stay below an eighth of the limit.
        foreach (long total in new[] { MemoryBudgetOptions.MinTotalBytes, 64 * MiB, 1L << 30 })
        {
            using var budget = new MemoryBudget(total);
            for (int families = 1; families <= 64; families *= 2)
            {
                long size = budget.ApplyTo(new ColumnFamilyOptions(), families).WriteBufferSize;
                long chunk = Math.Clamp(size / 8, Arena.MinChunkSize, Arena.DefaultChunkSize);
                if (size > MemoryBudget.MinWriteBufferSize)
                {
                    Assert.True(families * chunk <= budget.WriteBufferManager.MutableLimit / 8, $"T={total}, N_cf={families}: chunk {chunk}");
                }
            }
        }
    }
}
