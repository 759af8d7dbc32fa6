using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Table;

/// <summary>
/// A damaged table never yields wrong data or an unexpected exception: every flipped bit is either detected
/// (a <see cref="CorruptionException"/> naming the file and an offset inside it) or provably harmless
/// (the table still reads back exactly what was written).
/// </summary>
public sealed class TableCorruptionTests
{
    private static readonly TableOptions SmallBlocks = new() { BlockSize = 256, BlockRestartInterval = 4 };

    public static TheoryData<int, bool, ChecksumType> FlipCases() => new()
    {
        { 6, true, ChecksumType.Xxh3 },
        { 6, false, ChecksumType.Crc32C },
        { 5, true, ChecksumType.Crc32C },
        { 5, false, ChecksumType.XxHash64 },
    };

    [Theory]
    [MemberData(nameof(FlipCases))]
    public void EveryBitFlip_IsDetectedOrHarmless(int formatVersion, bool lz4, ChecksumType checksum)
    {
        var options = SmallBlocks with
        {
            FormatVersion = formatVersion,
            Compression = lz4 ? CompressionType.Lz4 : CompressionType.None,
            Checksum = checksum,
        };
        List<TestEntry> entries = TestEntries.Random(formatVersion * 10 + (lz4 ? 1 : 0), 40, maxValueLength: 40);
        byte[] table = Build(entries, options);
        List<(byte[] Key, byte[] Value)> expected = ReadAll(table);

        int detected = 0;
        int harmless = 0;
        for (int bit = 0; bit < table.Length * 8; bit++)
        {
            byte[] damaged = (byte[])table.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            if (ReadsBackOrThrowsCorruption(damaged, expected, table.Length))
            {
                harmless++;
            }
            else
            {
                detected++;
            }
        }

        // Only unchecked padding may be harmless: at most the version <= 5 footer's handle padding.
        Assert.True(detected > table.Length * 8 * 0.9, $"detected {detected}, harmless {harmless} of {table.Length * 8}");
    }

    [Fact]
    public void SampledBitFlips_InRocksDbWrittenTable_AreDetectedOrHarmless()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rocks.sst");
        List<TestEntry> entries = TestEntries.Random(5, 3000);
        RocksDbOracle.WriteSst(path, entries, compression: RocksDbSharp.Compression.Lz4);
        byte[] table = File.ReadAllBytes(path);
        List<(byte[] Key, byte[] Value)> expected = ReadAll(table);
        var random = new Random(11);
        int detected = 0;
        for (int i = 0; i < 3000; i++)
        {
            int bit = random.Next(table.Length * 8);
            byte[] damaged = (byte[])table.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            if (!ReadsBackOrThrowsCorruption(damaged, expected, table.Length))
            {
                detected++;
            }
        }

