using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>The slab allocator: size classes and their waste, alignment, reuse, large blocks, the empty-slab pool.</summary>
public sealed unsafe class NativeSlabAllocatorTests
{
    [Fact]
    public void ClassOf_EveryLength_SmallestClassThatFits_WasteUnderAnEighthAbove128()
    {
        int previous = 0;
        for (int length = 0; length <= NativeSlabAllocator.MaxClassSize; length++)
        {
            int sizeClass = NativeSlabAllocator.ClassOf(length);
            int size = NativeSlabAllocator.ClassSize(sizeClass);
            Assert.True(size >= length, $"length {length} in class of {size}");
            Assert.True(sizeClass == 0 || NativeSlabAllocator.ClassSize(sizeClass - 1) < length, $"length {length} not in its smallest class");
            Assert.True(sizeClass >= previous);
            Assert.Equal(0, size % NativeSlabAllocator.MinClassSize);
            if (length > 128)
            {
                Assert.True((size - length) * 8 < size, $"length {length} wastes {size - length} of {size}");
            }

            previous = sizeClass;
        }

        Assert.Equal(NativeSlabAllocator.ClassCount - 1, NativeSlabAllocator.ClassOf(NativeSlabAllocator.MaxClassSize));
        Assert.Equal(-1, NativeSlabAllocator.ClassOf(NativeSlabAllocator.MaxClassSize + 1));
        Assert.Equal(4608, NativeSlabAllocator.ClassSize(NativeSlabAllocator.ClassOf(4150)));
    }

