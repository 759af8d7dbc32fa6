using Lsm.Engine.Encoding;
using Lsm.Engine.Wal;
using static Lsm.Engine.Tests.Wal.LogTestSupport;

namespace Lsm.Engine.Tests.Wal;

/// <summary>The log reader at the format's edges: torn tails, bad checksums, types, lengths and fragments, padding, recyclable and metadata records.</summary>
public sealed class LogReaderTests
{
    private const int Block = LogFormat.BlockSize;
    private const int Header = LogFormat.HeaderSize;

    [Fact]
    public void EmptyLog_IsACleanEnd()
    {
        List<LogEvent> events = ReadAll([]);
        Assert.Single(events);
        Assert.Equal(LogReadStatus.EndOfLog, events[0].Status);
        Assert.Null(events[0].Problem);
    }

    [Fact]
    public void SmallRecords_RoundTripWithOffsets()
    {
        byte[][] records = [[1], [], Payload(1000, 1), Payload(7, 2)];
        WrittenLog log = Write(records);
        List<LogEvent> events = ReadAll(log.Bytes);
        AssertSameRecords(records, Records(events));
        Assert.Equal(log.Starts, events.Where(e => e.Status == LogReadStatus.Record).Select(e => e.Offset));
        Assert.Null(TornTail(events));
    }

