using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;
using Lsm.Engine.IO;
using Lsm.Engine.Wal;
using static Lsm.Engine.Tests.Wal.LogTestSupport;

namespace Lsm.Engine.Tests.Wal;

/// <summary>The bytes <see cref="LogWriter"/> lays out: headers, fragments and block trailers.</summary>
public sealed class LogWriterTests
{
    private const int Block = LogFormat.BlockSize;
    private const int Header = LogFormat.HeaderSize;

    [Fact]
    public void EmptyLog_WritesNothing()
    {
        WrittenLog log = Write([]);
        Assert.Empty(log.Bytes);
    }

    [Fact]
    public void SmallRecords_HeaderIsMaskedCrcLengthType()
    {
        WrittenLog log = Write([[(byte)'f', (byte)'o', (byte)'o'], [], [1, 2, 3, 4, 5]]);
        Assert.Equal([0L, 10, 17], log.Starts);
        Assert.Equal(3 * Header + 8, log.Bytes.Length);

        ReadOnlySpan<byte> first = log.Bytes.AsSpan(0, Header + 3);
        Assert.Equal(3, first[4] | (first[5] << 8));
        Assert.Equal((byte)LogRecordType.Full, first[6]);
        uint expected = Crc32C.Mask(Crc32C.Compute([1, (byte)'f', (byte)'o', (byte)'o']));
        Assert.Equal(expected, Coding.ReadFixed32(first));

        // The empty record is one zero-length full record.
        Assert.Equal([0, 0, (byte)LogRecordType.Full], log.Bytes.AsSpan(14, 3).ToArray());
    }

    /// <summary>The worked example of format-spec.md 14.1.5, checksum computed independently.</summary>
    [Fact]
    public void KnownAnswer_PutAtSequenceOne()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        batch.SetSequence(1);
        WrittenLog log = Write([batch.Rep.ToArray()]);
        Assert.Equal(Convert.FromHexString("e75a4d0011000101000000000000000100000001016b0176"), log.Bytes);
    }

    [Fact]
    public void RecordExactlyFillsBlock_NextRecordStartsNextBlockWithoutTrailer()
    {
        WrittenLog log = Write([Payload(Block - Header, 1), Payload(10, 2)]);
        Assert.Equal(Block, log.Ends[0]);
        Assert.Equal(Block, log.Starts[1]);
        Assert.Equal((byte)LogRecordType.Full, log.Bytes[6]);
        Assert.Equal((byte)LogRecordType.Full, log.Bytes[Block + 6]);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void MarginalTrailer_LeftoverDecidesTrailerOrEmptyFirstFragment(int leftover)
    {
        int firstLength = Block - Header - leftover;
        WrittenLog log = Write([Payload(firstLength, 1), Payload(100, 2)]);
        Assert.Equal(Block - leftover, log.Ends[0]);

        if (leftover < Header)
        {
            // Too small for a header: zero trailer, the record starts the next block.
            Assert.Equal(Block, log.Starts[1]);
            Assert.All(log.Bytes.AsSpan(Block - leftover, leftover).ToArray(), b => Assert.Equal(0, b));
            Assert.Equal((byte)LogRecordType.Full, log.Bytes[Block + 6]);
        }
        else
        {
            // Room for a header: a first fragment of leftover - 7 payload bytes (possibly none), the rest in the next block.
            Assert.Equal(Block - leftover, log.Starts[1]);
            Assert.Equal((byte)LogRecordType.First, log.Bytes[Block - leftover + 6]);
            Assert.Equal(leftover - Header, log.Bytes[Block - leftover + 4]);
            Assert.Equal((byte)LogRecordType.Last, log.Bytes[Block + 6]);
        }

        List<LogEvent> events = ReadAll(log.Bytes);
        Assert.Equal([firstLength, 100], Records(events).Select(r => r.Length));
        Assert.Equal(log.Starts, events.Where(e => e.Status == LogReadStatus.Record).Select(e => e.Offset));
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void MarginalTrailer_EmptyRecordFitsExactlyInSevenBytes()
    {
        WrittenLog log = Write([Payload(Block - 2 * Header, 1), [], [9]]);
        Assert.Equal(Block - Header, log.Starts[1]);
        Assert.Equal(Block, log.Ends[1]);
        Assert.Equal(Block, log.Starts[2]);
        Assert.Equal(3, Records(ReadAll(log.Bytes)).Count);
    }

    [Fact]
    public void FragmentedAcrossManyBlocks_FirstMiddlesLast()
    {
        byte[] big = Payload(5 * Block + 1234, 7);
        WrittenLog log = Write([Payload(100, 1), big, Payload(3, 2)]);
        var types = new List<byte>();
        int position = (int)log.Starts[1];
        while (position < log.Ends[1])
        {
            if (Block - (position % Block) < Header)
            {
                position += Block - (position % Block);
                continue;
            }

            types.Add(log.Bytes[position + 6]);
            position += Header + (log.Bytes[position + 4] | (log.Bytes[position + 5] << 8));
        }

        Assert.Equal((byte)LogRecordType.First, types[0]);
        Assert.Equal((byte)LogRecordType.Last, types[^1]);
        Assert.All(types.Skip(1).SkipLast(1), t => Assert.Equal((byte)LogRecordType.Middle, t));
        Assert.Equal(6, types.Count); // first in block 0 (32,654 bytes), four full middles (32,761 each), last (1,376)

        List<byte[]> records = Records(ReadAll(log.Bytes));
        Assert.Equal(big, records[1]);
    }

    [Fact]
    public void ReopenedFile_ContinuesTheBlockLayout()
    {
        var file = new MemoryFile("reopen.log");
        using (var writer = new LogWriter(file, ownsFile: false))
        {
            writer.AddRecord(Payload(Block - Header - 3, 1)); // leaves 3 bytes: a trailer on the next append
        }

        using (var writer = new LogWriter(file, ownsFile: false))
        {
            Assert.Equal(Block, writer.AddRecord(Payload(10, 2)));
        }

        Assert.Equal(2, Records(ReadAll(file.ToArray())).Count);
    }

    [Fact]
    public void FailedAppend_RefusesFurtherRecords()
    {
        using var writer = new LogWriter(new FailingFile(failAfterAppends: 1));
        Assert.Throws<IOException>(() => writer.AddRecord([1, 2, 3]));
        Assert.Throws<InvalidOperationException>(() => writer.AddRecord([4]));
    }

    private sealed class FailingFile(int failAfterAppends) : IWritableFile
    {
        private int _appends;

        public string Name => "failing.log";

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (++_appends > failAfterAppends)
            {
                throw new IOException("disk full");
            }

            Length += data.Length;
        }

        public void Flush()
        {
        }

        public void Sync()
        {
        }

        public void Dispose()
        {
        }
    }
}
