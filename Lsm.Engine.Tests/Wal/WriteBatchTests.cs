using FsCheck.Xunit;
using Lsm.Engine.Encoding;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Tests.Wal;

/// <summary>The write batch encoding: layout, limits, append, and decoding of valid and malformed batches.</summary>
public sealed class WriteBatchTests
{
    private static readonly ColumnFamilyHandle Family300 = new(300, "three hundred");

    /// <summary>One decoded record, copied out of the batch.</summary>
    internal sealed record Op(WriteBatchTag Tag, uint Family, byte[] Key, byte[] Value);

    internal static List<Op> Decode(ReadOnlySpan<byte> rep, bool any = false)
    {
        var reader = new WriteBatchReader(rep);
        var ops = new List<Op>();
        WriteBatchRecord r;
        while (any ? reader.TryReadAny(out r) : reader.TryReadNext(out r))
        {
            ops.Add(new Op(r.Tag, r.ColumnFamilyId, r.Key.ToArray(), r.Value.ToArray()));
        }

        return ops;
    }

    [Fact]
    public void EmptyBatch_IsTwelveZeroBytes()
    {
        var batch = new WriteBatch();
        Assert.Equal(0, batch.Count);
        Assert.Equal(12, batch.DataSize);
        Assert.Equal(new byte[12], batch.Rep.ToArray());
    }

