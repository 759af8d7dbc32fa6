using Lsm.Engine.Hashing;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Tests.Table.Filter;

public class FastLocalBloomTests
{
    // FullBloomTest.FilterSize: bits/key sanitising and millibit rounding.
    [Theory]
    [InlineData(double.NegativeInfinity, 0)]
    [InlineData(0.0, 0)]
    [InlineData(0.499, 0)]
    [InlineData(0.5, 1000)]
    [InlineData(1.234, 1234)]
    [InlineData(3.456, 3456)]
    [InlineData(9.5, 9500)]
    [InlineData(10.0, 10000)]
    [InlineData(10.499, 10499)]
    [InlineData(21.345, 21345)]
    [InlineData(99.999, 99999)]
    [InlineData(1234.0, 100000)]
    [InlineData(double.PositiveInfinity, 100000)]
    [InlineData(double.NaN, 100000)]
    public void ToMillibitsPerKey_MatchesRocksDb(double bitsPerKey, int expected)
    {
        Assert.Equal(expected, FastLocalBloom.ToMillibitsPerKey(bitsPerKey));
        // Also after a round trip that perturbs the last bits (e.g. 9.5 -> 9.499999999999998).
        double computed = ((bitsPerKey + 0.5) / 1234567.0 * 1234567.0) - 0.5;
        Assert.Equal(expected, FastLocalBloom.ToMillibitsPerKey(computed));
        Assert.Equal((expected + 500) / 1000, LegacyBloom.WholeBitsPerKey(expected));
    }

    [Theory]
    [InlineData(1000, 1)]
    [InlineData(2080, 1)]
    [InlineData(2081, 2)]
    [InlineData(3580, 2)]
    [InlineData(5100, 3)]
    [InlineData(6640, 4)]
    [InlineData(8300, 5)]
    [InlineData(10000, 6)]
    [InlineData(10070, 6)]
    [InlineData(10071, 7)]
    [InlineData(11720, 7)]
    [InlineData(14001, 8)]
    [InlineData(16050, 9)]
    [InlineData(18300, 10)]
    [InlineData(22001, 11)]
    [InlineData(25501, 12)]
    [InlineData(28000, 12)]
    [InlineData(28001, 13)]
    [InlineData(50000, 23)]
    [InlineData(50001, 24)]
    [InlineData(100000, 24)]
    [InlineData(512000, 24)]
    public void ChooseNumProbes_MatchesRocksDb(int millibits, int probes)
    {
        Assert.Equal(probes, FastLocalBloom.ChooseNumProbes(millibits));
    }

    [Theory]
    [InlineData(1, 10000, 64 + 5)]
    [InlineData(51, 10000, 64 + 5)]
    [InlineData(52, 10000, 128 + 5)]
    [InlineData(2087, 10000, 2624 + 5)]
    [InlineData(100000, 10000, 125056 + 5)]
    [InlineData(3, 1000, 64 + 5)]
    public void CalculateSpace_RoundsUpToCacheLines(long entries, int millibits, long expected)
    {
        Assert.Equal(expected, FastLocalBloom.CalculateSpace(entries, millibits));
    }

    [Fact]
    public void OptimizeFiltersForMemory_ChoosesProbesFromActualDensity()
    {
        // 1 key at 10 bits/key gets a whole 64-byte block: 512 bits/key -> 24 probes with
        // optimize_filters_for_memory (RocksDB 11 default), 6 probes without.
        var withOffm = new FullFilterBuilder(10);
        withOffm.AddKey("k"u8);
        Assert.Equal(24, FilterReader.Create(withOffm.Finish()).NumProbes);

        var withoutOffm = new FullFilterBuilder(10, optimizeFiltersForMemory: false);
        withoutOffm.AddKey("k"u8);
        Assert.Equal(6, FilterReader.Create(withoutOffm.Finish()).NumProbes);

        // 100 keys: 125 bytes -> 128, i.e. 10.24 bits/key -> 7 probes instead of 6.
        Assert.Equal(7, FilterReader.Create(FilterTestKeys.BuildFast(10, 0, 100, true)).NumProbes);
        Assert.Equal(6, FilterReader.Create(FilterTestKeys.BuildFast(10, 0, 100, false)).NumProbes);
    }

