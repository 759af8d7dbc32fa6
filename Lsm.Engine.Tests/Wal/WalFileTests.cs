using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Tests.Wal;

/// <summary>The public inspection API over a log: batches, metadata, corruption and the torn tail, with offsets.</summary>
public sealed class WalFileTests
{
    private static (long[] Starts, long Length) WriteLog(string path, params byte[][] records)
    {
        using var writer = new LogWriter(new LocalWritableFile(path));
        long[] starts = records.Select(r => writer.AddRecord(r)).ToArray();
        return (starts, writer.Length);
    }

    [Fact]
    public void Read_ListsBatchesWithOperationsAndSequences()
    {
        using var dir = new TempDirectory();
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        batch.Delete(new ColumnFamilyHandle(2, "two"), "d"u8);
        batch.DeleteRange("a"u8, "c"u8);
        batch.SetSequence(100);
        byte[] withMarkers = [.. new byte[8], 1, 0, 0, 0, 0xD, 0x3, 1, 7, 0x2, 1, (byte)'m', 1, 9];
        (long[] starts, _) = WriteLog(dir.File("000005.log"), batch.Rep.ToArray(), withMarkers);

        List<WalRecord> records = WalFile.Read(dir.File("000005.log")).ToList();
        Assert.Equal(2, records.Count);

        WalRecord first = records[0];
        Assert.Equal(WalRecordKind.Batch, first.Kind);
        Assert.Equal(starts[0], first.Offset);
        Assert.Equal(batch.DataSize, first.Length);
        Assert.Equal(100UL, first.Batch!.Sequence);
        Assert.Equal(3u, first.Batch.Count);
        Assert.Equal([WalOperationKind.Put, WalOperationKind.Delete, WalOperationKind.DeleteRange], first.Batch.Operations.Select(o => o.Kind));
        Assert.Equal([0u, 2, 0], first.Batch.Operations.Select(o => o.ColumnFamilyId));
        Assert.Equal([100UL, 101, 102], first.Batch.Operations.Select(o => o.Sequence!.Value));
        Assert.Equal("c"u8.ToArray(), first.Batch.Operations[2].Value.ToArray());
        Assert.Equal((byte)0x4, first.Batch.Operations[1].Tag);

        WalBatch second = records[1].Batch!;
        Assert.Equal([WalOperationKind.Noop, WalOperationKind.LogData, WalOperationKind.Merge], second.Operations.Select(o => o.Kind));
        Assert.Equal([null, null, 0UL], second.Operations.Select(o => o.Sequence));
        Assert.Equal([7], second.Operations[1].Value.ToArray());
    }

    [Fact]
    public void Read_ListsCorruptionThenContinues_AndEndsWithTheTornTail()
    {
        using var dir = new TempDirectory();
        string path = dir.File("000006.log");
        var a = new WriteBatch();
        a.Put("a"u8, "1"u8);
        byte[] badBatch = [1, 2, 3]; // a record whose checksum holds but which is no batch
        byte[] big = new byte[LogFormat.BlockSize];
        var tail = new WriteBatch();
        tail.Put("t"u8, new byte[500]);
        (long[] starts, long length) = WriteLog(path, a.Rep.ToArray(), badBatch, big, a.Rep.ToArray(), tail.Rep.ToArray());

        byte[] bytes = File.ReadAllBytes(path);
        bytes[starts[2] + LogFormat.HeaderSize + 1] ^= 1; // damage the big record's first fragment
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)length - 100).ToArray()); // and cut the last record

        List<WalRecord> records = WalFile.Read(path).ToList();
        Assert.Equal(
            [WalRecordKind.Batch, WalRecordKind.Corruption, WalRecordKind.Corruption, WalRecordKind.Corruption, WalRecordKind.Batch, WalRecordKind.TornTail],
            records.Select(r => r.Kind));
        Assert.Equal(WalProblemKind.BadWriteBatch, records[1].Problem);
        Assert.Equal(starts[1], records[1].Offset);
        Assert.Equal(WalProblemKind.ChecksumMismatch, records[2].Problem);
        Assert.Equal(starts[2], records[2].Offset);
        Assert.Equal(WalProblemKind.FragmentOutOfSequence, records[3].Problem); // the orphaned last fragment
        Assert.Equal(starts[3], records[4].Offset);
        Assert.Equal(WalProblemKind.TornTail, records[5].Problem);
        Assert.Equal(starts[4], records[5].Offset);
        Assert.Contains("torn tail", records[5].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DescribesMetadataRecords()
    {
        using var dir = new TempDirectory();
        string path = dir.File("000007.log");
        byte[] sizes = [1, 0, 0, 0, 8, 0];
        byte[] predecessor = new byte[24];
        predecessor[0] = 6;
        predecessor[16] = 42;
        File.WriteAllBytes(path, LogTestSupport.Concat(
            LogTestSupport.RawRecord((byte)LogRecordType.SetCompressionType, [0, 0, 0, 0]),
            LogTestSupport.RawRecord((byte)LogRecordType.PredecessorWalInfo, predecessor),
            LogTestSupport.RawRecord((byte)LogRecordType.UserDefinedTimestampSize, sizes)));

        List<WalRecord> records = WalFile.Read(path).ToList();
        Assert.All(records, r => Assert.Equal(WalRecordKind.Metadata, r.Kind));
        Assert.Equal("compression type 0 (none)", records[0].Detail);
        Assert.Equal("predecessor log 6: 0 bytes, last sequence 42", records[1].Detail);
        Assert.Equal("user-defined timestamp sizes: column family 1 = 8 bytes;", records[2].Detail);
    }

    [Fact]
    public void Read_MissingFile_ThrowsAtTheCall()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => WalFile.Read(dir.File("000001.log")));
    }
}
