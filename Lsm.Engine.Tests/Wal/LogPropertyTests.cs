using FsCheck.Xunit;
using Lsm.Engine.Wal;
using static Lsm.Engine.Tests.Wal.LogTestSupport;

namespace Lsm.Engine.Tests.Wal;

/// <summary>
/// Randomized checks of the log: any records round-trip; a log cut anywhere ends in a torn tail after
/// intact records; and damage to any single byte is always reported as corruption (never as a torn
/// tail, never silently, never as an exception), with every record before it intact and no damaged or
/// invented record returned.
/// </summary>
/// <remarks>
/// Why a single damaged byte can never pass for a torn tail: a record looks cut by the end of the file
/// only if its length or its header size (decided by its type) says it is longer than the bytes present.
/// When that happens the reader checks whether the checksum matches a shorter length, or a legacy type
/// with the shorter header; the undamaged fields then reveal the damage. Damage anywhere else leaves
/// length and type intact, so the record is whole and fails its checksum; trailer bytes must be zero.
/// </remarks>
public sealed class LogPropertyTests
{
    private const int Block = LogFormat.BlockSize;

    /// <summary>Records of every size class: empty, small, around a block, several blocks.</summary>
    private static byte[][] RandomRecords(int seed)
    {
        var random = new Random(seed);
        int count = random.Next(1, 9);
        var records = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(6) switch
            {
                0 => 0,
                1 or 2 => random.Next(1, 200),
                3 => random.Next(Block - 40, Block + 40),
                4 => random.Next(1, 3 * Block),
                _ => random.Next(200, 5000),
            };
            records[i] = Payload(length, random.Next());
        }

        return records;
    }

    [Property(MaxTest = 100)]
    public void AnyRecords_RoundTripWithOffsets(byte[][] records, int seed)
    {
        byte[][] all = (records ?? []).Select(r => r ?? []).Concat(RandomRecords(seed)).ToArray();
        WrittenLog log = Write(all);
        List<LogEvent> events = ReadAll(log.Bytes);
        AssertSameRecords(all, Records(events));
        Assert.Equal(log.Starts, events.Where(e => e.Status == LogReadStatus.Record).Select(e => e.Offset));
        Assert.Empty(Corruptions(events));
        Assert.Null(TornTail(events));
    }

    [Fact]
    public void CutInsideZeroChecksumBytes_ReadsAsPadding() => CutAnywhere_TornTailAfterIntactRecords(12, 1);

    [Property(MaxTest = 200)]
    public void CutAnywhere_TornTailAfterIntactRecords(int seed, int cutSeed)
    {
        byte[][] records = RandomRecords(seed);
        WrittenLog log = Write(records);
        int cut = (int)((uint)cutSeed % (uint)(log.Bytes.Length + 1));
        List<LogEvent> events = ReadAll(new PrefixFile(log.Bytes, cut));

        int whole = log.Ends.Count(end => end <= cut);
        AssertSameRecords(records[..whole], Records(events));
        Assert.Empty(Corruptions(events));
        LogProblem? torn = TornTail(events);
        bool cutInsideRecord = whole < records.Length && cut > log.Starts[whole];

        // A cut that leaves only zero bytes of the next record (its checksum's first bytes can be zero) reads as
        // preallocated padding, which ends a log cleanly: nothing of the record survives to be called torn.
        if (cutInsideRecord && log.Bytes.AsSpan((int)log.Starts[whole], cut - (int)log.Starts[whole]).IndexOfAnyExcept((byte)0) < 0)
        {
            Assert.Null(torn);
        }
        else if (cutInsideRecord)
        {
            Assert.Equal(log.Starts[whole], torn!.Value.Offset);
        }
        else
        {
            Assert.Null(torn);
        }
    }

    [Property(MaxTest = 300)]
    public void AnySingleDamagedByte_IsReportedAsCorruption(int seed, int positionSeed, byte mask)
    {
        byte[][] records = RandomRecords(seed);
        WrittenLog log = Write(records);
        int position = (int)((uint)positionSeed % (uint)log.Bytes.Length);
        CheckDamage(records, log, position, mask == 0 ? (byte)1 : mask);
    }

    /// <summary>Every header and trailer byte, and payload bytes at a stride, flipped three ways.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void EveryHeaderAndTrailerByte_Damaged_IsReportedAsCorruption(int seed)
    {
        byte[][] records = [Payload(0, seed), Payload(100, seed), Payload(Block - 150, seed), Payload(2 * Block, seed), Payload(3, seed), Payload(40, seed)];
        WrittenLog log = Write(records);
        var positions = new SortedSet<int>();
        foreach (int start in log.Starts.Select(s => (int)s))
        {
            positions.UnionWith(Enumerable.Range(Math.Max(0, start - 6), 6 + LogFormat.HeaderSize));
        }

        for (int block = Block; block < log.Bytes.Length; block += Block)
        {
            positions.UnionWith(Enumerable.Range(block - 6, 6 + LogFormat.HeaderSize)); // trailers and fragment headers
        }

        positions.UnionWith(Enumerable.Range(0, log.Bytes.Length).Where(p => p % 251 == 0));
        positions.RemoveWhere(p => p >= log.Bytes.Length);
        foreach (int position in positions)
        {
            foreach (byte mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                CheckDamage(records, log, position, mask);
            }
        }
    }

    [Fact]
    public void EveryTypeByteValue_OnTheLastRecord_IsReportedAsCorruption()
    {
        foreach (byte[][] records in new[] { new[] { Payload(30, 1) }, new[] { Payload(10, 2), Payload(30, 3) } })
        {
            WrittenLog log = Write(records);
            int typeOffset = (int)log.Starts[^1] + 6;
            for (int value = 0; value < 256; value++)
            {
                if (value != log.Bytes[typeOffset])
                {
                    CheckDamage(records, log, typeOffset, (byte)(value ^ log.Bytes[typeOffset]));
                }
            }
        }
    }

    private static void CheckDamage(byte[][] records, WrittenLog log, int position, byte mask)
    {
        byte[] damaged = (byte[])log.Bytes.Clone();
        damaged[position] ^= mask;

        List<LogEvent> events = ReadAll(damaged); // throws nothing
        string context = $"byte {position} ^ 0x{mask:X2}";
        Assert.True(Corruptions(events).Count > 0, "no corruption reported for " + context);
        Assert.True(TornTail(events) is null, "torn tail reported for " + context);

        // Every record returned is a written record, at its offset, in order, and not the damaged one.
        var returned = events.Where(e => e.Status == LogReadStatus.Record).ToList();
        int previous = -1;
        foreach (LogEvent e in returned)
        {
            int index = Array.IndexOf(log.Starts, e.Offset);
            Assert.True(index > previous, $"record at {e.Offset} out of order or invented, {context}");
            Assert.True(records[index].AsSpan().SequenceEqual(e.Data), $"record {index} differs, {context}");
            Assert.False(log.Starts[index] <= position && position < log.Ends[index], $"damaged record returned, {context}");
            previous = index;
        }

        // Every record wholly before the damage comes first and intact.
        int intact = log.Ends.Count(end => end <= position);
        Assert.True(returned.Count >= intact, $"lost intact records, {context}");
        Assert.Equal(log.Starts[..intact], returned.Take(intact).Select(e => e.Offset));
    }
}
