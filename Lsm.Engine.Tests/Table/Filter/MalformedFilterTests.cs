using FsCheck;
using FsCheck.Xunit;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Tests.Table.Filter;

/// <summary>
/// Filter blocks come from disk: whatever the bytes, creating and querying a reader must not
/// throw anything but CorruptionException. The implementation never throws at all, so these
/// tests assert exactly that (a stricter condition).
/// </summary>
public class MalformedFilterTests
{
    private static readonly byte[][] ProbeKeys =
    [
        [], "a"u8.ToArray(), "hello"u8.ToArray(), "world"u8.ToArray(), new byte[300], FilterTestKeys.Key(7),
    ];

    private static void QueryAll(ReadOnlyMemory<byte> contents)
    {
        FilterReader reader = FilterReader.Create(contents);
        Assert.NotNull(reader.Kind);
        Assert.Equal(contents.Length, reader.SizeBytes);
        foreach (byte[] key in ProbeKeys)
        {
            reader.KeyMayMatch(key);
        }

        for (int i = 0; i < 64; i++)
        {
            reader.KeyMayMatch(FilterTestKeys.Key(i * 7919));
        }
    }

    public static TheoryData<string> ValidFilters => new() { "fast-1", "fast-100", "fast-3000", "legacy-1", "legacy-3000" };

    private static byte[] MakeFilter(string name) => name switch
    {
        "fast-1" => FilterTestKeys.BuildFast(10, 0, 1, true),
        "fast-100" => FilterTestKeys.BuildFast(10, 0, 100, true),
        "fast-3000" => FilterTestKeys.BuildFast(16, 0, 3000, false),
        "legacy-1" => FilterTestKeys.BuildLegacy(10, 0, 1),
        "legacy-3000" => FilterTestKeys.BuildLegacy(10, 0, 3000),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(ValidFilters))]
    public void EveryTruncation_NeverThrows(string name)
    {
        byte[] filter = MakeFilter(name);
        for (int n = 0; n <= filter.Length; n++)
        {
            QueryAll(filter.AsMemory(0, n));              // cut at the end
            QueryAll(filter.AsMemory(filter.Length - n)); // cut at the start
        }
    }

    [Theory]
    [MemberData(nameof(ValidFilters))]
    public void EveryTrailerByteValue_NeverThrows(string name)
    {
        byte[] filter = MakeFilter(name);
        for (int pos = filter.Length - 5; pos < filter.Length; pos++)
        {
            byte original = filter[pos];
            for (int v = 0; v < 256; v++)
            {
                filter[pos] = (byte)v;
                QueryAll(filter);
            }

            filter[pos] = original;
        }
    }

    [Fact]
    public void AllMarkerAndProbeCombinations_OnShortBlocks_NeverThrow()
    {
        // Every (marker, byte+1, byte+2) for contents of 6..70 bytes, where lengths below a
        // cache line are most likely to trip bounds.
        var random = new Random(5);
        for (int total = 6; total <= 70; total += 4)
        {
            byte[] contents = new byte[total];
            random.NextBytes(contents);
            int len = total - 5;
            for (int marker = 0; marker < 256; marker++)
            {
                contents[len] = (byte)marker;
                for (int b = 0; b < 256; b += 3)
                {
                    contents[len + 1] = (byte)b;
                    contents[len + 2] = (byte)(b * 7);
                    contents[len + 3] = (byte)(b & 1);
                    contents[len + 4] = 0;
                    FilterReader reader = FilterReader.Create(contents);
                    reader.KeyMayMatch("k"u8);
                }
            }
        }
    }

    [Property(MaxTest = 2000)]
    public void RandomBytes_NeverThrow(byte[] contents)
    {
        QueryAll(contents);
    }

    [Property(MaxTest = 2000)]
    public void RandomBytesWithPlausibleTrailer_NeverThrow(byte[] body, byte marker, byte probes, uint numLines)
    {
        byte[] contents = new byte[body.Length + 5];
        body.CopyTo(contents, 0);
        contents[body.Length] = marker;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(contents.AsSpan(body.Length + 1), numLines);
        QueryAll(contents);

        // The same with a FastLocalBloom-looking trailer.
        contents[body.Length] = 0xFF;
        contents[body.Length + 1] = 0;
        contents[body.Length + 2] = probes;
        contents[body.Length + 3] = 0;
        contents[body.Length + 4] = 0;
        QueryAll(contents);

        // And a legacy one whose line count divides the length.
        contents[body.Length] = (byte)((probes % 127) + 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(
            contents.AsSpan(body.Length + 1), body.Length == 0 ? 1u : (uint)((numLines % body.Length) + 1));
        QueryAll(contents);
    }

    [Property(MaxTest = 300)]
    public void RandomCorruptionOfValidFilter_NeverThrows(PositiveInt position, byte value, bool legacy)
    {
        byte[] filter = legacy ? FilterTestKeys.BuildLegacy(10, 0, 50) : FilterTestKeys.BuildFast(10, 0, 50, true);
        filter[position.Get % filter.Length] = value;
        QueryAll(filter);
    }
}
