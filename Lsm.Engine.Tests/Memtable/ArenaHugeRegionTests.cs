using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

/// <summary>Arena chunks carved from huge-page regions behave, and are counted, exactly as plain chunks.</summary>
public sealed unsafe class ArenaHugeRegionTests
{
    [Theory]
    [InlineData(Arena.DefaultChunkSize)]
    [InlineData(Arena.HugeRegionMinChunkSize)]
    public void Allocate_WithAndWithoutHugeRegions_SameAccounting_DisjointMemory(int chunkSize)
    {
        using var huge = new Arena(chunkSize, hugePages: true);
        using var plain = new Arena(chunkSize, hugePages: false);
        Assert.Equal(OperatingSystem.IsLinux(), huge.UsesHugeRegions);
        Assert.False(plain.UsesHugeRegions);

        var random = new Random(7);
        var blocks = new List<(nint Pointer, int Size, byte Fill)>();
        for (int i = 0; i < 3000; i++)
        {
            // Mostly node-sized requests, some oversized ones (their own chunk, never from a region).
            int size = i % 500 == 499 ? chunkSize : random.Next(1, 4000);
            byte* p = huge.Allocate(size);
            _ = plain.Allocate(size);
            Assert.Equal(0, (long)p % Arena.Alignment);
            byte fill = (byte)i;
            new Span<byte>(p, size).Fill(fill);
            blocks.Add(((nint)p, size, fill));
        }

        foreach ((nint pointer, int size, byte fill) in blocks)
        {
            Assert.True(new ReadOnlySpan<byte>((void*)pointer, size).IndexOfAnyExcept(fill) < 0);
        }

        // When a memtable counts as full must not depend on where its chunks come from.
        Assert.Equal(plain.MemoryUsage, huge.MemoryUsage);
        Assert.Equal(plain.AllocatedBytes, huge.AllocatedBytes);
        Assert.Equal(plain.ChunkCount, huge.ChunkCount);
        Assert.True(huge.ChunkCount > 4);
    }

    [Fact]
    public void HugeRegions_OnlyForChunksThatDivideTheRegion_AndAreLargeEnough()
    {
        using var small = new Arena(Arena.HugeRegionMinChunkSize / 2);
        using var odd = new Arena(Arena.DefaultChunkSize + 4096);
        Assert.False(small.UsesHugeRegions);
        Assert.False(odd.UsesHugeRegions);
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var arena = new Arena(Arena.DefaultChunkSize);
        for (int i = 0; i < 5; i++)
        {
            _ = arena.Allocate(Arena.DefaultChunkSize / 4);
        }

        arena.Dispose();
        arena.Dispose();
    }
}
