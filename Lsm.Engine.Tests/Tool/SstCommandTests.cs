using Lsm.Engine.Tests.Support;
using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

/// <summary>
/// The <c>lsm sst</c> commands, driven through <see cref="LsmCli.Run"/> exactly as the executable drives them:
/// write, verify, dump, get; corrupted, missing and RocksDB-written files.
/// </summary>
public sealed class SstCommandTests
{
    private static LsmResult Lsm(params string[] args) => LsmRun.Run(args);

    private static string WriteTable(TempDirectory dir, int count, params string[] options)
    {
        string path = dir.File("tool.sst");
        LsmResult write = Lsm(["sst", "write", path, "--count", count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. options]);
        Assert.True(write.ExitCode == 0, write.Stderr);
        return path;
    }

    [Fact]
    public void Write_Count_CreatesReadableExternalFile()
    {
        using var dir = new TempDirectory();
        string path = dir.File("w.sst");

        LsmResult result = Lsm("sst", "write", path, "--count", "500");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains(path, result.Stdout, StringComparison.Ordinal);
        Assert.Contains("500 entries", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(new FileInfo(path).Length + " bytes", result.Stdout, StringComparison.Ordinal);
        using var sst = SstFile.Open(path);
        Assert.Equal(500UL, sst.Properties.NumEntries);
        Assert.Equal(2, sst.Properties.ExternalFileVersion);
        Assert.True(sst.TryGet("key00000499"u8, out ValueKind kind, out byte[] value));
        Assert.Equal(ValueKind.Value, kind);
        Assert.Equal("value00000499", System.Text.Encoding.ASCII.GetString(value));
    }

    [Fact]
    public void Write_Options_AreRecordedInTheFile()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(
            dir, 300, "--block-size", "256", "--bloom-bits", "0", "--compression", "none", "--checksum", "crc32c", "--format-version", "5");

        using var sst = SstFile.Open(path);
        Assert.Equal(5, sst.Footer.FormatVersion);
        Assert.Equal(ChecksumType.Crc32C, sst.Footer.Checksum);
        Assert.Null(sst.Filter);
        Assert.True(sst.Properties.NumDataBlocks > 10);
        Assert.All(sst.ReadBlocks(), b => Assert.Equal(CompressionType.None, b.Compression));
    }

