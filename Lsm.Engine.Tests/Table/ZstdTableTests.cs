using Lsm.Engine.Encoding;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;
using RocksDbSharp;

namespace Lsm.Engine.Tests.Table;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;

/// <summary>
/// ZSTD data blocks (RocksDB's kZSTD, compress_format_version 2): RocksDB's SstFileWriter output reads entry for
/// entry; a frame that does not decode is corruption with file and offset; dictionary tables are refused; the
/// tables we write with ZSTD are read by RocksDB.
/// </summary>
public sealed class ZstdTableTests
{
    public static TheoryData<int, int, ChecksumType> RocksDbZstdCases()
    {
        var data = new TheoryData<int, int, ChecksumType>();
        int seed = 300;
        foreach (int version in new[] { 2, 3, 4, 5, 6, 7 })
        {
            foreach (ChecksumType checksum in new[] { ChecksumType.Crc32C, ChecksumType.XxHash64, ChecksumType.Xxh3 })
            {
                data.Add(seed++, version, checksum);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RocksDbZstdCases))]
    public void RocksDbZstdTable_ReadsEntryForEntry(int seed, int formatVersion, ChecksumType checksum)
    {
        using var dir = new TempDirectory();
        string path = dir.File("zstd.sst");
        List<TestEntry> entries = TestEntries.Random(seed, 1500);
        WriteRocksDbZstd(path, entries, formatVersion, checksum);

        using var sst = SstFile.Open(path);
        Assert.Equal(formatVersion, sst.Footer.FormatVersion);
        Assert.Equal(checksum, sst.Footer.Checksum);
        IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();
        Assert.Contains(blocks, b => b.Kind == "data" && b.Compression == CompressionType.Zstd);
        Assert.All(blocks, b => Assert.True(b.Compression is CompressionType.None or CompressionType.Zstd, b.ToString()));
        RocksDbInteropTests.AssertEntries(sst, entries);
        sst.VerifyChecksums();
    }

    [Fact]
    public void RocksDbZstdTable_BlockFarBeyondTheLz4Ratio_Reads()
    {
        // 64 KiB blocks of zero-filled values: ZSTD shrinks each by far more than the 256× any LZ4 or Snappy block can.
        using var dir = new TempDirectory();
        string path = dir.File("zeros.sst");
        var entries = new List<TestEntry>();
        for (int i = 0; i < 400; i++)
        {
            entries.Add(new TestEntry(System.Text.Encoding.ASCII.GetBytes($"key{i:D6}"), ValueKind.Value, new byte[4000]));
        }

        WriteRocksDbZstd(path, entries, 6, ChecksumType.Xxh3, blockSize: 64 * 1024);

        using var sst = SstFile.Open(path);
        IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();
        Assert.Contains(blocks, b => b.Kind == "data" && b.Compression == CompressionType.Zstd && b.UncompressedSize > (b.Size * 256) + 1024);
        RocksDbInteropTests.AssertEntries(sst, entries);
    }