    /// <summary>
    /// Cutting the file at every byte of a last record that straddles a block boundary leaves the earlier
    /// records intact and ends with a torn tail at the last record's offset; cutting exactly at its start is clean.
    /// </summary>
    [Theory]
    [InlineData(3_000)]
    [InlineData(20)]
    public void TruncatedTail_AtEveryByteOfTheLastRecord_IsATornTailAfterIntactRecords(int lastLength)
    {
        byte[][] records = [Payload(100, 1), Payload(Block - 100 - 3 * Header - lastLength / 2, 2), Payload(lastLength, 3)];
        WrittenLog log = Write(records);
        long lastStart = log.Starts[^1];

        for (int cut = (int)log.Ends[^2]; cut < log.Bytes.Length; cut++)
        {
            List<LogEvent> events = ReadAll(new PrefixFile(log.Bytes, cut));
            AssertSameRecords(records[..^1], Records(events));
            Assert.Empty(Corruptions(events));
            LogProblem? torn = TornTail(events);
            if (cut <= lastStart)
            {
                Assert.Null(torn); // only the previous block's zero trailer, or nothing, is cut
            }
            else
            {
                Assert.NotNull(torn);
                Assert.Equal(WalProblemKind.TornTail, torn.Value.Kind);
                Assert.Equal(lastStart, torn.Value.Offset);
                Assert.Contains($"torn tail at offset {lastStart}", torn.Value.Reason, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ChecksumMismatch_InTheMiddle_IsCorruptionAtTheRecordAndReadingResumesAtTheNextBlock()
    {
        byte[][] records = [Payload(10, 1), Payload(20, 2), Payload(30, 3), Payload(Block, 4), Payload(50, 5)];
        WrittenLog log = Write(records);
        log.Bytes[log.Starts[1] + Header + 5] ^= 0x10;

        List<LogEvent> events = ReadAll(log.Bytes);
        LogProblem problem = Corruptions(events)[0];
        Assert.Equal(WalProblemKind.ChecksumMismatch, problem.Kind);
        Assert.Equal(log.Starts[1], problem.Offset);
        Assert.Equal(Block - log.Starts[1], problem.DroppedBytes); // the rest of the block
        // Record 2 and the first fragment of record 3 shared the block; record 3's orphaned fragments follow.
        AssertSameRecords([records[0]], [Records(events)[0]]);
        AssertSameRecords([records[4]], [Records(events)[^1]]);
        Assert.All(Corruptions(events).Skip(1), p => Assert.Equal(WalProblemKind.FragmentOutOfSequence, p.Kind));
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void ChecksumMismatch_AtTheTail_IsCorruptionNotATornTail()
    {
        byte[][] records = [Payload(10, 1), Payload(20, 2)];
        WrittenLog log = Write(records);
        log.Bytes[^1] ^= 0x01;

        List<LogEvent> events = ReadAll(log.Bytes);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.ChecksumMismatch, problem.Kind);
        Assert.Equal(log.Starts[1], problem.Offset);
        Assert.Equal([records[0]], Records(events));
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void BadRecordType_IsCorruption_AndTheNextRecordIsRead()
    {
        byte[] log = Concat(RawRecord(1, [1]), RawRecord(0x20, [2, 2]), RawRecord(1, [3]));
        List<LogEvent> events = ReadAll(log);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.BadRecordType, problem.Kind);
        Assert.Equal(Header + 1, problem.Offset);
        Assert.Equal([[1], [3]], Records(events));
    }

    [Fact]
    public void BadRecordType_ZeroTypeWithPayload_IsCorruption()
    {
        byte[] log = Concat(RawRecord(0, [5, 5, 5]), RawRecord(1, [3]));
        List<LogEvent> events = ReadAll(log);
        Assert.Equal(WalProblemKind.BadRecordType, Assert.Single(Corruptions(events)).Kind);
        Assert.Equal([[3]], Records(events));
    }

    [Fact]
    public void UnknownTypeWithSafeToIgnoreBit_IsSkippedSilently()
    {
        byte[] log = Concat(RawRecord(1, [1]), RawRecord(0x85, [9, 9]), RawRecord(1, [3]));
        List<LogEvent> events = ReadAll(log);
        Assert.Empty(Corruptions(events));
        Assert.Equal([[1], [3]], Records(events));
    }

    [Fact]
    public void BadLength_PastTheBlockEnd_IsCorruption()
    {
        WrittenLog log = Write([Payload(10, 1), Payload(20, 2), Payload(Block, 3)]);
        log.Bytes[log.Starts[1] + 5] = 0x90; // 0x9014 bytes: past the block end
        List<LogEvent> events = ReadAll(log.Bytes);
        LogProblem first = Corruptions(events)[0];
        Assert.Equal(WalProblemKind.BadLength, first.Kind);
        Assert.Equal(log.Starts[1], first.Offset);
    }

    [Fact]
    public void BadLength_PastTheEndOfTheFile_WhenTheChecksumMatchesAShorterRecord_IsCorruptionNotATornTail()
    {
        WrittenLog log = Write([Payload(10, 1), Payload(20, 2)]);
        log.Bytes[log.Starts[1] + 4] = 200; // the last record now claims 200 bytes
        List<LogEvent> events = ReadAll(log.Bytes);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.BadLength, problem.Kind);
        Assert.Contains("matches 20 bytes", problem.Reason, StringComparison.Ordinal);
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void DamagedTypeMakingTheLastRecordLookRecyclable_IsCorruptionNotATornTail()
    {
        // Alone in its log, the record is not in a log known to be legacy: its header would be 11 bytes,
        // so it looks cut by the end of the file; the checksum shows it is a whole legacy record.
        WrittenLog log = Write([Payload(20, 2)]);
        log.Bytes[6] = (byte)LogRecordType.RecyclableFull;
        LogProblem problem = Assert.Single(Corruptions(ReadAll(log.Bytes)));
        Assert.Equal(WalProblemKind.BadRecordType, problem.Kind);
        Assert.Null(TornTail(ReadAll(log.Bytes)));

        // After legacy records, any recyclable type is out of place.
        log = Write([Payload(10, 1), Payload(20, 2)]);
        log.Bytes[log.Starts[1] + 6] = (byte)LogRecordType.RecyclableLast;
        Assert.Equal(WalProblemKind.BadRecordType, Assert.Single(Corruptions(ReadAll(log.Bytes))).Kind);
    }

    [Fact]
    public void MissingLast_FirstFollowedByFull_IsFragmentOutOfSequence_ThenTheFullRecord()
    {
        byte[] log = Concat(RawRecord(2, [1, 1]), RawRecord(3, [2]), RawRecord(1, [7]));
        List<LogEvent> events = ReadAll(log);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.FragmentOutOfSequence, problem.Kind);
        Assert.Equal(0, problem.Offset);
        Assert.Equal(2 * Header + 3, problem.DroppedBytes);
        Assert.Equal([[7]], Records(events));
        Assert.Equal(LogReadStatus.Corruption, events[0].Status); // reported before the record that ended it
    }

    [Fact]
    public void MissingLast_AtTheEndOfTheFile_IsATornTailAtTheFirstFragment()
    {
        byte[] log = Concat(RawRecord(1, [7]), RawRecord(2, [1, 1]), RawRecord(3, [2]));
        List<LogEvent> events = ReadAll(log);
        Assert.Empty(Corruptions(events));
        Assert.Equal([[7]], Records(events));
        Assert.Equal(Header + 1, TornTail(events)!.Value.Offset);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void UnexpectedMiddleOrLast_WithoutFirst_IsFragmentOutOfSequence(byte type)
    {
        byte[] log = Concat(RawRecord(type, [1, 1]), RawRecord(1, [7]));
        List<LogEvent> events = ReadAll(log);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.FragmentOutOfSequence, problem.Kind);
        Assert.Equal(0, problem.Offset);
        Assert.Equal([[7]], Records(events));
    }

    [Fact]
    public void EmptyFirstFragment_FollowedByFull_IsToleratedAsOldWritersEmittedIt()
    {
        byte[] log = Concat(RawRecord(2, []), RawRecord(1, [7]));
        List<LogEvent> events = ReadAll(log);
        Assert.Empty(Corruptions(events));
        Assert.Equal([[7]], Records(events));
    }

    [Fact]
    public void PreallocatedZeros_AfterTheRecords_AreACleanEnd()
    {
        WrittenLog log = Write([Payload(10, 1), Payload(20, 2)]);
        byte[] padded = Concat(log.Bytes, new byte[3 * Block + 100]);
        List<LogEvent> events = ReadAll(padded);
        Assert.Equal(2, Records(events).Count);
        Assert.Empty(Corruptions(events));
        Assert.Null(TornTail(events));

        // Fewer zeros than a header at the end of the file are no record either.
        events = ReadAll(Concat(log.Bytes, new byte[3]));
        Assert.Empty(Corruptions(events));
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void ZerosFollowedByDataInTheSameBlock_IsBadPadding()
    {
        byte[] log = Concat(RawRecord(1, [1]), new byte[20], RawRecord(1, [2]));
        List<LogEvent> events = ReadAll(log);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.BadPadding, problem.Kind);
        Assert.Equal(Header + 1, problem.Offset);
        Assert.Equal([[1]], Records(events));
    }

    [Fact]
    public void NonZeroTrailer_IsBadPadding()
    {
        WrittenLog log = Write([Payload(Block - Header - 4, 1), Payload(20, 2)]);
        log.Bytes[Block - 2] = 0x42;
        List<LogEvent> events = ReadAll(log.Bytes);
        LogProblem problem = Assert.Single(Corruptions(events));
        Assert.Equal(WalProblemKind.BadPadding, problem.Kind);
        Assert.Equal(Block - 4, problem.Offset);
        Assert.Equal(2, Records(events).Count); // nothing is lost: the records around it are whole
    }

    [Fact]
    public void PartialHeaderAtTheEnd_IsATornTail()
    {
        WrittenLog log = Write([Payload(10, 1), Payload(20, 2)]);
        for (int cut = 1; cut < Header; cut++)
        {
            List<LogEvent> events = ReadAll(new PrefixFile(log.Bytes, (int)log.Starts[1] + cut));
            Assert.Equal(log.Starts[1], TornTail(events)!.Value.Offset);
            Assert.Single(Records(events));
        }
    }

    [Fact]
    public void RecyclableRecords_AreRead_AndAnEarlierLogsRecordEndsTheLog()
    {
        byte[] log = Concat(
            RawRecord(5, [1], logNumber: 7),
            RawRecord(6, [2, 2], logNumber: 7),
            RawRecord(8, [3], logNumber: 7),
            RawRecord(5, [4], logNumber: 6), // left by the file's previous use
            RawRecord(5, [5], logNumber: 7));
        using var reader = new LogReader(new Lsm.Engine.IO.MemoryFile("000007.log", log), logNumber: 7);
        Assert.Equal(LogReadStatus.Record, reader.ReadNext());
        Assert.Equal([1], reader.Record.ToArray());
        Assert.Equal(LogReadStatus.Record, reader.ReadNext());
        Assert.Equal([2, 2, 3], reader.Record.ToArray());
        Assert.Equal(LogReadStatus.EndOfLog, reader.ReadNext());
        Assert.True(reader.EndedAtOldRecord);
        Assert.True(reader.IsRecycled);
        Assert.Null(reader.TornTail);
    }

    [Fact]
    public void RecyclableLog_WithoutAKnownNumber_TakesTheFirstRecordsNumber_AndLegacyDataRecordsEndIt()
    {
        byte[] log = Concat(RawRecord(5, [1], logNumber: 42), RawRecord(1, [2]));
        List<LogEvent> events = ReadAll(log);
        Assert.Equal([[1]], Records(events));
        Assert.Empty(Corruptions(events));
    }

    [Fact]
    public void TimestampSizeMetadata_IsReportedAndRecorded()
    {
        byte[] entries = new byte[12];
        Coding.WriteFixed32(entries, 1);
        entries[4] = 8;
        Coding.WriteFixed32(entries.AsSpan(6), 3);
        entries[10] = 16;
        byte[] log = Concat(RawRecord((byte)LogRecordType.UserDefinedTimestampSize, entries), RawRecord(1, [7]));
        using var reader = new LogReader(new Lsm.Engine.IO.MemoryFile("1.log", log));
        Assert.Equal(LogReadStatus.Metadata, reader.ReadNext());
        Assert.Equal(LogRecordType.UserDefinedTimestampSize, reader.MetadataType);
        Assert.Equal(8, reader.TimestampSizes[1]);
        Assert.Equal(16, reader.TimestampSizes[3]);
        Assert.True(reader.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out ReadOnlySpan<byte> record));
        Assert.Equal([7], record.ToArray());
    }

    [Fact]
    public void BadMetadata_IsCorruption()
    {
        byte[] log = Concat(RawRecord((byte)LogRecordType.UserDefinedTimestampSize, [1, 2, 3]), RawRecord(1, [7]), RawRecord((byte)LogRecordType.SetCompressionType, [0, 0, 0, 0]));
        List<LogEvent> events = ReadAll(log);
        Assert.Equal([WalProblemKind.BadMetadata, WalProblemKind.BadMetadata], Corruptions(events).Select(p => p.Kind));
        Assert.Equal([[7]], Records(events));
    }

    [Fact]
    public void PredecessorWalInfo_IsMetadata()
    {
        byte[] info = new byte[24];
        Coding.WriteFixed64(info, 12);
        byte[] log = Concat(RawRecord((byte)LogRecordType.PredecessorWalInfo, info), RawRecord(1, [7]));
        List<LogEvent> events = ReadAll(log);
        Assert.Equal(LogReadStatus.Metadata, events[0].Status);
        Assert.Equal([[7]], Records(events));
    }

    [Fact]
    public void CompressionTypeRecord_None_IsMetadata_ZstdDecompresses_OthersNotSupported()
    {
        List<LogEvent> events = ReadAll(Concat(RawRecord((byte)LogRecordType.SetCompressionType, [0, 0, 0, 0]), RawRecord(1, [7])));
        Assert.Equal(LogReadStatus.Metadata, events[0].Status);
        Assert.Equal([[7]], Records(events));

        // ZSTD: each record's payload is one frame; a payload that is not one is corruption, never data.
        using var compressor = new ZstdSharp.Compressor();
        byte[] payload = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i % 7))];
        byte[] frame = compressor.Wrap(payload).ToArray();
        byte[] zstd = Concat(RawRecord((byte)LogRecordType.SetCompressionType, [7, 0, 0, 0]), RawRecord(1, frame), RawRecord(1, []), RawRecord(1, [7]));
        events = ReadAll(zstd);
        Assert.Equal([payload, []], Records(events));
        Assert.Equal(LogReadStatus.Corruption, events[^2].Status);
        Assert.Equal(WalProblemKind.BadCompressedRecord, events[^2].Problem!.Value.Kind);

        byte[] snappy = Concat(RawRecord((byte)LogRecordType.SetCompressionType, [1, 0, 0, 0]), RawRecord(1, [7]));
        Assert.Throws<NotSupportedException>(() => ReadAll(snappy));
    }
}