    [Fact]
    public void Layout_SequenceCountTaggedLengthPrefixedRecords()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v1"u8);
        batch.Delete(Family300, "d"u8);
        batch.DeleteRange("a"u8, "b"u8);
        batch.SetSequence(0x0102030405060708);
        byte[] expected =
        [
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // sequence, fixed64
            3, 0, 0, 0, // count, fixed32
            0x1, 1, (byte)'k', 2, (byte)'v', (byte)'1', // put
            0x4, 0xAC, 0x02, 1, (byte)'d', // delete in family 300 (varint 0xAC 0x02)
            0xF, 1, (byte)'a', 1, (byte)'b', // range delete
        ];
        Assert.Equal(expected, batch.Rep.ToArray());
        Assert.Equal(expected.Length, batch.DataSize);
        Assert.Equal(0x0102030405060708UL, batch.Sequence);
    }

    [Fact]
    public void EveryOperation_RoundTripsThroughFromRep()
    {
        var batch = new WriteBatch();
        batch.Put("k1"u8, "v1"u8);
        batch.Put(Family300, [], " "u8);
        batch.Delete("k2"u8);
        batch.Delete(Family300, "k3"u8);
        batch.SingleDelete("k4"u8);
        batch.SingleDelete(Family300, "k5"u8);
        batch.Merge("k6"u8, new byte[300]);
        batch.Merge(Family300, "k7"u8, []);
        batch.DeleteRange("a"u8, "z"u8);
        batch.DeleteRange(Family300, [], " "u8);
        batch.SetSequence(77);

        WriteBatch copy = WriteBatch.FromRep(batch.Rep);
        Assert.Equal(batch.Rep.ToArray(), copy.Rep.ToArray());
        Assert.Equal(10, copy.Count);
        Assert.Equal(77UL, copy.Sequence);

        List<Op> ops = Decode(copy.Rep);
        Assert.Equal(
            [
                WriteBatchTag.Value, WriteBatchTag.ColumnFamilyValue, WriteBatchTag.Deletion, WriteBatchTag.ColumnFamilyDeletion,
                WriteBatchTag.SingleDeletion, WriteBatchTag.ColumnFamilySingleDeletion, WriteBatchTag.Merge, WriteBatchTag.ColumnFamilyMerge,
                WriteBatchTag.RangeDeletion, WriteBatchTag.ColumnFamilyRangeDeletion,
            ],
            ops.Select(o => o.Tag));
        Assert.Equal([0u, 300, 0, 300, 0, 300, 0, 300, 0, 300], ops.Select(o => o.Family));
        Assert.Equal("z"u8.ToArray(), ops[8].Value);
        Assert.Equal(300, ops[6].Value.Length);
    }

    [Fact]
    public void DefaultFamilyHandle_WritesThePlainTags()
    {
        var viaHandle = new WriteBatch();
        viaHandle.Put(new ColumnFamilyHandle(0, ColumnFamilyHandle.DefaultName), "k"u8, "v"u8);
        var plain = new WriteBatch();
        plain.Put("k"u8, "v"u8);
        Assert.Equal(plain.Rep.ToArray(), viaHandle.Rep.ToArray());
    }

    [Fact]
    public void Limits_AreArgumentExceptions_AndLeaveTheBatchUnchanged()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        byte[] before = batch.Rep.ToArray();
        byte[] tooLongKey = new byte[WriteBatch.MaxKeyLength + 1];

        Assert.Throws<ArgumentException>(() => batch.Put(tooLongKey, []));
        Assert.Throws<ArgumentException>(() => batch.Delete(tooLongKey));
        Assert.Throws<ArgumentException>(() => batch.DeleteRange([], tooLongKey));
        Assert.Throws<ArgumentException>(() => batch.DeleteRange(tooLongKey, []));
        Assert.Throws<ArgumentNullException>(() => batch.Put(null!, "k"u8, "v"u8));
        var dropped = new ColumnFamilyHandle(4, "gone") { IsDropped = true };
        Assert.Throws<ArgumentException>(() => batch.Merge(dropped, "k"u8, "v"u8));
        Assert.Equal(before, batch.Rep.ToArray());

        batch.Put(new byte[WriteBatch.MaxKeyLength], []); // the limit itself is allowed
        Assert.Equal(2, batch.Count);
    }

    [Fact]
    public void Clear_EmptiesTheBatch()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        batch.SetSequence(9);
        batch.Clear();
        Assert.Equal(new byte[12], batch.Rep.ToArray());
        batch.Delete("x"u8);
        Assert.Equal(1, batch.Count);
    }

    [Fact]
    public void Append_ConcatenatesRecordsAndAddsCounts()
    {
        var a = new WriteBatch();
        a.Put("a"u8, "1"u8);
        a.SetSequence(5);
        var b = new WriteBatch();
        b.Delete(Family300, "b"u8);
        b.Merge("c"u8, "2"u8);

        a.Append(b);
        Assert.Equal(3, a.Count);
        Assert.Equal(5UL, a.Sequence);
        Assert.Equal(
            [WriteBatchTag.Value, WriteBatchTag.ColumnFamilyDeletion, WriteBatchTag.Merge],
            Decode(a.Rep).Select(o => o.Tag));

        a.Append(a);
        Assert.Equal(6, a.Count);
        Assert.Equal(6, Decode(a.Rep).Count);
    }

    [Fact]
    public void FromRep_ShorterThanTheHeader_IsCorruptionAtOffsetZero()
    {
        CorruptionException e = Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(new byte[11]));
        Assert.Equal(0, e.Offset);
        Assert.Null(e.FilePath);
    }

    [Fact]
    public void FromRep_TruncatedAnywhere_IsCorruption()
    {
        var batch = new WriteBatch();
        batch.Put("key"u8, "value"u8);
        batch.DeleteRange(Family300, "a"u8, "b"u8);
        byte[] rep = batch.Rep.ToArray();
        for (int cut = 0; cut < rep.Length; cut++)
        {
            Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(rep.AsSpan(0, cut)));
        }
    }

    [Fact]
    public void FromRep_WrongCount_IsCorruption()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        byte[] rep = batch.Rep.ToArray();
        rep[8] = 2;
        CorruptionException e = Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(rep));
        Assert.Contains("counts 2 records but the batch holds 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromRep_UnknownTag_IsCorruptionAtTheRecord_AndNamesTheFileWhenGiven()
    {
        byte[] rep = [.. new byte[8], 1, 0, 0, 0, 0x1, 1, (byte)'k', 0, 0x14, 1, (byte)'x'];
        CorruptionException e = Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(rep));
        Assert.Equal(16, e.Offset);
        Assert.Contains("unknown write batch tag 0x14", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(rep, "000012.log", 4242));
        Assert.Equal("000012.log", e.FilePath);
        Assert.Equal(4242, e.Offset);
        Assert.Contains("at offset 16 of the write batch", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x11, 2)] // blob index
    [InlineData(0x16, 2)] // wide-column entity
    [InlineData(0x18, 2)] // timed put
    [InlineData(0x9, 0)] // begin prepare
    [InlineData(0xB, 1)] // commit
    public void FromRep_TagsWeCannotApply_AreNotSupported_NamingTheTag(byte tag, int fields)
    {
        var rep = new List<byte>(new byte[12]);
        rep.Add(tag);
        for (int i = 0; i < fields; i++)
        {
            rep.AddRange([1, (byte)'x']);
        }

        rep[8] = (byte)(WriteBatchFormat.IsCounted((WriteBatchTag)tag) ? 1 : 0);
        NotSupportedException e = Assert.Throws<NotSupportedException>(() => WriteBatch.FromRep(rep.ToArray()));
        Assert.Contains($"tag 0x{tag:X2}", e.Message, StringComparison.Ordinal);

        // Inspection still decodes it.
        Assert.Equal((WriteBatchTag)tag, Assert.Single(Decode(rep.ToArray(), any: true)).Tag);
    }

    [Fact]
    public void FromRep_NoopAndLogData_AreSkippedAndNotCounted()
    {
        byte[] rep = [.. new byte[8], 1, 0, 0, 0, 0xD, 0x3, 2, 9, 9, 0x1, 1, (byte)'k', 1, (byte)'v'];
        WriteBatch batch = WriteBatch.FromRep(rep);
        Assert.Equal(1, batch.Count);
        Op op = Assert.Single(Decode(batch.Rep));
        Assert.Equal(WriteBatchTag.Value, op.Tag);
        Assert.Equal(3, Decode(batch.Rep, any: true).Count);
    }

    [Fact]
    public void FromRep_LengthPastTheEnd_OrHugeVarint_IsCorruption()
    {
        byte[] huge = [.. new byte[8], 1, 0, 0, 0, 0x1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, (byte)'k'];
        Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(huge));
        byte[] overlong = [.. new byte[8], 1, 0, 0, 0, 0x5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0];
        Assert.Throws<CorruptionException>(() => WriteBatch.FromRep(overlong));
    }

    /// <summary>Any bytes at all: decoding ends in success, corruption or not-supported, never anything else.</summary>
    [Property(MaxTest = 500)]
    public void FromRep_AnyBytes_OnlyCorruptionOrNotSupported(byte[] bytes, byte count)
    {
        byte[] rep = [.. new byte[8], count, 0, 0, 0, .. bytes ?? []];
        try
        {
            WriteBatch batch = WriteBatch.FromRep(rep);
            Assert.Equal((int)count, Decode(batch.Rep).Count);
        }
        catch (CorruptionException)
        {
        }
        catch (NotSupportedException)
        {
        }
    }

    [Property(MaxTest = 200)]
    public void RandomBatches_RoundTrip(byte[][] keys, byte[][] values, int seed)
    {
        var random = new Random(seed);
        var batch = new WriteBatch();
        var expected = new List<Op>();
        keys ??= [];
        for (int i = 0; i < keys.Length; i++)
        {
            byte[] key = keys[i] ?? [];
            byte[] value = values is { Length: > 0 } ? values[i % values.Length] ?? [] : [];
            uint family = (uint)random.Next(3) switch { 0 => 0, 1 => 1, _ => 200_000 };
            var handle = new ColumnFamilyHandle(family, "f");
            switch (random.Next(5))
            {
                case 0:
                    batch.Put(handle, key, value);
                    expected.Add(new Op(family == 0 ? WriteBatchTag.Value : WriteBatchTag.ColumnFamilyValue, family, key, value));
                    break;
                case 1:
                    batch.Delete(handle, key);
                    expected.Add(new Op(family == 0 ? WriteBatchTag.Deletion : WriteBatchTag.ColumnFamilyDeletion, family, key, []));
                    break;
                case 2:
                    batch.SingleDelete(handle, key);
                    expected.Add(new Op(family == 0 ? WriteBatchTag.SingleDeletion : WriteBatchTag.ColumnFamilySingleDeletion, family, key, []));
                    break;
                case 3:
                    batch.Merge(handle, key, value);
                    expected.Add(new Op(family == 0 ? WriteBatchTag.Merge : WriteBatchTag.ColumnFamilyMerge, family, key, value));
                    break;
                default:
                    batch.DeleteRange(handle, key, value);
                    expected.Add(new Op(family == 0 ? WriteBatchTag.RangeDeletion : WriteBatchTag.ColumnFamilyRangeDeletion, family, key, value));
                    break;
            }
        }

        batch.SetSequence((ulong)random.NextInt64());
        WriteBatch copy = WriteBatch.FromRep(batch.Rep);
        Assert.Equal(expected.Count, copy.Count);
        Assert.Equal(expected.Select(o => (o.Tag, o.Family, Convert.ToHexString(o.Key), Convert.ToHexString(o.Value))),
            Decode(copy.Rep).Select(o => (o.Tag, o.Family, Convert.ToHexString(o.Key), Convert.ToHexString(o.Value))));
        Assert.Equal(batch.Sequence, copy.Sequence);
        Assert.Equal(Coding.ReadFixed64(batch.Rep), copy.Sequence);
    }
}
