using Lsm.Engine.Hashing;
using Lsm.Engine.Table.Filter;
using Xunit.Abstractions;
using static Lsm.Engine.Tests.Table.Filter.FilterTestKeys;

namespace Lsm.Engine.Tests.Table.Filter;

/// <summary>
/// Known answers from RocksDB's util/bloom_test.cc (FullBloomTest with the FastLocalBloom and
/// LegacyBloom policies). Schema pins the exact filter bytes (through a BloomHash checksum of
/// the whole block) and the first false positives; RawSchema pins the reading side on
/// hand-made filter bits.
/// </summary>
public class BloomSchemaTests
{
    private readonly ITestOutputHelper _output;

    public BloomSchemaTests(ITestOutputHelper output) => _output = output;

    // FullBloomTest.Schema (optimize_filters_for_memory = false), FastLocalBloom expectations.
    [Theory]
    [InlineData(5, 0, 87, 3, 4130687756U, "31,38,40,43,61,83,86,112,125,131")]
    [InlineData(2, 0, 2087, 1, 3817481309U, "11,13,17,25,29,30,35,37,45,53")]
    [InlineData(3, 0, 2087, 2, 2807269961U, "4,15,17,24,27,28,29,53,63,70")]
    [InlineData(5, 0, 2087, 3, 204628445U, "15,24,29,39,53,87,89,100,103,104")]
    [InlineData(8, 0, 2087, 5, 355564975U, "16,60,66,126,220,238,244,256,265,287")]
    [InlineData(9, 0, 2087, 6, 2137566013U, "156,367,791,872,945,1015,1139,1159,1265")]
    [InlineData(11, 0, 2087, 7, 2561502687U, "34,74,130,236,643,882,962,1015,1035,1110")]
    [InlineData(14, 0, 2087, 8, 3709876890U, "130,240,522,565,989,2002,2526,3147,3543")]
    [InlineData(16, 0, 2087, 9, 1087138490U, "3299,3611,3916,6620,7822,8079,8482,8942")]
    [InlineData(10, 0, 2087, 6, 2498541272U, "16,126,133,422,466,472,813,1002,1035")]
    [InlineData(10, 1, 2087, 6, 2058382345U, "16,126,133,422,466,472,813,1002,1035")]
    [InlineData(10, 1, 2088, 6, 23699164U, "16,126,133,422,466,472,813,1002,1035")]
    [InlineData(9.5, 1, 2088, 6, 3166884174U, "126,156,367,444,458,791,813,976,1015")]
    [InlineData(10.499, 1, 2088, 7, 4098502778U, "16,236,240,472,1015,1045,1111,1409,1465")]
    public void FastLocalBloom_Schema_MatchesRocksDb(double bitsPerKey, int firstKey, int endKey, int probes, uint checksum, string firstFps)
    {
        byte[] filter = BuildFast(bitsPerKey, firstKey, endKey, optimizeFiltersForMemory: false);
        Assert.Equal(0xFF, filter[^5]);
        Assert.Equal(probes, filter[^3]);
        Assert.Equal(checksum, LegacyHash.BloomHash(filter));

        FilterReader reader = FilterReader.Create(filter);
        Assert.Equal(FilterReader.FastLocalBloomKind, reader.Kind);
        Assert.Equal(probes, reader.NumProbes);
        Assert.Equal(filter.Length, reader.SizeBytes);
        Assert.False(reader.Malformed);
        Assert.Equal(firstFps, FirstFPs(reader, firstFps.Count(c => c == ',') + 1));
        for (int i = firstKey; i < endKey; i++)
        {
            Assert.True(reader.KeyMayMatch(Key(i)));
        }
    }

    // FullBloomTest.Schema, LegacyBloom expectations for 64-byte cache lines (x86-64).
    [Theory]
    [InlineData(2, 0, 2087, 1, 1567096579U)]
    [InlineData(3, 0, 2087, 2, 2707206547U)]
    [InlineData(5, 0, 2087, 3, 515748486U)]
    [InlineData(8, 0, 2087, 5, 1302145999U)]
    [InlineData(9, 0, 2087, 6, 2092755149U)]
    [InlineData(11, 0, 2087, 7, 3755609649U)]
    [InlineData(14, 0, 2087, 9, 178861123U)]
    [InlineData(16, 0, 2087, 11, 1129406313U)]
    [InlineData(10, 0, 2087, 6, 1478976371U)]
    [InlineData(10, 1, 2087, 6, 4205696321U)]
    [InlineData(10, 1, 2088, 6, 2885052954U)]
    [InlineData(9.5, 1, 2088, 6, 2885052954U)]
    [InlineData(10.499, 1, 2088, 6, 2885052954U)]
    public void LegacyBloom_Schema_MatchesRocksDb(double bitsPerKey, int firstKey, int endKey, int probes, uint checksum)
    {
        byte[] filter = BuildLegacy(bitsPerKey, firstKey, endKey);
        Assert.Equal(probes, filter[^5]);
        Assert.Equal(checksum, LegacyHash.BloomHash(filter));

        FilterReader reader = FilterReader.Create(filter);
        Assert.Equal(FilterReader.LegacyBloomKind, reader.Kind);
        Assert.Equal(probes, reader.NumProbes);
        Assert.Equal(64, Assert.IsType<LegacyBloomReader>(reader).LineBytes);
        for (int i = firstKey; i < endKey; i++)
        {
            Assert.True(reader.KeyMayMatch(Key(i)));
        }
    }

