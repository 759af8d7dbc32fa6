using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;
using RocksDbSharp;

namespace Lsm.Engine.Tests.Table;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using DbOptions = RocksDbSharp.DbOptions;
using ReadOptions = RocksDbSharp.ReadOptions;
using WriteOptions = RocksDbSharp.WriteOptions;

/// <summary>Regressions for defects found while specifying the format against RocksDB's sources.</summary>
public sealed class SpecReviewRegressionTests
{
    [Fact]
    public void GlobalSequence_DoesNotLeakIntoTheNextKeysSharedPrefix()
    {
        // The second key's shared prefix reaches into the first key's trailer.
        byte[] first = InternalKey.Create("ab"u8, 0, ValueKind.Value);
        byte[] second = InternalKey.Create([(byte)'a', (byte)'b', 1, 0, 0], 0, ValueKind.Value);
        using var builder = new BlockBuilder(16);
        builder.Add(first, "1"u8);
        builder.Add(second, "2"u8);
        byte[] data = builder.Finish().ToArray();
        var it = new BlockIterator();
        it.Reset(Block.Parse(data, data.Length, "b", 0), InternalKeyComparator.Bytewise, globalSequence: 5);
        it.SeekToFirst();
        Assert.Equal("ab#5,SET", KeyText.FormatInternalKey(it.Key));
        it.Next();
        Assert.Equal("0x6162010000#5,SET", KeyText.FormatInternalKey(it.Key));
    }

    [Fact]
    public void Version6Footer_WithChecksumTypeFlippedToNone_IsCorruption()
    {
        byte[] table = BuildTable(new TableOptions { FormatVersion = 6, Checksum = ChecksumType.Xxh3 });
        table[^TableFormat.FooterLength] = (byte)ChecksumType.None;
        var ex = Assert.Throws<CorruptionException>(() => TableReader.Open(new MemoryFile("t", table), ownsFile: true));
        Assert.Contains("footer checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UniformKeysBit_InAnyBlock_IsAHintOnly()
    {
        using var builder = new BlockBuilder(1);
        builder.Add("a"u8, "1"u8);
        builder.Add("b"u8, "2"u8);
        byte[] data = builder.Finish().ToArray();
        uint packed = Coding.ReadFixed32(data.AsSpan(data.Length - 4));
        Coding.WriteFixed32(data.AsSpan(data.Length - 4), packed | TableFormat.DataBlockUniformBit);
        Block block = Block.Parse(data, data.Length, "b", 0);
        Assert.Equal(2, block.NumRestarts);
    }

    [Fact]
    public void RocksDbRangeDeletion_HidesCoveredKeys()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rd.sst");
        var table = new BlockBasedTableOptions();
        var options = new ColumnFamilyOptions().SetBlockBasedTableFactory(table);
        using (var writer = new RocksDbSharp.SstFileWriter(null, options))
        {
            writer.Open(path);
            writer.Put("a"u8.ToArray(), "1"u8.ToArray());
            writer.Put("c"u8.ToArray(), "3"u8.ToArray());
            byte[] start = "b"u8.ToArray();
            byte[] end = "d"u8.ToArray();
            Native.Instance.rocksdb_sstfilewriter_delete_range(writer.Handle, start, (UIntPtr)start.Length, end, (UIntPtr)end.Length, out IntPtr error);
            Assert.Equal(IntPtr.Zero, error);
            writer.Finish();
        }

        using var reader = TableReader.Open(path);
        RangeTombstone tombstone = Assert.Single(reader.RangeTombstones);
        Assert.Equal("b"u8.ToArray(), tombstone.Start);
        Assert.Equal("d"u8.ToArray(), tombstone.End);
        TableIterator scratch = reader.NewIterator();
        Assert.True(reader.TryGet("a"u8, InternalKey.MaxSequence, scratch, out ValueKind kind, out _));
        Assert.Equal(ValueKind.Value, kind);
        // In an external file every entry has sequence 0, so a tombstone at 0 cannot hide "c" (same sequence);
        // a key with no point entry inside the range reads as range-deleted.
        Assert.True(reader.TryGet("bb"u8, InternalKey.MaxSequence, scratch, out kind, out _));
        Assert.Equal(ValueKind.RangeDeletion, kind);
        Assert.Equal(1UL, reader.Properties.NumRangeDeletions);
    }

    [Fact]
    public void OurRangeDeletion_IsReadByRocksDb()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ours.sst");
        var file = new LocalWritableFile(path);
        using (var builder = new TableBuilder(file, new TableOptions(), TableBuilderContext.External("S")))
        {
            builder.Add(InternalKey.Create("a"u8, 0, ValueKind.Value), "1"u8);
            builder.Add(InternalKey.Create("m"u8, 0, ValueKind.Value), "13"u8);
            builder.Add(InternalKey.Create("b"u8, 0, ValueKind.RangeDeletion), "d"u8);
            builder.Finish();
        }

        file.Dispose();
        using (var reader = TableReader.Open(path))
        {
            Assert.Equal(1UL, reader.Properties.NumRangeDeletions);
            Assert.Equal(3UL, reader.Properties.NumEntries);
            Assert.Single(reader.RangeTombstones);
        }

        using var db = RocksDbOracle.IngestIntoNewDb(dir.File("db"), path);
        Assert.Equal("1"u8.ToArray(), db.Get("a"u8.ToArray()));
        Assert.Equal("13"u8.ToArray(), db.Get("m"u8.ToArray()));
    }

    private static byte[] BuildTable(TableOptions options)
    {
        var file = new MemoryFile("t");
        using (var builder = new TableBuilder(file, options, TableBuilderContext.External("S")))
        {
            for (int i = 0; i < 100; i++)
            {
                builder.Add(InternalKey.Create(System.Text.Encoding.ASCII.GetBytes($"k{i:D4}"), 0, ValueKind.Value), "v"u8);
            }

            builder.Finish();
        }

        return file.ToArray();
    }
}
