using System.Globalization;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Wal;
using RocksDbSharp;
using OurBatch = Lsm.Engine.WriteBatch;
using OurFamily = Lsm.Engine.ColumnFamilyHandle;
using RocksBatch = RocksDbSharp.WriteBatch;
using RocksFamily = RocksDbSharp.ColumnFamilyHandle;
using RocksFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using RocksFlushOptions = RocksDbSharp.FlushOptions;
using RocksOptions = RocksDbSharp.DbOptions;
using RocksWriteOptions = RocksDbSharp.WriteOptions;

namespace Lsm.Engine.Tests.Wal;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using DbOptions = RocksDbSharp.DbOptions;
using ReadOptions = RocksDbSharp.ReadOptions;
using WriteOptions = RocksDbSharp.WriteOptions;

/// <summary>
/// The native RocksDB as the oracle: its write batches are byte-identical to ours, we read its live WAL
/// (legacy and recyclable), and it replays a WAL we wrote.
/// </summary>
public sealed class RocksDbWalInteropTests
{
    private const string FamilyName = "one";

    /// <summary>One operation, applied to both batch implementations.</summary>
    private sealed record Op(int Kind, bool InFamily, byte[] Key, byte[] Value);

    private static List<Op> RandomOps(int seed, int count)
    {
        var random = new Random(seed);
        var ops = new List<Op>();
        for (int i = 0; i < count; i++)
        {
            byte[] key = random.Next(8) == 0 ? [] : LogTestSupport.Payload(random.Next(5) == 0 ? 300 : random.Next(1, 20), random.Next());
            byte[] value = random.Next(4) == 0 ? [] : LogTestSupport.Payload(random.Next(5) == 0 ? 200 : random.Next(1, 30), random.Next());
            int kind = random.Next(5);
            if (kind == 3)
            {
                value = BitConverter.GetBytes((ulong)random.Next(1000)); // uint64add operands
            }
            else if (kind == 4 && key.AsSpan().SequenceCompareTo(value) > 0)
            {
                (key, value) = (value, key); // RocksDB refuses a range whose end sorts before its begin
            }

            ops.Add(new Op(kind, random.Next(2) == 0, key, value));
        }

        return ops;
    }

    private static void Apply(Op op, OurBatch ours, OurFamily family)
    {
        switch (op.Kind)
        {
            case 0 when op.InFamily: ours.Put(family, op.Key, op.Value); break;
            case 0: ours.Put(op.Key, op.Value); break;
            case 1 when op.InFamily: ours.Delete(family, op.Key); break;
            case 1: ours.Delete(op.Key); break;
            case 2 when op.InFamily: ours.SingleDelete(family, op.Key); break;
            case 2: ours.SingleDelete(op.Key); break;
            case 3 when op.InFamily: ours.Merge(family, op.Key, op.Value); break;
            case 3: ours.Merge(op.Key, op.Value); break;
            case 4 when op.InFamily: ours.DeleteRange(family, op.Key, op.Value); break;
            default: ours.DeleteRange(op.Key, op.Value); break;
        }
    }

    private static void Apply(Op op, RocksBatch rocks, RocksFamily family)
    {
        RocksFamily? cf = op.InFamily ? family : null;
        switch (op.Kind)
        {
            case 0:
                rocks.Put(op.Key, op.Value, cf);
                break;
            case 1:
                rocks.Delete(op.Key, cf);
                break;
            case 2:
                if (cf is null)
                {
                    Native.Instance.rocksdb_writebatch_singledelete(rocks.Handle, op.Key, (UIntPtr)op.Key.Length);
                }
                else
                {
                    Native.Instance.rocksdb_writebatch_singledelete_cf(rocks.Handle, cf.Handle, op.Key, (UIntPtr)op.Key.Length);
                }

                break;
            case 3:
                rocks.Merge(op.Key, (ulong)op.Key.Length, op.Value, (ulong)op.Value.Length, cf);
                break;
            default:
                rocks.DeleteRange(op.Key, (ulong)op.Key.Length, op.Value, (ulong)op.Value.Length, cf);
                break;
        }
    }

