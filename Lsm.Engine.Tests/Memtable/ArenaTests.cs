using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

public sealed unsafe class ArenaTests
{
    [Fact]
    public void Allocate_ReturnsAlignedDisjointMemory_AndCountsIt()
    {
        using var arena = new Arena(Arena.MinChunkSize);
        Assert.Equal(0, arena.MemoryUsage);
        var random = new Random(1);
        var blocks = new List<(nint Pointer, int Size, byte Fill)>();
        long requested = 0;
        for (int i = 0; i < 2000; i++)
        {
            int size = random.Next(4) == 0 ? random.Next(1, 3000) : random.Next(1, 40);
            byte* p = arena.Allocate(size);
            Assert.Equal(0, (long)p % Arena.Alignment);
            byte fill = (byte)i;
            new Span<byte>(p, size).Fill(fill);
            blocks.Add(((nint)p, size, fill));
            requested += size;
        }

        // Nothing handed out was overwritten by a later allocation.
        foreach ((nint pointer, int size, byte fill) in blocks)
        {
            Assert.True(new ReadOnlySpan<byte>((void*)pointer, size).IndexOfAnyExcept(fill) < 0);
        }

        Assert.Equal(requested, arena.AllocatedBytes);
        Assert.True(arena.AllocatedBytes <= arena.MemoryUsage);
        Assert.True(arena.ChunkCount > 1);
    }

    [Fact]
    public void Allocate_Oversized_GetsItsOwnChunk_AndKeepsTheCurrentOne()
    {
        using var arena = new Arena(Arena.MinChunkSize);
        byte* a = arena.Allocate(16);
        Assert.Equal(Arena.MinChunkSize, arena.MemoryUsage);

        byte* big = arena.Allocate(100_000);
        Assert.Equal(Arena.MinChunkSize + 100_000, arena.MemoryUsage);
        new Span<byte>(big, 100_000).Fill(0xAB);

        // The next small allocation still comes from the first chunk, right after the first one.
        byte* b = arena.Allocate(16);
        Assert.Equal(16, b - a);
        Assert.Equal(2, arena.ChunkCount);
    }

    [Fact]
    public void Allocate_JustOverAQuarterChunk_IsOversized()
    {
        using var arena = new Arena(Arena.MinChunkSize);
        arena.Allocate((Arena.MinChunkSize / 4) + 1);
        Assert.Equal(Arena.MinChunkSize / 4 + 1, arena.MemoryUsage);
        arena.Allocate(Arena.MinChunkSize / 4);
        Assert.Equal((Arena.MinChunkSize / 4) + 1 + Arena.MinChunkSize, arena.MemoryUsage);
    }

    [Fact]
    public void Constructor_ChunkSizeBelowMinimum_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Arena(Arena.MinChunkSize - 1));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless()
    {
        var arena = new Arena();
        arena.Allocate(100);
        arena.Dispose();
        arena.Dispose();
        Assert.Equal(0, arena.ChunkCount);
    }
}