    [Fact]
    public void Write_ToolFile_IsIngestedByRocksDb()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 2000, "--checksum", "xxhash64");

        using RocksDbSharp.RocksDb db = RocksDbOracle.IngestIntoNewDb(dir.File("db"), path);

        Assert.Equal("value00001234", db.Get("key00001234"));
        Assert.Null(db.Get("key00002000"));
    }

    [Theory]
    [InlineData("--count", "0")]
    [InlineData("--format-version", "7")]
    [InlineData("--compression", "zstd")]
    [InlineData("--checksum", "md5")]
    [InlineData("--block-size", "10")]
    [InlineData("--bloom-bits", "-1")]
    public void Write_InvalidOption_ExitsTwoWithMessageAndNoFile(string option, string value)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.sst");

        LsmResult result = Lsm("sst", "write", path, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(value, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Write_MissingDirectory_ExitsTwoWithMessage()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "no", "such", "dir", "x.sst");

        LsmResult result = Lsm("sst", "write", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_CleanFile_ExitsZeroWithCounts()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 1000);
        using var sst = SstFile.Open(path);
        int blocks = sst.ReadBlocks().Count;

        LsmResult result = Lsm("sst", "verify", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"OK: {path} ({blocks} blocks, 1000 entries)", result.Stdout.TrimEnd());
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void Verify_ByteFlippedInFirstDataBlock_ExitsOneNamingFileAndOffset()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 1000);
        SstBlockInfo first;
        using (var sst = SstFile.Open(path))
        {
            first = sst.ReadBlocks().First(b => b.Kind == "data");
        }

        byte[] bytes = File.ReadAllBytes(path);
        bytes[first.Offset + (first.Size / 2)] ^= 0x5A;
        File.WriteAllBytes(path, bytes);

        LsmResult result = Lsm("sst", "verify", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith($"corruption: {path} at offset {first.Offset}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("checksum", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_TruncatedFile_ExitsOne()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 100);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);

        LsmResult result = Lsm("sst", "verify", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("corruption: " + path, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_MissingFile_ExitsTwoWithClearMessage()
    {
        using var dir = new TempDirectory();
        string path = dir.File("missing.sst");

        LsmResult result = Lsm("sst", "verify", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {path}: no such file", result.Stderr.TrimEnd());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void Verify_Directory_ExitsTwoWithClearMessage()
    {
        using var dir = new TempDirectory();

        LsmResult result = Lsm("sst", "verify", dir.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a directory", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_MissingFile_ExitsNonZeroWithClearMessage()
    {
        using var dir = new TempDirectory();
        string path = dir.File("missing.sst");

        LsmResult result = Lsm("sst", "dump", path);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no such file", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(path, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_WrittenFile_PrintsFooterPropertiesBlocksAndFilter()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 1000);
        using var sst = SstFile.Open(path);
        IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();

        LsmResult result = Lsm("sst", "dump", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        string o = result.Stdout;
        Assert.Contains("size  " + sst.FileSize + " B", o, StringComparison.Ordinal);

        // Footer.
        Assert.Matches(@"format version\s+6", o);
        Assert.Matches(@"checksum\s+xxh3", o);
        Assert.Contains($"index handle           offset {sst.Footer.IndexOffset}, size {sst.Footer.IndexSize}", o, StringComparison.Ordinal);
        Assert.Contains($"0x{sst.Footer.BaseContextChecksum:X8}", o, StringComparison.Ordinal);

        // Typed summary and every raw property, numbers decoded.
        Assert.Matches(@"\n  entries\s+1000\n", o);
        Assert.Matches(@"comparator\s+leveldb.BytewiseComparator", o);
        Assert.Matches(@"smallest key\s+key00000000#0,SET", o);
        Assert.Matches(@"largest key\s+key00000999#0,SET", o);
        Assert.Matches(@"external file\s+yes: version 2, global seqno 0", o);
        Assert.Contains($"properties ({sst.Properties.Raw.Count})", o, StringComparison.Ordinal);
        foreach (string name in sst.Properties.Raw.Keys)
        {
            Assert.Contains("  " + name + " ", o, StringComparison.Ordinal);
        }

        Assert.Matches(@"rocksdb\.num\.entries\s+1000\n", o);
        Assert.Matches(@"rocksdb\.raw\.key\.size\s+19000\n", o);
        Assert.Matches(@"rocksdb\.external_sst_file\.version\s+2\n", o);
        Assert.Matches(@"rocksdb\.creating\.db\.identity\s+SST Writer\n", o);

        // The block table: a header, then one aligned row per block.
        Assert.Contains($"blocks ({blocks.Count})", o, StringComparison.Ordinal);
        Assert.Matches(@"#\s+kind\s+offset\s+size\s+compression\s+uncompressed\s+entries", o);
        SstBlockInfo data = blocks[0];
        Assert.Matches($@"\n\s+0  data\s+{data.Offset}\s+{data.Size}  lz4\s+{data.UncompressedSize}\s+{data.Entries}\n", o);
        Assert.Matches(@"\d+  index\s+\d+", o);
        Assert.Matches(@"\d+  metaindex\s+\d+", o);
        Assert.Matches(@"\d+  rocksdb\.properties\s+\d+", o);
        Assert.Contains("data: " + sst.Properties.NumDataBlocks + " blocks, 1000 entries", o, StringComparison.Ordinal);

        // Filter stats.
        SstFilterInfo filter = Assert.NotNull(sst.Filter);
        Assert.Matches($@"meta block\s+{filter.MetaBlockName}", o);
        Assert.Matches($@"kind\s+{filter.Kind}", o);
        Assert.Matches($@"probes\s+{filter.NumProbes}", o);
        Assert.Matches(@"bits per key\s+\d+\.\d\d", o);

        // No entries without --keys.
        Assert.DoesNotContain("=> value", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_Keys_ListsEveryEntryInTextForm()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 250);

        LsmResult result = Lsm("sst", "dump", path, "--keys");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("key00000000#0,SET => value00000000\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("key00000249#0,SET => value00000249\n", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("250 entries listed", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(250, result.Stdout.Split('\n').Count(l => l.Contains("#0,SET => ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dump_FromAndLimit_ListsOnlyThatRange()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 250);

        LsmResult result = Lsm("sst", "dump", path, "--from", "key00000100", "--limit", "3", "--no-blocks");

        Assert.Equal(0, result.ExitCode);
        string[] listed = result.Stdout.Split('\n').Where(l => l.Contains("#0,SET => ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(
            ["  key00000100#0,SET => value00000100", "  key00000101#0,SET => value00000101", "  key00000102#0,SET => value00000102"],
            listed);
        Assert.Contains("stopped after 3 entries", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("blocks (", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_MaxValue_TruncatesValues()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 5);

        LsmResult result = Lsm("sst", "dump", path, "--keys", "--max-value", "5");

        Assert.Contains("key00000003#0,SET => value... (13 bytes)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_CorruptedFile_ExitsOneAfterWhatItCouldRead()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 1000);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[10] ^= 0xFF;
        File.WriteAllBytes(path, bytes);

        LsmResult result = Lsm("sst", "dump", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("properties (", result.Stdout, StringComparison.Ordinal);
        Assert.StartsWith($"corruption: {path} at offset 0: ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData(5, ChecksumType.Crc32C, true)]
    [InlineData(6, ChecksumType.XxHash64, false)]
    [InlineData(7, ChecksumType.Xxh3, true)]
    public void RocksDbFile_DumpsAndVerifies(int? formatVersion, ChecksumType? checksum, bool lz4)
    {
        using var dir = new TempDirectory();
        string path = dir.File("rocks.sst");
        List<TestEntry> entries = TestEntries.Random(42, 1500);
        RocksDbOracle.WriteSst(
            path, entries, formatVersion, checksum, 10, lz4 ? RocksDbSharp.Compression.Lz4 : RocksDbSharp.Compression.No);

        LsmResult verify = Lsm("sst", "verify", path);
        LsmResult dump = Lsm("sst", "dump", path, "--keys", "--max-value", "8");

        Assert.True(verify.ExitCode == 0, verify.Stderr);
        Assert.EndsWith(" 1500 entries)", verify.Stdout.TrimEnd(), StringComparison.Ordinal);
        Assert.True(dump.ExitCode == 0, dump.Stderr);
        string o = dump.Stdout;
        Assert.Matches($@"format version\s+{formatVersion ?? 7}\n", o);
        Assert.Matches(@"\n  entries\s+1500\n", o);
        Assert.Matches($@"deletions\s+{entries.Count(e => e.Kind == ValueKind.Deletion)}\n", o);
        Assert.Matches($@"merge operands\s+{entries.Count(e => e.Kind == ValueKind.Merge)}\n", o);
        Assert.Matches(@"rocksdb\.creating\.db\.identity\s+SST Writer\n", o);
        Assert.Matches(@"\d+  data\s+\d+", o);
        Assert.Matches(@"kind\s+FastLocalBloom", o);
        Assert.Contains("1500 entries listed", o, StringComparison.Ordinal);
        Assert.Contains(",MERGE => ", o, StringComparison.Ordinal);
        Assert.Matches(@"#0,DEL\n", o);

        // The first entry's key and the smallest key agree with the iterator.
        using var sst = SstFile.Open(path);
        using SstIterator it = sst.NewIterator();
        it.SeekToFirst();
        Assert.Matches(@"smallest key\s+" + System.Text.RegularExpressions.Regex.Escape(it.FormatKey()) + "\n", o);
    }

    [Fact]
    public void RocksDbFile_ZlibCompressed_VerifyExitsThreeWithMessage()
    {
        using var dir = new TempDirectory();
        string path = dir.File("zlib.sst");
        RocksDbOracle.WriteSst(path, TestEntries.Random(9, 500, withDeletesAndMerges: false), compression: RocksDbSharp.Compression.Zlib);

        LsmResult result = Lsm("sst", "verify", path);

        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith($"not supported: {path}: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_MaxKey_CutsLongKeys()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 3);

        LsmResult result = Lsm("sst", "dump", path, "--keys", "--max-key", "4", "--no-blocks");

        Assert.Contains("  key0...(11 bytes)#0,SET => value00000002\n", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"smallest key\s+key0\.\.\.\(11 bytes\)#0,SET\n", result.Stdout);
    }

    [Fact]
    public void Get_PresentKey_PrintsEntryAndExitsZero()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 100);

        LsmResult result = Lsm("sst", "get", path, "key00000042");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("key00000042#0,SET => value00000042", result.Stdout.TrimEnd());
    }

    [Fact]
    public void Get_HexKey_FindsBinaryKey()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bin.sst");
        using (var writer = new SstFileWriter(path))
        {
            writer.Put([0x00, 0xFF], [0x01, 0x02]);
            writer.Delete([0x10]);
            writer.Finish();
        }

        LsmResult put = Lsm("sst", "get", path, "0x00ff");
        LsmResult del = Lsm("sst", "get", path, "0x10");

        Assert.Equal("0x00FF#0,SET => 0x0102", put.Stdout.TrimEnd());
        Assert.Equal("0x10#0,DEL", del.Stdout.TrimEnd());
    }

    [Fact]
    public void Get_AbsentKey_PrintsNotFoundAndExitsOne()
    {
        using var dir = new TempDirectory();
        string path = WriteTable(dir, 100);

        LsmResult result = Lsm("sst", "get", path, "key00000100");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("not found: key00000100", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sst")]
    [InlineData("sst dump")]
    [InlineData("sst frobnicate x.sst")]
    [InlineData("sst dump x.sst --limit -1")]
    [InlineData("sst verify x.sst --no-such-option")]
    public void Run_BadUsage_ExitsTwoWithHint(string commandLine)
    {
        LsmResult result = Lsm(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help' for usage.", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Help_DescribesTheSstCommands()
    {
        LsmResult result = Lsm("sst", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (string command in new[] { "dump", "verify", "write", "get" })
        {
            Assert.Contains(command + " <file>", result.Stdout, StringComparison.Ordinal);
        }
    }
}
