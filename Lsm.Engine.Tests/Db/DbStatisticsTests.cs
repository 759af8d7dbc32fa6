using System.Globalization;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// The engine's own measurements: the compaction-stats table of <c>rocksdb.cfstats</c> and <c>rocksdb.stats</c> laid
/// out as RocksDB's, and the structured numbers behind it (bytes flushed and compacted per level, write amplification
/// against the user's bytes, space amplification against the live data estimate, tables probed per Get).
/// </summary>
public sealed class DbStatisticsTests
{
    private const int Keys = 2000;

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    /// <summary>100 random bytes: incompressible, so table bytes are comparable to the user's (compressed tables can make write amplification below 1).</summary>
    private static byte[] Value(int i, int round)
    {
        byte[] value = new byte[100];
        new Random((round * Keys) + i).NextBytes(value);
        return value;
    }

    private static DbOptions Options(IFileSystem fs) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions
        {
            WriteBufferSize = 32 * 1024,
            DisableAutoCompactions = true, // the shape is the test's: flushes to L0, CompactRange to the last level
            TargetFileSizeBase = 1 << 20,
        },
    };

    private static void WriteAll(LsmDb db, int round)
    {
        for (int i = 0; i < Keys; i++)
        {
            db.Put(Key(i), Value(i, round));
        }

        db.Flush();
    }

    [Fact]
    public void GetStatistics_AfterCompactRange_BooksFlushesToL0AndCompactionToTheLastLevel()
    {
        using LsmDb db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        WriteAll(db, 0);
        WriteAll(db, 1);
        DatabaseStatistics before = db.GetStatistics();
        db.CompactRange();
        DatabaseStatistics stats = db.GetStatistics();
        CompactionStatistics cf = Assert.Single(stats.ColumnFamilies);

        Assert.Equal(2 * Keys, stats.Writes);
        Assert.Equal(2 * Keys, stats.Keys);
        Assert.True(stats.UserBytesWritten >= 2L * Keys * 100, $"user bytes {stats.UserBytesWritten}");
        Assert.True(stats.WalBytesWritten >= stats.UserBytesWritten); // every write logged; groups carry their header
        Assert.Equal(before.UserBytesWritten, stats.UserBytesWritten);

        // Flushes land in L0's Write column; the compaction's output in the last level's.
        LevelCompactionStatistics l0 = cf.Levels[0];
        LevelCompactionStatistics last = cf.Levels[^1];
        Assert.True(cf.Flushes >= 2);
        Assert.True(cf.BytesFlushed > 0);
        Assert.Equal(cf.BytesFlushed, l0.BytesWritten);
        Assert.Equal(1.0, l0.WriteAmplification);
        Assert.Equal(0, l0.Files);
        Assert.True(last.BytesWritten > 0);
        Assert.Equal(cf.BytesFlushed, last.BytesReadFromInputLevels); // both flushed runs, read once
        Assert.Equal(0, last.BytesReadFromOutputLevel);
        Assert.Equal(1, last.Compactions);
        Assert.Equal(2 * Keys, last.RecordsIn);
        Assert.Equal(Keys, last.RecordsDropped); // the first round's values, overwritten
        Assert.Equal(last.SizeBytes, stats.SstBytes);
        Assert.Equal(cf.Levels.Sum(l => l.BytesWritten), cf.Sum.BytesWritten);
        Assert.Equal(cf.Sum.BytesWritten - cf.BytesFlushed, stats.CompactionBytesWritten);

        // Whole database: (flushed + compacted) / user bytes; at least one, since every byte was flushed.
        Assert.Equal((double)(stats.BytesFlushed + stats.CompactionBytesWritten) / stats.UserBytesWritten, stats.WriteAmplification, 9);
        Assert.True(stats.WriteAmplification >= 1, $"write amplification {stats.WriteAmplification}");
        Assert.True(stats.WriteAmplificationWithWal > stats.WriteAmplification + 0.99);

        // One sorted run: all of it is live.
        Assert.Equal(stats.SstBytes, stats.LiveDataBytes);
        Assert.Equal(1.0, stats.SpaceAmplification);
    }

    [Fact]
    public void GetStatistics_OverwritesInL0_SpaceAndReadAmplificationAboveOne()
    {
        using LsmDb db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        WriteAll(db, 0);
        db.CompactRange();
        WriteAll(db, 1); // a second copy of every key, in L0 over the last level

        DatabaseStatistics stale = db.GetStatistics();
        Assert.True(stale.ColumnFamilies[0].Levels[0].Files >= 1);
        Assert.Equal(stale.ColumnFamilies[0].Levels[^1].SizeBytes, stale.LiveDataBytes); // the last level's files cover the L0 ones
        Assert.True(stale.SpaceAmplification > 1.5, $"space amplification {stale.SpaceAmplification}");
        Assert.Equal(stale.LiveDataBytes.ToString(CultureInfo.InvariantCulture), db.GetProperty("rocksdb.estimate-live-data-size"));

        // Keys of the last level only (none): each Get reads L0's tables covering the key, newest first.
        for (int i = 0; i < Keys; i += 10)
        {
            Assert.Equal(Value(i, 1), db.Get(Key(i)));
        }

        DatabaseStatistics afterGets = db.GetStatistics();
        Assert.Equal(stale.Gets + (Keys / 10), afterGets.Gets);
        Assert.True(afterGets.TablesProbed - stale.TablesProbed >= Keys / 10);

        db.CompactRange();
        DatabaseStatistics compacted = db.GetStatistics();
        for (int i = 0; i < Keys; i += 10)
        {
            Assert.Equal(Value(i, 1), db.Get(Key(i)));
        }

        Assert.Null(db.Get("zzz-beyond-every-table"u8));
        DatabaseStatistics read = db.GetStatistics();
        Assert.Equal((Keys / 10) + 1, read.Gets - compacted.Gets);
        Assert.Equal(Keys / 10, read.TablesProbed - compacted.TablesProbed); // one table per present key, none for a key past them all
        Assert.Equal(Keys / 10, read.TablesRead - compacted.TablesRead);
        Assert.Equal(1.0, compacted.SpaceAmplification);
    }

    [Fact]
    public void CfStats_IsRocksDbsCompactionStatsTable()
    {
        using LsmDb db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        WriteAll(db, 0);
        WriteAll(db, 1);
        db.CompactRange();
        WriteAll(db, 2);
        CompactionStatistics stats = db.GetCompactionStatistics();

        string text = db.GetProperty("rocksdb.cfstats")!;
        string[] lines = text.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("Level ", StringComparison.Ordinal));
        Assert.True(header > 0, text);
        Assert.Equal("** Compaction Stats [default] **", lines[header - 1]);
        string[] columns = lines[header].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["Level", "Files", "Size", "Score", "Read(GB)", "Rn(GB)", "Rnp1(GB)", "Write(GB)", "Wnew(GB)", "Moved(GB)", "W-Amp", "Rd(MB/s)", "Wr(MB/s)", "Comp(sec)", "Comp(cnt)", "Avg(sec)", "KeyIn", "KeyDrop"],
            columns);
        Assert.Matches("^-+$", lines[header + 1]);

        // Rows for the non-empty levels and the sum; the size spans two tokens ("12.34 KB"), so one more than the headings.
        var rows = lines.Skip(header + 2).TakeWhile(l => l.Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["L0", "L6", "Sum"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(columns.Length + 1, r.Length));
        int Column(string name) => Array.IndexOf(columns, name) + 1; // + 1: the size's unit
        Assert.Equal($"{stats.Levels[0].Files}/0", rows[0][1]);
        Assert.Equal(stats.Levels[0].Compactions.ToString(CultureInfo.InvariantCulture), rows[0][Column("Comp(cnt)")]);
        Assert.Equal("1", rows[1][Column("Comp(cnt)")]);
        Assert.Equal(stats.Sum.Compactions.ToString(CultureInfo.InvariantCulture), rows[2][Column("Comp(cnt)")]);
        Assert.Equal("4000", rows[1][Column("KeyIn")]);
        Assert.Equal("2000", rows[1][Column("KeyDrop")]);
        Assert.Equal("1.0", rows[0][Column("W-Amp")]);
        Assert.Contains("Flush(GB): cumulative ", text, StringComparison.Ordinal);
        Assert.Contains("Cumulative compaction: ", text, StringComparison.Ordinal);

        string all = db.GetProperty("rocksdb.stats")!;
        Assert.Contains("** DB Stats **", all, StringComparison.Ordinal);
        Assert.Contains("Cumulative writes: 6000 writes, 6000 keys", all, StringComparison.Ordinal);
        Assert.Matches(@"Cumulative stall: 00:00:\d\d\.\d\d\d H:M:S, \d+\.\d percent", all);
        Assert.Matches(@"Write amplification: \d+\.\d\d \(\(flush \d+ \+ compaction \d+ bytes\) / user \d+ bytes\)", all);
        Assert.Contains("Space amplification: ", all, StringComparison.Ordinal);
        Assert.Contains("Read amplification: ", all, StringComparison.Ordinal);
        Assert.Contains("** Compaction Stats [default] **", all, StringComparison.Ordinal);
    }
}
