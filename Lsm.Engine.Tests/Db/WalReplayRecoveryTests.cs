using System.Buffers.Binary;
using System.Globalization;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Log replay at open above the log reader (format-spec.md 14.1.7–14.1.8): a record whose checksum holds but whose
/// write batch is malformed follows the recovery mode, and a point-in-time stop refuses to open a database whose
/// column families would disagree (RocksDB's consistency check).
/// </summary>
public sealed class WalReplayRecoveryTests
{
    public enum Malformation
    {
        /// <summary>One Put, but the header counts two.</summary>
        BadCount,

        /// <summary>A Put whose key length runs past the end of the batch.</summary>
        TruncatedEntry,

        /// <summary>A tag no writer uses (0x7F).</summary>
        UnknownTag,

        /// <summary>A record of 5 bytes, shorter than the 12-byte batch header.</summary>
        TooShort,
    }

    private static string S(byte[]? bytes) => bytes is null ? "<absent>" : System.Text.Encoding.UTF8.GetString(bytes);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static byte[] Batch(ulong sequence, uint count, params byte[][] records)
    {
        var batch = new List<byte>(new byte[12]);
        BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch)[8..], count);
        foreach (byte[] record in records)
        {
            batch.AddRange(record);
        }

        return [.. batch];
    }

    /// <summary>A Put record of the default family: tag 0x01, key and value each with a one-byte varint length.</summary>
    private static byte[] Put(string key, string value) =>
        [0x01, (byte)key.Length, .. System.Text.Encoding.ASCII.GetBytes(key), (byte)value.Length, .. System.Text.Encoding.ASCII.GetBytes(value)];

    private static byte[] Malformed(Malformation kind) => kind switch
    {
        Malformation.BadCount => Batch(2, 2, Put("b", "2")),
        Malformation.TruncatedEntry => Batch(2, 1, new byte[] { 0x01, 0x05, (byte)'b' }),
        Malformation.UnknownTag => Batch(2, 1, new byte[] { 0x7F, 0x01, (byte)'b' }),
        Malformation.TooShort => [2, 0, 0, 0, 0],
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// A new, empty database whose live log is replaced by three records: a=1 (sequence 1), a malformed batch
    /// (that would put b=2), then c=3 (sequence 3). Returns the log's path and the malformed record's offset and length.
    /// </summary>
    private static (string Log, long Offset, int Length) DatabaseWithMalformedBatch(string path, Malformation kind)
    {
        using (LsmDb.Open(path, new DbOptions { CreateIfMissing = true }))
        {
        }

        string log = Directory.GetFiles(path, "*.log").Single();
        byte[] malformed = Malformed(kind);
        long offset;
        using (var writer = new LogWriter(LocalFileSystem.Instance.Create(log)))
        {
            writer.AddRecord(Batch(1, 1, Put("a", "1")));
            offset = writer.AddRecord(malformed);
            writer.AddRecord(Batch(3, 1, Put("c", "3")));
            writer.Sync();
        }

        return (log, offset, malformed.Length);
    }

    public static TheoryData<Malformation> Malformations()
    {
        var data = new TheoryData<Malformation>();
        foreach (Malformation kind in Enum.GetValues<Malformation>())
        {
            data.Add(kind);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedBatch_DefaultMode_FailsTheOpenNamingFileAndOffset(Malformation kind) =>
        AssertOpenFails(kind, WalRecoveryMode.TolerateCorruptedTailRecords);

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedBatch_AbsoluteConsistency_FailsTheOpenNamingFileAndOffset(Malformation kind) =>
        AssertOpenFails(kind, WalRecoveryMode.AbsoluteConsistency);

    private static void AssertOpenFails(Malformation kind, WalRecoveryMode mode)
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        (string log, long offset, _) = DatabaseWithMalformedBatch(path, kind);
        var options = new DbOptions { WalRecoveryMode = mode };

        CorruptionException readOnly = Assert.Throws<CorruptionException>(() => LsmDb.OpenReadOnly(path, options));
        CorruptionException readWrite = Assert.Throws<CorruptionException>(() => LsmDb.Open(path, options));

        foreach (CorruptionException e in new[] { readOnly, readWrite })
        {
            Assert.Equal(log, e.FilePath);
            Assert.Equal(offset, e.Offset);
            Assert.StartsWith("bad write batch: ", e.Reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedBatch_PointInTimeRecovery_StopsThereAndCountsTheLoss(Malformation kind)
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        (string log, long offset, _) = DatabaseWithMalformedBatch(path, kind);
        long logLength = new FileInfo(log).Length;
        var options = new DbOptions { WalRecoveryMode = WalRecoveryMode.PointInTimeRecovery };

        foreach (bool readOnly in new[] { true, false })
        {
            using LsmDb db = readOnly ? LsmDb.OpenReadOnly(path, options) : LsmDb.Open(path, options);
            Assert.Equal("1", S(db.Get("a"u8)));
            Assert.Null(db.Get("b"u8)); // not even the well-formed Put of a batch with a bad count
            Assert.Null(db.Get("c"u8)); // after the stop
            Assert.Equal("1", db.GetProperty("lsm.wal-recovery-dropped-records"));
            Assert.Equal(Invariant(logLength - offset), db.GetProperty("lsm.wal-recovery-dropped-bytes"));
            if (!readOnly)
            {
                db.Put("d"u8, "4"u8); // the next write follows the last recovered one
            }
        }

        using LsmDb reopened = LsmDb.Open(path);
        Assert.Equal("4", S(reopened.Get("d"u8)));
        Assert.Null(reopened.Get("c"u8));
    }

    [Theory]
    [MemberData(nameof(Malformations))]
    public void MalformedBatch_SkipAnyCorruptedRecords_SkipsItWholeAndCountsIt(Malformation kind)
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        (_, _, int length) = DatabaseWithMalformedBatch(path, kind);
        var options = new DbOptions { WalRecoveryMode = WalRecoveryMode.SkipAnyCorruptedRecords };

        foreach (bool readOnly in new[] { true, false })
        {
            using LsmDb db = readOnly ? LsmDb.OpenReadOnly(path, options) : LsmDb.Open(path, options);
            Assert.Equal("1", S(db.Get("a"u8)));
            Assert.Null(db.Get("b"u8));
            Assert.Equal("3", S(db.Get("c"u8)));
            Assert.Equal("1", db.GetProperty("lsm.wal-recovery-dropped-records"));
            Assert.Equal(Invariant(length), db.GetProperty("lsm.wal-recovery-dropped-bytes"));
        }
    }

    // ---- the consistency check after a point-in-time stop --------------------------------------------------------

    private static DbOptions TwoFamilies(WalRecoveryMode mode = WalRecoveryMode.TolerateCorruptedTailRecords) => new()
    {
        CreateIfMissing = true,
        CreateMissingColumnFamilies = true,
        WalRecoveryMode = mode,
        ColumnFamilies = new Dictionary<string, ColumnFamilyOptions> { ["a"] = new(), ["b"] = new() },
    };

    /// <summary>
    /// Families a and b both written in one log (a/k1, b/k1, a/k2, b/k2); then, when <paramref name="flushB"/>, b alone
    /// flushed (its log number moves past that log, its table holds b/k2) and a/k3 written to the new log. Returns the
    /// logs, oldest first.
    /// </summary>
    private static string[] TwoFamilyDatabase(string path, bool flushB)
    {
        using (LsmDb db = LsmDb.Open(path, TwoFamilies()))
        {
            ColumnFamilyHandle a = db.GetColumnFamily("a")!;
            ColumnFamilyHandle b = db.GetColumnFamily("b")!;
            db.Put(a, "k1"u8, "a1"u8);
            db.Put(b, "k1"u8, "b1"u8);
            db.Put(a, "k2"u8, "a2"u8);
            db.Put(b, "k2"u8, "b2"u8);
            if (flushB)
            {
                db.Flush(b);
            }

            db.Put(a, "k3"u8, "a3"u8);
        }

        return [.. Directory.GetFiles(path, "*.log").Where(f => new FileInfo(f).Length > 0).Order(StringComparer.Ordinal)];
    }

    /// <summary>Flips a payload byte of the log's record <paramref name="index"/>, so that its checksum fails; returns its offset.</summary>
    private static long Damage(string log, int index)
    {
        long offset = ReadOnlyOpenTests.RecordOffsets(log)[index];
        byte[] bytes = File.ReadAllBytes(log);
        bytes[offset + 7 + 12] ^= 0x01; // the batch's first tag byte (after the 7-byte header and 12-byte batch header)
        File.WriteAllBytes(log, bytes);
        return offset;
    }

    [Fact]
    public void PointInTimeStop_InALogAnotherFamilyHasFlushed_FailsTheOpen()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        string[] logs = TwoFamilyDatabase(path, flushB: true);
        Assert.Equal(2, logs.Length);
        long offset = Damage(logs[0], 2); // a/k2: b's table holds b/k2, written after it

        foreach (bool readOnly in new[] { true, false })
        {
            CorruptionException e = Assert.Throws<CorruptionException>(() =>
                readOnly ? LsmDb.OpenReadOnly(path, TwoFamilies(WalRecoveryMode.PointInTimeRecovery)) : LsmDb.Open(path, TwoFamilies(WalRecoveryMode.PointInTimeRecovery)));

            Assert.Equal(logs[0], e.FilePath);
            Assert.Equal(offset, e.Offset);
            Assert.Contains("column family 'b' has tables with writes from after this point", e.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PointInTimeStop_WhenNoFamilyFlushedPastIt_Opens()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        string[] logs = TwoFamilyDatabase(path, flushB: false);
        Assert.Single(logs);
        Damage(logs[0], 2);

        using LsmDb db = LsmDb.Open(path, TwoFamilies(WalRecoveryMode.PointInTimeRecovery));

        Assert.Equal("a1", S(db.Get(db.GetColumnFamily("a"), "k1"u8)));
        Assert.Equal("b1", S(db.Get(db.GetColumnFamily("b"), "k1"u8)));
        Assert.Null(db.Get(db.GetColumnFamily("a"), "k2"u8));
        Assert.Null(db.Get(db.GetColumnFamily("b"), "k2"u8));
        Assert.Null(db.Get(db.GetColumnFamily("a"), "k3"u8));
        Assert.Equal("1", db.GetProperty("lsm.wal-recovery-dropped-records"));
    }

    [Fact]
    public void PointInTimeStop_InTheLogTheFlushedFamilyStartsAt_Opens()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        string[] logs = TwoFamilyDatabase(path, flushB: true);
        Damage(logs[1], 0); // a/k3, in the log b's log number names: b's table holds nothing past it

        using LsmDb db = LsmDb.OpenReadOnly(path, TwoFamilies(WalRecoveryMode.PointInTimeRecovery));

        Assert.Equal("a2", S(db.Get(db.GetColumnFamily("a"), "k2"u8)));
        Assert.Equal("b2", S(db.Get(db.GetColumnFamily("b"), "k2"u8)));
        Assert.Null(db.Get(db.GetColumnFamily("a"), "k3"u8));
    }
}