    private static RocksDb OpenWithFamily(string path, RocksOptions? options = null)
    {
        options ??= new RocksOptions();
        options.SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true);
        // Opened with column families, each family takes its options from here, not from the DbOptions.
        var families = new ColumnFamilies(new RocksFamilyOptions().SetUint64addMergeOperator())
        {
            { FamilyName, new RocksFamilyOptions().SetUint64addMergeOperator() },
        };
        return RocksDb.Open(options, path, families);
    }

    private static List<string> LogFiles(string directory) =>
        Directory.GetFiles(directory, "*.log").OrderBy(f => ulong.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture)).ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WriteBatch_IsByteIdenticalToRocksDbs(int seed)
    {
        using var dir = new TempDirectory();
        using RocksDb db = OpenWithFamily(dir.Path);
        RocksFamily rocksFamily = db.GetColumnFamily(FamilyName);
        var ourFamily = new OurFamily(1, FamilyName);

        var ours = new OurBatch();
        using var rocks = new RocksBatch();
        foreach (Op op in RandomOps(seed, 200))
        {
            Apply(op, ours, ourFamily);
            Apply(op, rocks, rocksFamily);
            Assert.Equal(rocks.ToBytes(), ours.Rep.ToArray());
        }

        Assert.Equal(rocks.Count(), ours.Count);
        Assert.Equal(rocks.ToBytes().Length, ours.DataSize);

        // And RocksDB's bytes decode as ours, with the same records.
        OurBatch decoded = OurBatch.FromRep(rocks.ToBytes());
        Assert.Equal(ours.Rep.ToArray(), decoded.Rep.ToArray());
    }

    [Fact]
    public void RocksDbsLogData_IsSkippedByDecoding()
    {
        using var rocks = new RocksBatch();
        rocks.Put("k"u8.ToArray(), "v"u8.ToArray());
        rocks.PutLogData([1, 2, 3], 3);
        rocks.Delete("k"u8.ToArray());
        OurBatch batch = OurBatch.FromRep(rocks.ToBytes());
        Assert.Equal(2, batch.Count);
        Assert.Equal([WriteBatchTag.Value, WriteBatchTag.Deletion], WriteBatchTests.Decode(batch.Rep).Select(o => o.Tag));
    }

    /// <summary>
    /// RocksDB writes synced batches into its live WAL; a copy taken while it is open reads back with our
    /// reader: every batch, in order, byte-identical to ours, with consecutive sequences from 1.
    /// </summary>
    [Fact]
    public void RocksDbsLiveLog_ReadsBackEveryBatchInOrderWithItsSequence()
    {
        using var dir = new TempDirectory();
        var expected = new List<byte[]>();
        using (RocksDb db = OpenWithFamily(dir.Path))
        {
            RocksFamily rocksFamily = db.GetColumnFamily(FamilyName);
            var ourFamily = new OurFamily(1, FamilyName);
            var sync = new RocksWriteOptions().SetSync(true);
            var random = new Random(5);
            for (int i = 0; i < 60; i++)
            {
                var ours = new OurBatch();
                using var rocks = new RocksBatch();
                // Batches from one operation to a few hundred, some larger than a 32 KiB block.
                foreach (Op op in RandomOps(i, random.Next(10) == 0 ? 400 : random.Next(1, 8)))
                {
                    Apply(op, ours, ourFamily);
                    Apply(op, rocks, rocksFamily);
                }

                db.Write(rocks, sync);
                expected.Add(ours.Rep.ToArray());
            }

            db.Put("single"u8.ToArray(), "put"u8.ToArray(), null, sync);
            var single = new OurBatch();
            single.Put("single"u8, "put"u8);
            expected.Add(single.Rep.ToArray());

            foreach (string log in LogFiles(dir.Path))
            {
                File.Copy(log, dir.File("copy-" + Path.GetFileName(log)));
            }
        }

        var batches = new List<OurBatch>();
        foreach (string copy in Directory.GetFiles(dir.Path, "copy-*.log").Order(StringComparer.Ordinal))
        {
            using var reader = new LogReader(new LocalRandomAccessFile(copy), ownsFile: true);
            while (reader.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out ReadOnlySpan<byte> record))
            {
                batches.Add(OurBatch.FromRep(record, copy, reader.RecordOffset));
            }

            Assert.False(reader.IsRecycled);

            // With default options RocksDB writes no metadata record (compression type, timestamp sizes,
            // predecessor log): only batches, as we do.
            Assert.All(WalFile.Read(copy), r => Assert.Equal(WalRecordKind.Batch, r.Kind));
        }

        Assert.Equal(expected.Count, batches.Count);
        ulong sequence = 1;
        for (int i = 0; i < batches.Count; i++)
        {
            Assert.Equal(sequence, batches[i].Sequence);
            Assert.Equal(expected[i].AsSpan(8).ToArray(), batches[i].Rep[8..].ToArray());
            sequence += (ulong)batches[i].Count;
        }
    }

    /// <summary>
    /// With <c>recycle_log_file_num</c>, RocksDB writes the recyclable header and reuses obsolete logs:
    /// the reused file holds the new batches, then the previous use's records, which end the log.
    /// </summary>
    [Fact]
    public void RocksDbsRecycledLog_ReadsTheNewBatchesAndStopsAtTheOldOnes()
    {
        using var dir = new TempDirectory();
        var options = new RocksOptions().SetRecycleLogFileNum(1);
        string copy = dir.File("copy.log");
        ulong logNumber;
        var sync = new RocksWriteOptions().SetSync(true);
        using (RocksDb db = OpenWithFamily(dir.Path, options))
        {
            for (int round = 0; round < 3; round++)
            {
                int batches = round == 2 ? 3 : 50;
                for (int i = 0; i < batches; i++)
                {
                    db.Put(System.Text.Encoding.ASCII.GetBytes($"r{round}k{i}"), new byte[round == 2 ? 10 : 1000], null, sync);
                }

                if (round < 2)
                {
                    db.Flush(new RocksFlushOptions().SetWaitForFlush(true));
                }
            }

            string live = LogFiles(dir.Path)[^1];
            logNumber = ulong.Parse(Path.GetFileNameWithoutExtension(live), CultureInfo.InvariantCulture);
            File.Copy(live, copy);
        }

        using var reader = new LogReader(new LocalRandomAccessFile(copy), logNumber, ownsFile: true);
        var keys = new List<string>();
        while (reader.TryReadRecord(WalRecoveryMode.PointInTimeRecovery, out ReadOnlySpan<byte> record))
        {
            OurBatch batch = OurBatch.FromRep(record);
            WriteBatchReader records = batch.NewReader();
            Assert.True(records.TryReadNext(out WriteBatchRecord r));
            keys.Add(System.Text.Encoding.ASCII.GetString(r.Key));
        }

        Assert.True(reader.IsRecycled);
        Assert.Equal(["r2k0", "r2k1", "r2k2"], keys);
        Assert.True(reader.FileLength > 3 * 1000, "the log was not reused");
        Assert.True(reader.EndedAtOldRecord || reader.StoppedAt is not null);
    }

    /// <summary>
    /// RocksDB reads our files: a fresh database's empty WAL, replaced by one we wrote, is replayed at the
    /// next open, merges and deletes included.
    /// </summary>
    [Fact]
    public void RocksDb_ReplaysALogWeWrote()
    {
        using var dir = new TempDirectory();
        using (OpenWithFamily(dir.Path))
        {
        }

        string log = LogFiles(dir.Path)[^1];
        Assert.Equal(0, new FileInfo(log).Length);

        var family = new OurFamily(1, FamilyName);
        var batches = new List<OurBatch>();
        var first = new OurBatch();
        first.Put("a"u8, "1"u8);
        first.Put(family, "b"u8, "2"u8);
        first.Merge("counter"u8, BitConverter.GetBytes(5UL));
        batches.Add(first);
        var big = new OurBatch();
        for (int i = 0; i < 500; i++)
        {
            big.Put(System.Text.Encoding.ASCII.GetBytes($"big{i:D4}"), new byte[100]); // about 57 KB: fragmented
        }

        batches.Add(big);
        var last = new OurBatch();
        last.Delete("a"u8);
        last.Merge("counter"u8, BitConverter.GetBytes(7UL));
        last.DeleteRange("big0100"u8, "big0200"u8);
        batches.Add(last);

        using (var writer = new LogWriter(new LocalWritableFile(log)))
        {
            ulong sequence = 1;
            foreach (OurBatch batch in batches)
            {
                batch.SetSequence(sequence);
                sequence += (ulong)batch.Count;
                writer.AddRecord(batch.Rep);
            }

            writer.Sync();
        }

        using RocksDb db = OpenWithFamily(dir.Path);
        Assert.Null(db.Get("a"u8.ToArray()));
        Assert.Equal("2"u8.ToArray(), db.Get("b"u8.ToArray(), db.GetColumnFamily(FamilyName)));
        Assert.Equal(12UL, BitConverter.ToUInt64(db.Get("counter"u8.ToArray())));
        Assert.NotNull(db.Get("big0099"u8.ToArray()));
        Assert.Null(db.Get("big0150"u8.ToArray()));
        Assert.NotNull(db.Get("big0499"u8.ToArray()));
        Assert.Equal(1UL + 3 + 500 + 3 - 1, db.GetLatestSequenceNumber());
    }
}
