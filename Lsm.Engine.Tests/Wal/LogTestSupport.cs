using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;
using Lsm.Engine.IO;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Tests.Wal;

/// <summary>What <see cref="LogReader.ReadNext"/> returned, copied: a record, metadata, a corruption, or the end (with its torn tail).</summary>
internal sealed record LogEvent(LogReadStatus Status, long Offset, byte[] Data, LogProblem? Problem)
{
    public override string ToString() => Problem is LogProblem p ? $"{Status} {p}" : $"{Status} @{Offset} ({Data.Length} bytes)";
}

/// <summary>A log written with <see cref="LogWriter"/>: the bytes and, per record, where it starts and where the file ended after it.</summary>
internal sealed record WrittenLog(byte[] Bytes, long[] Starts, long[] Ends);

/// <summary>A file that shows only the first <c>length</c> bytes of an array: a log cut at any point without copying.</summary>
internal sealed class PrefixFile(byte[] data, int length) : IRandomAccessFile
{
    public string Name => "prefix.log";

    public long Length => length;

    public int Read(long offset, Span<byte> destination)
    {
        if (offset >= length)
        {
            return 0;
        }

        int n = (int)Math.Min(destination.Length, length - offset);
        data.AsSpan((int)offset, n).CopyTo(destination);
        return n;
    }

    public void Dispose()
    {
    }
}

internal static class LogTestSupport
{
    public static WrittenLog Write(IEnumerable<byte[]> records)
    {
        var file = new MemoryFile("test.log");
        using var writer = new LogWriter(file, ownsFile: false);
        var starts = new List<long>();
        var ends = new List<long>();
        foreach (byte[] record in records)
        {
            starts.Add(writer.AddRecord(record));
            ends.Add(writer.Length);
        }

        return new WrittenLog(file.ToArray(), [.. starts], [.. ends]);
    }

    /// <summary>Bytes that differ from record to record and position to position.</summary>
    public static byte[] Payload(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>One physical record with a correct checksum, any type, legacy header unless a log number is given.</summary>
    public static byte[] RawRecord(byte type, ReadOnlySpan<byte> payload, uint? logNumber = null)
    {
        int headerSize = logNumber is null ? LogFormat.HeaderSize : LogFormat.RecyclableHeaderSize;
        byte[] bytes = new byte[headerSize + payload.Length];
        bytes[4] = (byte)payload.Length;
        bytes[5] = (byte)(payload.Length >> 8);
        bytes[6] = type;
        if (logNumber is uint n)
        {
            Coding.WriteFixed32(bytes.AsSpan(7), n);
        }

        payload.CopyTo(bytes.AsSpan(headerSize));
        Coding.WriteFixed32(bytes, Crc32C.Mask(Crc32C.Compute(bytes.AsSpan(6))));
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static List<LogEvent> ReadAll(byte[] log, ulong? logNumber = null) => ReadAll(new MemoryFile("test.log", log), logNumber);

    public static List<LogEvent> ReadAll(IRandomAccessFile file, ulong? logNumber = null)
    {
        using var reader = new LogReader(file, logNumber);
        var events = new List<LogEvent>();
        for (int guard = 0; guard < 1_000_000; guard++)
        {
            LogReadStatus status = reader.ReadNext();
            switch (status)
            {
                case LogReadStatus.Record or LogReadStatus.Metadata:
                    events.Add(new LogEvent(status, reader.RecordOffset, reader.Record.ToArray(), null));
                    break;
                case LogReadStatus.Corruption:
                    events.Add(new LogEvent(status, reader.Problem.Offset, [], reader.Problem));
                    break;
                default:
                    events.Add(new LogEvent(status, -1, [], reader.TornTail));
                    Assert.Equal(LogReadStatus.EndOfLog, reader.ReadNext()); // stays at the end
                    return events;
            }
        }

        throw new InvalidOperationException("The reader did not reach the end.");
    }

    /// <summary>Equal record lists, compared fast (xUnit's element-by-element comparison of large arrays is slow).</summary>
    public static void AssertSameRecords(IEnumerable<byte[]> expected, IEnumerable<byte[]> actual)
    {
        byte[][] e = expected.ToArray();
        byte[][] a = actual.ToArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(e[i].AsSpan().SequenceEqual(a[i]), $"record {i} differs");
        }
    }

    public static List<byte[]> Records(IEnumerable<LogEvent> events) =>
        events.Where(e => e.Status == LogReadStatus.Record).Select(e => e.Data).ToList();

    public static List<LogProblem> Corruptions(IEnumerable<LogEvent> events) =>
        events.Where(e => e.Status == LogReadStatus.Corruption).Select(e => e.Problem!.Value).ToList();

    public static LogProblem? TornTail(IEnumerable<LogEvent> events) => events.Last().Problem;
}