    [Fact]
    public void RocksDbZstdTable_WithDictionary_IsRefusedAtOpen()
    {
        using var dir = new TempDirectory();
        string path = dir.File("dict.sst");
        WriteRocksDbZstd(path, TestEntries.Random(5, 3000, withDeletesAndMerges: false), 6, ChecksumType.Xxh3, maxDictBytes: 16 * 1024);

        var ex = Assert.Throws<NotSupportedException>(() => SstFile.Open(path).Dispose());
        Assert.Contains("rocksdb.compression_dict", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZstdBlock_WithBadFrameMagic_AndValidChecksum_IsCorruptionAtItsOffset()
    {
        using var dir = new TempDirectory();
        string path = dir.File("zstd.sst");
        List<TestEntry> entries = TestEntries.Random(11, 1500);
        WriteRocksDbZstd(path, entries, 6, ChecksumType.Xxh3);
        SstBlockInfo block = FirstZstdDataBlock(path);

        byte[] file = File.ReadAllBytes(path);
        int frame = (int)block.Offset + VarintLength(file, (int)block.Offset);
        file[frame] ^= 0x01; // the frame's magic number
        Rechecksum(path, file, block);
        File.WriteAllBytes(path, file);

        using var sst = SstFile.Open(path);
        var ex = Assert.Throws<CorruptionException>(() => sst.VerifyChecksums());
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(block.Offset, ex.Offset);
        Assert.Contains("ZSTD", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CorruptionException>(() => ReadAll(sst));
    }

    [Fact]
    public void ZstdBlock_DeclaringAnotherSize_AndValidChecksum_IsCorruption()
    {
        using var dir = new TempDirectory();
        string path = dir.File("zstd.sst");
        WriteRocksDbZstd(path, TestEntries.Random(12, 1500), 5, ChecksumType.Crc32C);
        SstBlockInfo block = FirstZstdDataBlock(path);

        // Lower the declared size by one (keeping the varint's length): the frame holds one byte more.
        byte[] file = File.ReadAllBytes(path);
        int at = (int)block.Offset;
        Coding.ReadVarint32(file.AsSpan(at), out uint declared);
        Assert.True(declared > 200);
        Span<byte> varint = stackalloc byte[5];
        int n = VarintLength(file, at);
        Assert.Equal(n, Coding.WriteVarint32(varint, declared - 1));
        varint[..n].CopyTo(file.AsSpan(at));
        Rechecksum(path, file, block);
        File.WriteAllBytes(path, file);

        using var sst = SstFile.Open(path);
        var ex = Assert.Throws<CorruptionException>(() => sst.VerifyChecksums());
        Assert.Equal(path, ex.FilePath);
        Assert.Equal(block.Offset, ex.Offset);
    }

    [Fact]
    public void ZstdBlock_AnyByteFlipped_WithValidChecksum_ReadsOrIsCorruption_NeverAnotherError()
    {
        // Without a ZSTD content checksum (RocksDB writes none) a flipped literal decodes to other bytes of the same
        // length, as in RocksDB: the block checksum is what catches that. What a damaged frame must never do is
        // escape as anything but a CorruptionException naming the file and a place in the block.
        using var dir = new TempDirectory();
        string original = dir.File("zstd.sst");
        WriteRocksDbZstd(original, TestEntries.Random(13, 600), 6, ChecksumType.Xxh3);
        SstBlockInfo block = FirstZstdDataBlock(original);
        byte[] pristine = File.ReadAllBytes(original);
        int header = VarintLength(pristine, (int)block.Offset);
        var random = new Random(13);
        int corruptions = 0;
        for (int trial = 0; trial < 150; trial++)
        {
            string path = dir.File($"flip{trial}.sst");
            byte[] file = (byte[])pristine.Clone();
            int at = (int)block.Offset + header + random.Next((int)block.Size - header);
            file[at] ^= (byte)(1 << random.Next(8));
            Rechecksum(original, file, block);
            File.WriteAllBytes(path, file);

            using var sst = SstFile.Open(path);
            try
            {
                ReadAll(sst);
            }
            catch (CorruptionException e)
            {
                corruptions++;
                Assert.Equal(path, e.FilePath);
                // The frame itself (at the block's offset), or the block it decoded to (offsets within it are added to the block's).
                Assert.True(e.Offset >= block.Offset && e.Offset <= block.Offset + block.UncompressedSize, $"{e.Message}; block at {block.Offset}");
            }
        }

        Assert.True(corruptions > 0, "no flip was detected at all");
    }

    [Theory]
    [InlineData(5, ChecksumType.Crc32C)]
    [InlineData(6, ChecksumType.Xxh3)]
    [InlineData(6, ChecksumType.XxHash64)]
    public void OurZstdTable_IsReadBackAndIngestedByRocksDb(int formatVersion, ChecksumType checksum)
    {
        using var dir = new TempDirectory();
        string path = dir.File("ours.sst");
        List<TestEntry> entries = TestEntries.Random(formatVersion * 10 + (int)checksum, 3000);
        RocksDbInteropTests.WriteOurs(path, entries, new TableOptions { Compression = CompressionType.Zstd, FormatVersion = formatVersion, Checksum = checksum });

        using (var sst = SstFile.Open(path))
        {
            Assert.Contains(sst.ReadBlocks(), b => b.Kind == "data" && b.Compression == CompressionType.Zstd);
            Assert.Equal("ZSTD", sst.Properties.CompressionName);
            RocksDbInteropTests.AssertEntries(sst, entries);
        }

        using RocksDb db = RocksDbOracle.IngestIntoNewDb(dir.File("db"), path);
        foreach (TestEntry e in entries)
        {
            byte[]? got = db.Get(e.Key);
            if (e.Kind == ValueKind.Deletion)
            {
                Assert.Null(got);
            }
            else
            {
                Assert.Equal(e.Value, got);
            }
        }
    }

    [Fact]
    public void Compress_StoresRaw_WhenZstdSavesLessThanAnEighth()
    {
        byte[] random = new byte[4096];
        new Random(1).NextBytes(random);
        using var output = new ByteBuffer(64);
        Assert.False(BlockCompression.TryCompress(CompressionType.Zstd, random, output));

        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("the same words again ", 200)));
        Assert.True(BlockCompression.TryCompress(CompressionType.Zstd, text, output));
        Assert.True(output.Length <= text.Length * 7 / 8);
        byte[] back = BlockCompression.Decompress(CompressionType.Zstd, output.WrittenSpan, "t", 0, BlockCompression.MaxUncompressedSize(CompressionType.Zstd, output.Length));
        Assert.Equal(text, back);
    }

    [Fact]
    public void Decompress_TruncatedOrTrailingBytes_IsCorruption()
    {
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("zstd frame content ", 100)));
        using var output = new ByteBuffer(64);
        Assert.True(BlockCompression.TryCompress(CompressionType.Zstd, text, output));
        byte[] block = output.WrittenSpan.ToArray();