    [Fact]
    public void Builder_TrailerLayout()
    {
        var builder = new FullFilterBuilder(10, optimizeFiltersForMemory: false);
        for (int i = 0; i < 1000; i++)
        {
            builder.AddKey(FilterTestKeys.Key(i));
        }

        Assert.Equal(1000, builder.KeyCount);
        Assert.Equal(1280 + 5, builder.EstimatedSize);
        byte[] filter = builder.Finish();
        Assert.Equal(1280 + 5, filter.Length);
        Assert.Equal(new byte[] { 0xFF, 0x00, 6, 0, 0 }, filter[^5..]);
        Assert.Equal(0, builder.KeyCount);
    }

    [Fact]
    public void Builder_CollapsesAdjacentDuplicatesOnly()
    {
        var builder = new FullFilterBuilder(10);
        builder.AddKey("a"u8);
        builder.AddKey("a"u8);
        builder.AddKey("b"u8);
        builder.AddKey("a"u8);
        Assert.Equal(3, builder.KeyCount);
    }

    [Fact]
    public void Builder_AddKeyAndAlt_DeduplicatesLikeRocksDb()
    {
        var builder = new FullFilterBuilder(10);
        // Prefix "ab" of "abc" and "abd": the prefix goes in once, before the first key.
        builder.AddKeyAndAlt("abc"u8, "ab"u8);
        builder.AddKeyAndAlt("abd"u8, "ab"u8);
        Assert.Equal(3, builder.KeyCount);
        // A key equal to its own prefix goes in once.
        builder.AddKeyAndAlt("x"u8, "x"u8);
        Assert.Equal(4, builder.KeyCount);
        FilterReader reader = FilterReader.Create(builder.Finish());
        foreach (string k in new[] { "abc", "abd", "ab", "x" })
        {
            Assert.True(reader.KeyMayMatch(System.Text.Encoding.ASCII.GetBytes(k)));
        }
    }

    [Fact]
    public void Builder_ResetAndReuse_GivesIdenticalOutput()
    {
        var builder = new FullFilterBuilder(7.5);
        for (int i = 0; i < 5000; i++)
        {
            builder.AddKey(FilterTestKeys.Key(i));
        }

        byte[] first = builder.Finish();
        builder.AddKey("junk"u8);
        builder.Reset();
        for (int i = 0; i < 5000; i++)
        {
            builder.AddKey(FilterTestKeys.Key(i));
        }

        Assert.Equal(first, builder.Finish());
    }

    [Fact]
    public void Builder_RejectsNoFilterDensity()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FullFilterBuilder(0.4));
        Assert.Equal(1000, new FullFilterBuilder(0.5).MillibitsPerKey);
    }

    [Fact]
    public void HashMayMatch_UsesLowerHalfForBlockAndUpperForBits()
    {
        byte[] bits = new byte[64 * 4];
        ulong hash = Xxph3.GetSliceHash64("key"u8);
        FastLocalBloom.AddHash(hash, 6, bits);
        int block = FastLocalBloom.BlockOffset((uint)hash, (uint)bits.Length);
        for (int i = 0; i < bits.Length; i++)
        {
            if (i < block || i >= block + 64)
            {
                Assert.Equal(0, bits[i]);
            }
        }

        Assert.True(FastLocalBloom.HashMayMatch(hash, 6, bits));
        Assert.True(FastLocalBloom.HashMayMatch((uint)hash, (uint)(hash >> 32), 6, bits));
    }

    [Fact]
    public void AddKey_DoesNotAllocate()
    {
        var builder = new FullFilterBuilder(10);
        byte[] key = new byte[16];
        builder.AddKey(key); // first call rents the buffer
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            key[0] = (byte)i;
            key[1] = (byte)(i >> 8);
            builder.AddKey(key);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());

        FilterReader reader = FilterReader.Create(builder.Finish());
        reader.KeyMayMatch(key);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            key[0] = (byte)i;
            reader.KeyMayMatch(key);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
