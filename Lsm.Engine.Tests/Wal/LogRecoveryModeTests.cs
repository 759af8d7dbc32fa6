using Lsm.Engine.IO;
using Lsm.Engine.Wal;
using static Lsm.Engine.Tests.Wal.LogTestSupport;

namespace Lsm.Engine.Tests.Wal;

/// <summary><see cref="LogReader.TryReadRecord"/> under each <see cref="WalRecoveryMode"/>, on a torn tail and on corruption.</summary>
public sealed class LogRecoveryModeTests
{
    private const int Block = LogFormat.BlockSize;

    private static (List<byte[]> Records, LogReader Reader) ReadWith(byte[] log, WalRecoveryMode mode, int? length = null)
    {
        var reader = new LogReader(length is int n ? new PrefixFile(log, n) : new MemoryFile("000009.log", log));
        var records = new List<byte[]>();
        while (reader.TryReadRecord(mode, out ReadOnlySpan<byte> record))
        {
            records.Add(record.ToArray());
        }

        return (records, reader);
    }

    /// <summary>Two records in block 0, a third from block 0 into block 1, two more in block 1.</summary>
    private static (byte[] Log, WrittenLog Written, byte[][] Records) Sample()
    {
        byte[][] records = [Payload(10, 1), Payload(20, 2), Payload(Block, 3), Payload(100, 4), Payload(500, 5)];
        WrittenLog log = Write(records);
        return (log.Bytes, log, records);
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords)]
    [InlineData(WalRecoveryMode.PointInTimeRecovery)]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords)]
    public void TornTail_EndsTheLogCleanly(WalRecoveryMode mode)
    {
        (byte[] log, WrittenLog written, byte[][] records) = Sample();
        (List<byte[]> read, LogReader reader) = ReadWith(log, mode, length: log.Length - 100);
        using (reader)
        {
            AssertSameRecords(records[..^1], read);
            Assert.Equal(written.Starts[^1], reader.TornTail!.Value.Offset);
            Assert.Equal(mode == WalRecoveryMode.PointInTimeRecovery ? reader.TornTail : null, reader.StoppedAt);
            Assert.Equal(400 + LogFormat.HeaderSize, reader.DroppedBytes);
            Assert.False(reader.TryReadRecord(mode, out _));
            Assert.Equal(400 + LogFormat.HeaderSize, reader.DroppedBytes); // counted once
        }
    }

    [Fact]
    public void TornTail_UnderAbsoluteConsistency_IsCorruptionWithFileAndOffset()
    {
        (byte[] log, WrittenLog written, _) = Sample();
        using var absolute = new LogReader(new PrefixFile(log, log.Length - 100));
        for (int i = 0; i < 4; i++)
        {
            Assert.True(absolute.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out _));
        }

        CorruptionException e = Assert.Throws<CorruptionException>(() => absolute.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out _));
        Assert.Equal("prefix.log", e.FilePath);
        Assert.Equal(written.Starts[^1], e.Offset);
        Assert.Contains("torn tail", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords)]
    [InlineData(WalRecoveryMode.AbsoluteConsistency)]
    public void ChecksumMismatch_InStrictModes_ThrowsNamingFileAndOffset(WalRecoveryMode mode)
    {
        (byte[] log, WrittenLog written, _) = Sample();
        log[written.Starts[1] + 10] ^= 0xFF;
        using var reader = new LogReader(new MemoryFile("000009.log", log));
        Assert.True(reader.TryReadRecord(mode, out _));
        CorruptionException e = Assert.Throws<CorruptionException>(() => reader.TryReadRecord(mode, out _));
        Assert.Equal("000009.log", e.FilePath);
        Assert.Equal(written.Starts[1], e.Offset);
        Assert.StartsWith("Corruption in 000009.log at offset 17: checksum mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChecksumMismatch_OfTheLastWholeRecord_IsCorruptionInTheDefaultMode()
    {
        WrittenLog written = Write([Payload(10, 1), Payload(20, 2)]);
        written.Bytes[^3] ^= 0x04;
        using var reader = new LogReader(new MemoryFile("000009.log", written.Bytes));
        Assert.True(reader.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out _));
        CorruptionException e = Assert.Throws<CorruptionException>(() => reader.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out _));
        Assert.Equal(written.Starts[1], e.Offset);
    }

    [Fact]
    public void ChecksumMismatch_UnderPointInTimeRecovery_StopsJustBefore()
    {
        (byte[] log, WrittenLog written, byte[][] records) = Sample();
        log[written.Starts[1] + 10] ^= 0xFF;
        (List<byte[]> read, LogReader reader) = ReadWith(log, WalRecoveryMode.PointInTimeRecovery);
        using (reader)
        {
            Assert.Equal([records[0]], read);
            Assert.Equal(written.Starts[1], reader.StoppedAt!.Value.Offset);
            Assert.Equal(WalProblemKind.ChecksumMismatch, reader.StoppedAt.Value.Kind);
            Assert.Equal(log.Length - written.Starts[1], reader.DroppedBytes);
            Assert.False(reader.TryReadRecord(WalRecoveryMode.PointInTimeRecovery, out _));
        }
    }

    [Fact]
    public void ChecksumMismatch_UnderSkipAnyCorruptedRecords_SkipsAndCounts()
    {
        (byte[] log, WrittenLog written, byte[][] records) = Sample();
        log[written.Starts[1] + 10] ^= 0xFF;
        (List<byte[]> read, LogReader reader) = ReadWith(log, WalRecoveryMode.SkipAnyCorruptedRecords);
        using (reader)
        {
            // Records 1 and 2 shared the damaged block; record 2's last fragment is orphaned in block 1.
            Assert.Equal([records[0], records[3], records[4]], read);
            Assert.Equal(2, reader.CorruptionsSkipped);
            Assert.True(reader.DroppedBytes >= Block - written.Starts[1]);
            Assert.Null(reader.TornTail);
        }
    }

    /// <summary>
    /// In a reused file, the new records end where an earlier use's bytes begin, mid-record: point in time
    /// recovery stops there, the default mode ends the log (as RocksDB does), absolute consistency cannot tell it from corruption.
    /// </summary>
    [Fact]
    public void RecycledLog_LeftoversAfterTheLastRecord_StopPointInTimeRecovery_EndTheDefaultMode_FailAbsoluteConsistency()
    {
        byte[] leftover = RawRecord(5, [9, 9, 9], logNumber: 2);
        byte[] log = Concat(RawRecord(5, [1], logNumber: 3), leftover.AsSpan(3).ToArray(), new byte[20]);

        (List<byte[]> read, LogReader reader) = ReadWith(log, WalRecoveryMode.PointInTimeRecovery);
        using (reader)
        {
            Assert.Equal([[1]], read);
            Assert.NotNull(reader.StoppedAt);
        }

        // The default mode ends a recycled log there, as RocksDB does, and counts the loss.
        using (var tolerant = new LogReader(new MemoryFile("3.log", log)))
        {
            Assert.True(tolerant.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out _));
            Assert.False(tolerant.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out _));
            Assert.True(tolerant.DroppedBytes > 0);
        }

        using var strict = new LogReader(new MemoryFile("3.log", log));
        Assert.True(strict.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out _));
        Assert.Throws<CorruptionException>(() => strict.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out _));
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords)]
    [InlineData(WalRecoveryMode.AbsoluteConsistency)]
    [InlineData(WalRecoveryMode.PointInTimeRecovery)]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords)]
    public void PreallocatedZeros_AreNoDamageInAnyMode(WalRecoveryMode mode)
    {
        (byte[] log, _, byte[][] records) = Sample();
        (List<byte[]> read, LogReader reader) = ReadWith(Concat(log, new byte[Block + 5]), mode);
        using (reader)
        {
            AssertSameRecords(records, read);
            Assert.Null(reader.StoppedAt);
            Assert.Equal(0, reader.DroppedBytes);
        }
    }

    [Fact]
    public void UnknownMode_IsRefused()
    {
        using var reader = new LogReader(new MemoryFile("x.log", []));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.TryReadRecord((WalRecoveryMode)9, out _));
    }
}