    [Fact]
    public void LegacyBloom_SmallSchema_UsesThreeProbes()
    {
        byte[] filter = BuildLegacy(5, 0, 87);
        Assert.Equal(3, filter[^5]);
        Assert.Equal(3, FilterReader.Create(filter).NumProbes);
    }

    // FullBloomTest.RawSchema: reading hand-made filter bits ("weird fill", ~50% FP rate).
    [Theory]
    [InlineData(256U, 1U, 2U, 11384799501900898790UL, FilterReader.LegacyBloomKind)] // one 256-byte line
    [InlineData(256U, 2U, 2U, 10157853359773492589UL, FilterReader.LegacyBloomKind)] // two 128-byte lines
    [InlineData(256U, 4U, 2U, 7123594913907464682UL, FilterReader.LegacyBloomKind)]  // four 64-byte lines
    [InlineData(256U, 2U << 8, 255U, 9957045189927952471UL, FilterReader.FastLocalBloomKind)] // marker -1, 2 probes
    public void RawSchema_PackedMatches_MatchRocksDb(uint len, uint numLines, uint probes, ulong expected, string kind)
    {
        FilterReader reader = FilterReader.Create(RawFilter(len, numLines, probes, fill: null));
        Assert.Equal(kind, reader.Kind);
        Assert.Equal(expected, PackedMatches(reader));
    }

    // FullBloomTest.RawSchema Ribbon cases: recognised, but not evaluated (always may-match).
    [Theory]
    [InlineData(32U)]
    [InlineData(112U)]
    public void RawSchema_Ribbon_IsAlwaysMayMatch(uint len)
    {
        FilterReader reader = FilterReader.Create(RawFilter(len, 2U << 8, 254, fill: null));
        Assert.Equal(FilterReader.RibbonKind, reader.Kind);
        Assert.False(reader.Malformed);
        Assert.Equal(ulong.MaxValue, PackedMatches(reader));
    }

    // FullBloomTest.FullEmptyFilter / FullSmall (default options: optimize_filters_for_memory on).
    [Fact]
    public void EmptyFilter_NeverMatches()
    {
        var builder = new FullFilterBuilder(10);
        byte[] filter = builder.Finish();
        Assert.Empty(filter);
        FilterReader reader = FilterReader.Create(filter);
        Assert.Equal(FilterReader.EmptyKind, reader.Kind);
        Assert.False(reader.KeyMayMatch("hello"u8));
        Assert.False(reader.KeyMayMatch("world"u8));
    }

    [Fact]
    public void SmallFilter_MatchesAddedKeysOnly()
    {
        var builder = new FullFilterBuilder(10);
        builder.AddKey("hello"u8);
        builder.AddKey("world"u8);
        FilterReader reader = FilterReader.Create(builder.Finish());
        Assert.True(reader.KeyMayMatch("hello"u8));
        Assert.True(reader.KeyMayMatch("world"u8));
        Assert.False(reader.KeyMayMatch("x"u8));
        Assert.False(reader.KeyMayMatch("foo"u8));
    }

    // FullBloomTest.FullVaryingLengths.
    [Fact]
    public void VaryingLengths_SizeAndFalsePositiveRate()
    {
        int mediocre = 0;
        int good = 0;
        for (int length = 1; length <= 10000; length = NextLength(length))
        {
            byte[] filter = BuildFast(10, 0, length, optimizeFiltersForMemory: false);
            Assert.True(filter.Length <= (length * 10 / 8) + (64 * 2) + 5, $"length {length}: {filter.Length} bytes");
            FilterReader reader = FilterReader.Create(filter);
            for (int i = 0; i < length; i++)
            {
                Assert.True(reader.KeyMayMatch(Key(i)), $"length {length}, key {i}");
            }

            double rate = FalsePositiveRate(reader);
            Assert.True(rate <= 0.02, $"length {length}: FP rate {rate}");
            if (rate > 0.0125)
            {
                mediocre++;
            }
            else
            {
                good++;
            }
        }

        _output.WriteLine($"Filters: {good} good, {mediocre} mediocre");
        Assert.True(mediocre <= good / 5);
    }