        byte[] destination = new byte[text.Length];
        var truncated = Assert.Throws<CorruptionException>(() => BlockCompression.DecompressInto(CompressionType.Zstd, block.AsSpan(0, block.Length - 1), destination, "f.sst", 77));
        Assert.Equal("f.sst", truncated.FilePath);
        Assert.Equal(77, truncated.Offset);

        byte[] trailing = [.. block, 0x00, 0x01, 0x02, 0x03];
        Assert.Throws<CorruptionException>(() => BlockCompression.DecompressInto(CompressionType.Zstd, trailing, destination, "f.sst", 77));

        // A header declaring more than the frame holds is refused before anything is allocated.
        Assert.Throws<CorruptionException>(() => BlockCompression.UncompressedLength(CompressionType.Zstd, block, "f.sst", 77, text.Length - 1));
    }

    [Fact]
    public void DecompressInto_ReusesThePerThreadContext_AllocatingNothing()
    {
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("an allocation-free read path ", 150)));
        using var output = new ByteBuffer(64);
        Assert.True(BlockCompression.TryCompress(CompressionType.Zstd, text, output));
        byte[] block = output.WrittenSpan.ToArray();
        byte[] destination = new byte[text.Length];
        int max = BlockCompression.MaxUncompressedSize(CompressionType.Zstd, block.Length);
        BlockCompression.DecompressInto(CompressionType.Zstd, block, destination, "f", 0); // creates this thread's context

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            int length = BlockCompression.UncompressedLength(CompressionType.Zstd, block, "f", 0, max);
            BlockCompression.DecompressInto(CompressionType.Zstd, block, destination.AsSpan(0, length), "f", 0);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(text, destination);
    }

    /// <summary>Writes <paramref name="entries"/> with RocksDB's SstFileWriter and ZSTD data blocks.</summary>
    private static void WriteRocksDbZstd(string path, IReadOnlyList<TestEntry> entries, int formatVersion, ChecksumType checksum, int blockSize = 4096, int maxDictBytes = 0)
    {
        var table = new BlockBasedTableOptions();
        table.SetBlockSize((ulong)blockSize);
        table.SetFormatVersion(formatVersion);
        Native.Instance.rocksdb_block_based_options_set_checksum(table.Handle, (char)(byte)checksum);
        table.SetFilterPolicy(BloomFilterPolicy.Create(10, false));
        var options = new ColumnFamilyOptions().SetBlockBasedTableFactory(table).SetCompression(Compression.Zstd);
        if (maxDictBytes > 0)
        {
            // window bits, level (RocksDB's "default"), strategy, max_dict_bytes; then train a real dictionary.
            Native.Instance.rocksdb_options_set_compression_options(options.Handle, -14, 32767, 0, maxDictBytes);
            Native.Instance.rocksdb_options_set_compression_options_zstd_max_train_bytes(options.Handle, maxDictBytes * 8);
        }

        using (var writer = new RocksDbSharp.SstFileWriter(null, options))
        {
            writer.Open(path);
            RocksDbOracle.Add(writer, entries);
            writer.Finish();
        }

        GC.KeepAlive(options);
        GC.KeepAlive(table);
    }

    private static SstBlockInfo FirstZstdDataBlock(string path)
    {
        using var sst = SstFile.Open(path);
        return sst.ReadBlocks().First(b => b.Kind == "data" && b.Compression == CompressionType.Zstd);
    }

    private static int VarintLength(byte[] file, int at)
    {
        int n = Coding.ReadVarint32(file.AsSpan(at), out _);
        Assert.True(n > 0);
        return n;
    }

    /// <summary>Recomputes the trailer checksum of <paramref name="block"/> in <paramref name="file"/>, so only the frame is damaged.</summary>
    private static void Rechecksum(string pristinePath, byte[] file, SstBlockInfo block)
    {
        using TableReader reader = TableReader.Open(pristinePath);
        int offset = (int)block.Offset;
        int size = (int)block.Size;
        uint checksum = BlockChecksum.Compute(reader.Footer.ChecksumType, file.AsSpan(offset, size), file[offset + size])
            + BlockChecksum.ContextModifier(reader.Footer.BaseContextChecksum, (ulong)offset);
        Coding.WriteFixed32(file.AsSpan(offset + size + 1), checksum);
    }

    private static int ReadAll(SstFile sst)
    {
        int count = 0;
        using SstIterator it = sst.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            count += it.Value.Length + 1;
        }

        return count;
    }
}