    [Fact]
    public void DataBlocksOf4To5KiB_TakeAtMostAnEighthMoreThanAsked_SlabTailsIncluded()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 0);
        var random = new Random(7);
        var blocks = new List<NativeBlock>();
        long asked = 0;
        for (int i = 0; i < 20_000; i++)
        {
            int length = random.Next(4096, 5121);
            blocks.Add(allocator.Allocate(length));
            asked += length;
        }

        double waste = (allocator.NativeBytes - asked) / (double)allocator.NativeBytes;
        Assert.True(waste < 0.125, $"waste {waste:P1}");
        foreach (NativeBlock block in blocks)
        {
            allocator.Free(block.Pointer, block.AllocatedLength);
        }

        Assert.Equal(0, allocator.NativeBytes);
    }

    [Fact]
    public void Allocate_Chunks_AlignedDisjointAndInTheirSlab()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 2);
        var blocks = new List<NativeBlock>();
        var random = new Random(3);
        for (int i = 0; i < 3000; i++)
        {
            NativeBlock block = allocator.Allocate(random.Next(0, 9000));
            Assert.Equal(0, block.Pointer % NativeSlabAllocator.MinClassSize);
            long slabOffset = block.Pointer & (NativeSlabAllocator.SlabSize - 1);
            Assert.True(slabOffset >= NativeSlabAllocator.SlabHeaderSize);
            Assert.True(slabOffset + block.AllocatedLength <= NativeSlabAllocator.SlabSize);
            block.Span.Fill((byte)i);
            blocks.Add(block);
        }

        for (int i = 0; i < blocks.Count; i++)
        {
            Assert.True(blocks[i].Span.IndexOfAnyExcept((byte)i) < 0, $"block {i} overwritten");
        }

        allocator.CheckInvariants();
        foreach (NativeBlock block in blocks)
        {
            allocator.Free(block.Pointer, block.AllocatedLength);
        }

        Assert.Equal(0, allocator.AllocatedBytes);
        Assert.True(allocator.NativeBytes <= 2L * NativeSlabAllocator.SlabSize);
    }

    [Fact]
    public void Free_ThenAllocate_ReusesTheChunk()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 1);
        NativeBlock keep = allocator.Allocate(4000);
        NativeBlock first = allocator.Allocate(4000);
        allocator.Free(first.Pointer, first.AllocatedLength);
        NativeBlock second = allocator.Allocate(3900);
        Assert.Equal(first.Pointer, second.Pointer);
        Assert.Equal(NativeSlabAllocator.SlabSize, allocator.NativeBytes);
        allocator.Free(second.Pointer, second.AllocatedLength);
        allocator.Free(keep.Pointer, keep.AllocatedLength);
    }

    [Fact]
    public void EmptySlab_IsPooled_AndTakenByAnotherClass()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 1);
        NativeBlock small = allocator.Allocate(100);
        allocator.Free(small.Pointer, small.AllocatedLength);
        Assert.Equal(1, allocator.PooledSlabs);
        Assert.Equal(NativeSlabAllocator.SlabSize, allocator.NativeBytes);

        NativeBlock large = allocator.Allocate(20_000);
        Assert.Equal(0, allocator.PooledSlabs);
        Assert.Equal(NativeSlabAllocator.SlabSize, allocator.NativeBytes);
        Assert.Equal(small.Pointer & ~(long)(NativeSlabAllocator.SlabSize - 1), large.Pointer & ~(long)(NativeSlabAllocator.SlabSize - 1));
        allocator.Free(large.Pointer, large.AllocatedLength);
    }

    [Fact]
    public void EmptySlabs_BeyondThePool_GoBackToTheSystem()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 2);
        var blocks = new List<NativeBlock>();
        for (int i = 0; i < 200; i++)
        {
            blocks.Add(allocator.Allocate(8000)); // 8 KiB chunks, 31 per slab (the header takes the 32nd): 7 slabs
        }

        Assert.Equal(7L * NativeSlabAllocator.SlabSize, allocator.NativeBytes);
        foreach (NativeBlock block in blocks)
        {
            allocator.Free(block.Pointer, block.AllocatedLength);
        }

        Assert.Equal(2, allocator.PooledSlabs);
        Assert.Equal(2L * NativeSlabAllocator.SlabSize, allocator.NativeBytes);
        allocator.Dispose();
        Assert.Equal(0, allocator.NativeBytes);
        Assert.Throws<ObjectDisposedException>(() => allocator.Allocate(10));
    }

    [Fact]
    public void LargeBlock_ComesFromTheSystem_ChargedItsLength()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 1);
        NativeBlock block = allocator.Allocate(100_000);
        Assert.Equal(100_000, block.AllocatedLength);
        Assert.Equal(100_000, allocator.NativeBytes);
        block.Span.Fill(1);
        allocator.Free(block.Pointer, block.AllocatedLength);
        Assert.Equal(0, allocator.NativeBytes);
    }

    [Fact]
    public void Dispose_WithChunksInUse_FreesTheirSlabAtTheLastFree()
    {
        var allocator = new NativeSlabAllocator(maxPooledSlabs: 4);
        NativeBlock block = allocator.Allocate(1000);
        allocator.Dispose();
        Assert.Equal(NativeSlabAllocator.SlabSize, allocator.NativeBytes);
        block.Span.Fill(2); // still ours
        allocator.Free(block.Pointer, block.AllocatedLength);
        Assert.Equal(0, allocator.NativeBytes);
    }

    [Fact]
    public void TwoThreads_AllocateAndFree_NothingLostOrShared()
    {
        using var allocator = new NativeSlabAllocator(maxPooledSlabs: 4);
        Parallel.For(0, 2, worker =>
        {
            var random = new Random(worker);
            var held = new List<NativeBlock>();
            for (int i = 0; i < 50_000; i++)
            {
                if (held.Count > 0 && random.Next(2) == 0)
                {
                    int at = random.Next(held.Count);
                    NativeBlock block = held[at];
                    Assert.True(block.Span.IndexOfAnyExcept((byte)(block.Length + worker)) < 0);
                    allocator.Free(block.Pointer, block.AllocatedLength);
                    held[at] = held[^1];
                    held.RemoveAt(held.Count - 1);
                }
                else
                {
                    NativeBlock block = allocator.Allocate(random.Next(1, 40_000));
                    block.Span.Fill((byte)(block.Length + worker));
                    held.Add(block);
                }
            }

            foreach (NativeBlock block in held)
            {
                allocator.Free(block.Pointer, block.AllocatedLength);
            }
        });

        allocator.CheckInvariants();
        Assert.Equal(0, allocator.AllocatedBytes);
        Assert.True(allocator.NativeBytes <= 4L * NativeSlabAllocator.SlabSize);
    }
}