    private static int NextLength(int length) => length switch
    {
        < 10 => length + 1,
        < 100 => length + 10,
        < 1000 => length + 100,
        _ => length + 1000,
    };

    // FullBloomTest.CorruptFilters, ported. Deviation: contents of 1..5 bytes, which RocksDB
    // reads as "built from zero keys" (always false), are treated here as malformed and answer
    // "may match" (an empty block is still always false).
    [Fact]
    public void CorruptFilters_BehaveLikeRocksDb()
    {
        foreach (bool fill in new[] { false, true })
        {
            byte fillByte = fill ? (byte)0xff : (byte)0;

            void ExpectSameAsFill(uint len, uint numLines, uint probes)
            {
                FilterReader r = FilterReader.Create(RawFilter(len, numLines, probes, fillByte));
                Assert.Equal(fill, r.KeyMayMatch("hello"u8));
                Assert.Equal(fill, r.KeyMayMatch("world"u8));
            }

            void ExpectTrue(uint len, uint numLines, uint probes)
            {
                FilterReader r = FilterReader.Create(RawFilter(len, numLines, probes, fillByte));
                Assert.True(r.KeyMayMatch("hello"u8));
                Assert.True(r.KeyMayMatch("world"u8));
            }

            // Legacy Bloom: good geometry.
            ExpectSameAsFill(64, 1, 6);
            ExpectSameAsFill(64 * 3, 3, 6);
            ExpectSameAsFill(256 * 3, 3, 6);
            ExpectSameAsFill(64, 1, 30);
            ExpectSameAsFill(64, 1, 1);
            // Zero probes: always true.
            ExpectTrue(64, 1, 0);
            // RocksDB: always false (treated as empty); here: malformed, may match.
            ExpectTrue(0, 0, 6);
            ExpectTrue(0, 37, 6);
            ExpectTrue(0, 0, 0);
            ExpectTrue(uint.MaxValue, 3, 6);
            // A zero-length block is the empty filter: always false, as in RocksDB.
            Assert.False(FilterReader.Create(RawFilter(unchecked((uint)-5), 3, 6, fillByte)).KeyMayMatch("hello"u8));
            // Inconsistent geometry: always true.
            ExpectTrue(64, 0, 6);
            ExpectTrue(4, 3, 6);
            ExpectTrue(97 * 3, 3, 6);
            ExpectTrue(65 * 3, 3, 6);
            // Dubious but accepted probe counts.
            ExpectSameAsFill(64, 1, 31);
            ExpectSameAsFill(64, 1, 127);
            // Negative markers other than -1/-2: reserved, always true.
            ExpectTrue(64, 1, 128);
            ExpectTrue(64, 1, 253);

            // FastLocalBloom (marker 255 = -1).
            ExpectSameAsFill(64, 6U << 8, 255);
            ExpectTrue(64, (6U << 8) | 1U, 255);
            ExpectTrue(64, (6U << 8) | (1U << 16), 255);
            ExpectTrue(64, (6U << 8) | (1U << 24), 255);
            ExpectSameAsFill(64, 30U << 8, 255);
            ExpectTrue(64, 31U << 8, 255);
            ExpectTrue(64, 33U << 8, 255);
            ExpectTrue(64, 66U << 8, 255);
            ExpectTrue(64, 130U << 8, 255);
        }

        Assert.True(FilterReader.Create(RawFilter(0, 0, 6, 0)).Malformed);
        Assert.True(FilterReader.Create(RawFilter(4, 3, 6, 0)).Malformed);
        Assert.False(FilterReader.Create(RawFilter(64, 1, 0, 0)).Malformed);
        Assert.Equal(FilterReader.ZeroProbesKind, FilterReader.Create(RawFilter(64, 1, 0, 0)).Kind);
        Assert.Equal(FilterReader.UnknownKind, FilterReader.Create(RawFilter(64, 31U << 8, 255, 0)).Kind);
        // RocksDB's "always true" output of a failed construction check: six zero bytes.
        Assert.Equal(FilterReader.ZeroProbesKind, FilterReader.Create(new byte[6]).Kind);
    }

    [Fact]
    public void FastLocalBloom_ShortBitArray_IsMalformed()
    {
        // -1 marker with fewer than 64 filter bytes: RocksDB would read past the block.
        for (uint len = 1; len < 64; len++)
        {
            FilterReader reader = FilterReader.Create(RawFilter(len, 6U << 8, 255, 0));
            Assert.True(reader.Malformed);
            Assert.True(reader.KeyMayMatch("hello"u8));
        }
    }
}
