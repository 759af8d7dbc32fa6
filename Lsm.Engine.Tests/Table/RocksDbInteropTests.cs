using Lsm.Engine.Tests.Support;
using RocksDbSharp;

namespace Lsm.Engine.Tests.Table;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using DbOptions = RocksDbSharp.DbOptions;
using ReadOptions = RocksDbSharp.ReadOptions;
using WriteOptions = RocksDbSharp.WriteOptions;

/// <summary>
/// Our tables and RocksDB's are the same format: RocksDB's SstFileWriter output reads entry for entry
/// through our reader, and our writer's output is ingested and read back by RocksDB.
/// </summary>
public sealed class RocksDbInteropTests
{
    public static TheoryData<int, int, int?, ChecksumType?, bool> RocksDbWriterCases()
    {
        var data = new TheoryData<int, int, int?, ChecksumType?, bool>();
        int seed = 1;
        foreach (int count in new[] { 1, 7, 2000 })
        {
            data.Add(seed++, count, null, null, false); // RocksDB's defaults (format 7, XXH3)
            data.Add(seed++, count, null, null, true);
        }

        foreach (int version in new[] { 2, 3, 4, 5, 6, 7 })
        {
            foreach (ChecksumType checksum in new[] { ChecksumType.Crc32C, ChecksumType.XxHash32, ChecksumType.XxHash64, ChecksumType.Xxh3 })
            {
                data.Add(seed++, 500, version, checksum, seed % 2 == 0);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RocksDbWriterCases))]
    public void RocksDbWrittenTable_ReadsEntryForEntry(int seed, int count, int? formatVersion, ChecksumType? checksum, bool lz4)
    {
        using var dir = new TempDirectory();
        string path = dir.File("rocks.sst");
        List<TestEntry> entries = TestEntries.Random(seed, count);
        RocksDbOracle.WriteSst(path, entries, formatVersion, checksum, 10, lz4 ? Compression.Lz4 : Compression.No);

        using var sst = SstFile.Open(path);
        AssertEntries(sst, entries);
        Assert.Equal((ulong)count, sst.Properties.NumEntries);
        Assert.Equal((ulong)entries.Count(e => e.Kind == ValueKind.Deletion), sst.Properties.NumDeletions);
        Assert.Equal((ulong)entries.Count(e => e.Kind == ValueKind.Merge), sst.Properties.NumMergeOperands);
        Assert.Equal(formatVersion ?? 7, sst.Footer.FormatVersion);
        Assert.Equal(checksum ?? ChecksumType.Xxh3, sst.Footer.Checksum);
        Assert.Equal("leveldb.BytewiseComparator", sst.Properties.ComparatorName);
        Assert.Equal(2, sst.Properties.ExternalFileVersion);

        SstFilterInfo filter = Assert.NotNull(sst.Filter);
        Assert.True(filter.Used, filter.Kind);
        foreach (TestEntry e in entries)
        {
            Assert.True(sst.KeyMayMatch(e.Key), "RocksDB's filter must answer 'may match' for a present key");
        }

        sst.VerifyChecksums();
    }

    [Fact]
    public void RocksDbWrittenTable_WithSnappy_Reads()
    {
        using var dir = new TempDirectory();
        string path = dir.File("snappy.sst");
        List<TestEntry> entries = TestEntries.Random(99, 3000);
        RocksDbOracle.WriteSst(path, entries, compression: Compression.Snappy);
        using var sst = SstFile.Open(path);
        AssertEntries(sst, entries);
        Assert.Contains(sst.ReadBlocks(), b => b.Compression == CompressionType.Snappy);
    }