        Assert.True(detected > 2900, $"detected {detected} of 3000");
    }

    [Fact]
    public void EveryTruncation_IsCorruption()
    {
        byte[] table = Build(TestEntries.Random(3, 30, maxValueLength: 30), SmallBlocks);
        for (int length = 0; length < table.Length; length++)
        {
            var ex = Assert.Throws<CorruptionException>(() => ReadAll(table.AsSpan(0, length).ToArray()));
            Assert.Equal("sst", ex.FilePath);
        }
    }

    [Fact]
    public void RandomBytes_AreCorruption()
    {
        var random = new Random(1);
        foreach (int length in new[] { 0, 1, 52, 53, 54, 100, 4096, 100_000 })
        {
            byte[] junk = new byte[length];
            random.NextBytes(junk);
            Assert.Throws<CorruptionException>(() => ReadAll(junk));
        }
    }

    [Fact]
    public void WrongMagic_IsCorruptionAtTheMagicOffset()
    {
        byte[] table = Build(TestEntries.Random(3, 10), SmallBlocks);
        table[^1] ^= 0xFF;
        var ex = Assert.Throws<CorruptionException>(() => ReadAll(table));
        Assert.Equal(table.Length - 8, ex.Offset);
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsurdBlockHandle_IsCorruption()
    {
        // A version 5 footer names the metaindex by handle: point it far past the end of the file.
        byte[] table = Build(TestEntries.Random(3, 10), SmallBlocks with { FormatVersion = 5 });
        int part2 = table.Length - TableFormat.FooterLength + 1;
        Span<byte> handle = stackalloc byte[BlockHandle.MaxEncodedLength];
        int n = new BlockHandle(1UL << 40, 1UL << 39).EncodeTo(handle);
        table.AsSpan(part2, TableFormat.FooterPart2Length).Clear();
        handle[..n].CopyTo(table.AsSpan(part2));
        var ex = Assert.Throws<CorruptionException>(() => ReadAll(table));
        Assert.Contains("outside the table", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlockMovedWithinFile_IsDetectedByContextChecksum()
    {
        // Format 6 checksums depend on a block's offset: swap two identical-size data blocks' bytes.
        var options = new TableOptions { BlockSize = 128, BlockRestartInterval = 1, Compression = CompressionType.None, FormatVersion = 6 };
        var entries = new List<TestEntry>();
        for (int i = 0; i < 40; i++)
        {
            entries.Add(new TestEntry(System.Text.Encoding.ASCII.GetBytes($"k{i:D4}"), ValueKind.Value, new byte[40]));
        }

        byte[] table = Build(entries, options);
        using var reader = TableReader.Open(new MemoryFile("sst", table), ownsFile: true);
        var index = new BlockIterator();
        index.Reset(reader.IndexBlock, reader.IndexOrder, reader.IndexFormat, isIndex: true);
        index.SeekToFirst();
        BlockHandle first = index.Handle;
        index.Next();
        BlockHandle second = index.Handle;
        Assert.Equal(first.Size, second.Size);
        int length = (int)first.Size + TableFormat.BlockTrailerSize;
        byte[] swapped = (byte[])table.Clone();
        table.AsSpan((int)first.Offset, length).CopyTo(swapped.AsSpan((int)second.Offset));
        table.AsSpan((int)second.Offset, length).CopyTo(swapped.AsSpan((int)first.Offset));
        var ex = Assert.Throws<CorruptionException>(() => ReadAll(swapped));
        Assert.Equal((long)first.Offset, ex.Offset);
    }

    /// <summary>
    /// True when the damaged table reads back exactly as expected; false when it throws a CorruptionException
    /// whose offset lies inside the file. Anything else fails the test.
    /// </summary>
    private static bool ReadsBackOrThrowsCorruption(byte[] damaged, List<(byte[] Key, byte[] Value)> expected, int fileLength)
    {
        try
        {
            List<(byte[] Key, byte[] Value)> actual = ReadAll(damaged);
            Assert.Equal(expected.Count, actual.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Key, actual[i].Key);
                Assert.Equal(expected[i].Value, actual[i].Value);
            }

            return true;
        }
        catch (CorruptionException e)
        {
            Assert.Equal("sst", e.FilePath);
            Assert.InRange(e.Offset, 0, fileLength);
            return false;
        }
    }

    private static byte[] Build(List<TestEntry> entries, TableOptions options)
    {
        var file = new MemoryFile("sst");
        using (var builder = new TableBuilder(file, options, TableBuilderContext.External("TESTSESSION")))
        {
            foreach (TestEntry e in entries)
            {
                builder.Add(InternalKey.Create(e.Key, 0, e.Kind), e.Value);
            }

            builder.Finish();
        }

        return file.ToArray();
    }

    /// <summary>Opens, verifies, scans forwards and backwards, and gets every key: everything a reader can do.</summary>
    private static List<(byte[] Key, byte[] Value)> ReadAll(byte[] table)
    {
        using var reader = TableReader.Open(new MemoryFile("sst", table), ownsFile: true);
        var result = new List<(byte[] Key, byte[] Value)>();
        TableIterator it = reader.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            result.Add((it.Key.ToArray(), it.Value.ToArray()));
        }

        int back = result.Count;
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            back--;
            Assert.True(back >= 0 && it.Key.SequenceEqual(result[back].Key), "backward scan disagrees with forward scan");
        }

        Assert.Equal(0, back);
        TableIterator scratch = reader.NewIterator();
        foreach ((byte[] key, byte[] value) in result)
        {
            Assert.True(reader.TryGet(InternalKey.UserKey(key), InternalKey.MaxSequence, scratch, out _, out ReadOnlySpan<byte> found));
            Assert.True(found.SequenceEqual(value));
        }

        return result;
    }
}
