using Lsm.Engine.Tests.Support;
using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

/// <summary>
/// The <c>lsm wal dump</c> command, driven through <see cref="LsmCli.Run"/>: the live log of a database
/// (memtables are not flushed on close, so it keeps the writes), torn and corrupted logs, missing files.
/// </summary>
public sealed class WalCommandTests
{
    private static LsmResult Lsm(params string[] args) => LsmRun.Run(args);

    /// <summary>The newest log of the database: the one the last session wrote.</summary>
    private static string LiveLog(string db) =>
        Directory.GetFiles(db, "*.log").OrderBy(p => p, StringComparer.Ordinal).Last();

    /// <summary>Writes three batches: two puts, a delete, and a put in column family 1 with a long value.</summary>
    private static string WriteDb(TempDirectory dir)
    {
        string path = dir.File("db");
        using var db = LsmDb.Open(path, new DbOptions { CreateIfMissing = true });
        ColumnFamilyHandle users = db.CreateColumnFamily("users");
        var batch = new WriteBatch();
        batch.Put("apple"u8, "red"u8);
        batch.Put([0x00, 0xFF], [0x01, 0x02]);
        db.Write(batch);
        db.Delete("banana"u8);
        db.Put(users, "alice"u8, System.Text.Encoding.ASCII.GetBytes(new string('v', 100)));
        return path;
    }

    [Fact]
    public void Dump_LiveLog_ShowsEveryBatchAndOperation()
    {
        using var dir = new TempDirectory();
        string log = LiveLog(WriteDb(dir));

        LsmResult result = Lsm("wal", "dump", log);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        string o = result.Stdout;
        Assert.Contains("file  " + log, o, StringComparison.Ordinal);
        Assert.Matches(@"@0  batch, \d+ bytes: sequence 1, count 2, 2 records\n", o);
        Assert.Contains("  #1  PUT  cf 0  apple => red\n", o, StringComparison.Ordinal);
        Assert.Contains("  #2  PUT  cf 0  0x00FF => 0x0102\n", o, StringComparison.Ordinal);
        Assert.Matches(@"@\d+  batch, \d+ bytes: sequence 3, count 1, 1 records\n  #3  DELETE  cf 0  banana\n", o);

        // Values are cut as sst dump cuts them (32 bytes by default).
        Assert.Contains("  #4  PUT  cf 1  alice => " + new string('v', 32) + "... (100 bytes)\n", o, StringComparison.Ordinal);
        Assert.Contains("3 batches, 4 operations, sequences 1..4, 0 metadata records, 0 corruptions, no torn tail", o, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_LogWrittenByTheTool_ShowsThePut()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");
        Assert.Equal(0, Lsm("db", "put", db, "greeting", "hello", "--create").ExitCode);

        LsmResult result = Lsm("wal", "dump", LiveLog(db), "--max-value", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("PUT  cf 0  greeting => hello\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_RecordsOnly_LeavesOutOperations()
    {
        using var dir = new TempDirectory();
        string log = LiveLog(WriteDb(dir));

        LsmResult result = Lsm("wal", "dump", log, "--records-only");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sequence 1, count 2", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("apple", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_TruncatedLog_ShowsTornTailAndExitsZero()
    {
        using var dir = new TempDirectory();
        string log = LiveLog(WriteDb(dir));
        byte[] bytes = File.ReadAllBytes(log);
        File.WriteAllBytes(log, bytes[..(bytes.Length - 20)]);

        LsmResult result = Lsm("wal", "dump", log);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"@\d+  torn tail: \d+ bytes dropped: ", result.Stdout);
        Assert.Contains("2 batches, 3 operations, sequences 1..3", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@", torn tail at offset \d+\n", result.Stdout);
        Assert.DoesNotContain("alice", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_ByteFlippedInFirstRecord_ReportsCorruptionAndExitsOne()
    {
        using var dir = new TempDirectory();
        string log = LiveLog(WriteDb(dir));
        byte[] bytes = File.ReadAllBytes(log);
        bytes[7 + 14] ^= 0x20; // in the first record's payload: the key "apple"
        File.WriteAllBytes(log, bytes);

        LsmResult result = Lsm("wal", "dump", log);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"@0  CORRUPTION \(checksum mismatch\): \d+ bytes skipped: ", result.Stdout);
        Assert.StartsWith($"corruption: {log} at offset 0: checksum mismatch", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("apple", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(", 1 corruptions", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_Corruption_ReadingGoesOnInTheNextBlock()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        using (var db = LsmDb.Open(path, new DbOptions { CreateIfMissing = true }))
        {
            byte[] value = new byte[100];
            for (int i = 0; i < 1000; i++)
            {
                db.Put(System.Text.Encoding.ASCII.GetBytes($"key{i:D4}"), value);
            }
        }

        string log = LiveLog(path);
        byte[] bytes = File.ReadAllBytes(log);
        Assert.True(bytes.Length > 3 * 32768);
        bytes[7 + 14] ^= 0x20;
        File.WriteAllBytes(log, bytes);

        LsmResult result = Lsm("wal", "dump", log, "--records-only");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("@0  CORRUPTION (checksum mismatch)", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("sequence 1,", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("sequence 1000, count 1", result.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"sequences \d+\.\.1000, 0 metadata records, [1-9]\d* corruptions", result.Stdout);
    }

    [Fact]
    public void Dump_EmptyLog_SaysSo()
    {
        using var dir = new TempDirectory();
        string log = dir.File("000007.log");
        File.WriteAllBytes(log, []);

        LsmResult result = Lsm("wal", "dump", log);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("(no records)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_MissingFile_ExitsTwoWithClearMessage()
    {
        using var dir = new TempDirectory();
        string log = dir.File("000001.log");

        LsmResult result = Lsm("wal", "dump", log);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {log}: no such file", result.Stderr.TrimEnd());
    }
}