    public static TheoryData<int, int, ChecksumType, bool, int> OurWriterCases()
    {
        var data = new TheoryData<int, int, ChecksumType, bool, int>();
        int seed = 100;
        foreach (int version in new[] { 5, 6 })
        {
            foreach (ChecksumType checksum in new[] { ChecksumType.Crc32C, ChecksumType.XxHash32, ChecksumType.XxHash64, ChecksumType.Xxh3 })
            {
                data.Add(seed++, 800, checksum, seed % 2 == 0, version);
            }

            data.Add(seed++, 1, ChecksumType.Xxh3, true, version);
            data.Add(seed++, 20000, ChecksumType.Xxh3, true, version); // a multi-megabyte table
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OurWriterCases))]
    public void OurTable_IsIngestedAndReadByRocksDb(int seed, int count, ChecksumType checksum, bool lz4, int formatVersion)
    {
        using var dir = new TempDirectory();
        string path = dir.File("ours.sst");
        List<TestEntry> entries = TestEntries.Random(seed, count, maxValueLength: count > 10000 ? 400 : 200);
        var options = new TableOptions
        {
            Checksum = checksum,
            Compression = lz4 ? CompressionType.Lz4 : CompressionType.None,
            FormatVersion = formatVersion,
        };
        WriteOurs(path, entries, options);

        using (RocksDb db = RocksDbOracle.IngestIntoNewDb(dir.File("db"), path))
        {
            foreach (TestEntry e in entries)
            {
                byte[]? got = db.Get(e.Key);
                if (e.Kind == ValueKind.Deletion)
                {
                    Assert.Null(got);
                }
                else
                {
                    Assert.NotNull(got);
                    Assert.Equal(e.Value, got);
                }
            }

            // Absent keys: RocksDB consults our filter; it must not claim them.
            for (int i = 0; i < 200; i++)
            {
                Assert.Null(db.Get(System.Text.Encoding.ASCII.GetBytes("absent-key-" + i)));
            }
        }
    }

    [Fact]
    public void OurFilter_AgreesWithRocksDbFilter_OnTheSameKeys()
    {
        // The same keys through both writers: both filters must answer every probe identically, since
        // they are the same bits computed by the same hash.
        using var dir = new TempDirectory();
        List<TestEntry> entries = TestEntries.Random(7, 5000, withDeletesAndMerges: false);
        RocksDbOracle.WriteSst(dir.File("rocks.sst"), entries, formatVersion: 6, bloomBitsPerKey: 10);
        WriteOurs(dir.File("ours.sst"), entries, new TableOptions { FormatVersion = 6, BloomBitsPerKey = 10 });
        using var rocks = SstFile.Open(dir.File("rocks.sst"));
        using var ours = SstFile.Open(dir.File("ours.sst"));
        Assert.Equal(rocks.Filter!.Value.SizeBytes, ours.Filter!.Value.SizeBytes);
        Assert.Equal(rocks.Filter!.Value.NumProbes, ours.Filter!.Value.NumProbes);
        for (int i = 0; i < 20000; i++)
        {
            byte[] probe = System.Text.Encoding.ASCII.GetBytes("probe-" + i);
            Assert.Equal(rocks.KeyMayMatch(probe), ours.KeyMayMatch(probe));
        }
    }

    [Fact]
    public void OurFilter_IsUsedByRocksDb_AndRejectsExactlyWhatOurReaderRejects()
    {
        using var dir = new TempDirectory();
        string path = dir.File("ours.sst");
        var entries = new List<TestEntry>();
        for (int i = 0; i < 20000; i += 2)
        {
            entries.Add(new TestEntry(System.Text.Encoding.ASCII.GetBytes($"k{i:D8}"), ValueKind.Value, new byte[10]));
        }

        WriteOurs(path, entries, new TableOptions());

        // Probe only absent keys inside the file's key range: RocksDB skips a file outright (no filter
        // probe) for keys beyond its smallest or largest key.
        int expectedRejected = 0;
        using (var sst = SstFile.Open(path))
        {
            for (int i = 1; i < 19998; i += 2)
            {
                if (!sst.KeyMayMatch(System.Text.Encoding.ASCII.GetBytes($"k{i:D8}")))
                {
                    expectedRejected++;
                }
            }
        }

        DbOptions options = new DbOptions();
        Native.Instance.rocksdb_options_enable_statistics(options.Handle);
        using RocksDb db = RocksDbOracle.IngestIntoNewDb(dir.File("db"), options, path);
        ulong usefulBefore = RocksDbOracle.Ticker(options, "rocksdb.bloom.filter.useful");
        for (int i = 1; i < 19998; i += 2)
        {
            Assert.Null(db.Get(System.Text.Encoding.ASCII.GetBytes($"k{i:D8}")));
        }

        ulong useful = RocksDbOracle.Ticker(options, "rocksdb.bloom.filter.useful") - usefulBefore;
        Assert.True(expectedRejected > 9800, $"our filter rejected only {expectedRejected} of 9999 absent keys");
        Assert.Equal((ulong)expectedRejected, useful);
    }

    internal static void WriteOurs(string path, IReadOnlyList<TestEntry> entries, TableOptions options)
    {
        using var writer = new Lsm.Engine.SstFileWriter(path, options);
        foreach (TestEntry e in entries)
        {
            switch (e.Kind)
            {
                case ValueKind.Value:
                    writer.Put(e.Key, e.Value);
                    break;
                case ValueKind.Merge:
                    writer.Merge(e.Key, e.Value);
                    break;
                default:
                    writer.Delete(e.Key);
                    break;
            }
        }

        writer.Finish();
    }

    internal static void AssertEntries(SstFile sst, IReadOnlyList<TestEntry> entries)
    {
        using SstIterator it = sst.NewIterator();
        int i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            Assert.True(i < entries.Count, "more entries than written");
            Assert.Equal(entries[i].Key, it.UserKey.ToArray());
            Assert.Equal(entries[i].Kind, it.Kind);
            Assert.Equal(0UL, it.Sequence);
            Assert.Equal(entries[i].Value, it.Value.ToArray());
        }

        Assert.Equal(entries.Count, i);

        // Backwards too.
        i = entries.Count - 1;
        for (it.SeekToLast(); it.Valid; it.Prev(), i--)
        {
            Assert.Equal(entries[i].Key, it.UserKey.ToArray());
        }

        Assert.Equal(-1, i);

        foreach (TestEntry e in entries)
        {
            Assert.True(sst.TryGet(e.Key, out ValueKind kind, out byte[] value));
            Assert.Equal(e.Kind, kind);
            Assert.Equal(e.Value, value);
        }
    }
}
