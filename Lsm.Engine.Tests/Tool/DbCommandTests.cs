using Lsm.Engine.Tests.Db;
using Lsm.Engine.Tests.Support;
using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

/// <summary>
/// The <c>lsm db</c> commands, driven through <see cref="LsmCli.Run"/> exactly as the executable drives them:
/// put, get, delete, merge, scan, stats and check on real database directories.
/// </summary>
public sealed class DbCommandTests
{
    private static LsmResult Lsm(params string[] args) => LsmRun.Run(args);

    private static void Ok(LsmResult result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A database of <paramref name="count"/> keys key000..., flushed to a table.</summary>
    private static string FlushedDb(TempDirectory dir, int count)
    {
        string path = dir.File("db");
        using var db = LsmDb.Open(path, new DbOptions { CreateIfMissing = true });
        for (int i = 0; i < count; i++)
        {
            db.Put(System.Text.Encoding.UTF8.GetBytes($"key{i:D6}"), System.Text.Encoding.UTF8.GetBytes($"value{i:D6}"));
        }

        db.Flush();
        return path;
    }

    [Fact]
    public void PutGetDelete_RoundTrip()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");

        LsmResult put = Lsm("db", "put", db, "apple", "red", "--create");
        LsmResult get = Lsm("db", "get", db, "apple");
        LsmResult delete = Lsm("db", "delete", db, "apple");
        LsmResult gone = Lsm("db", "get", db, "apple");

        Ok(put);
        Assert.Contains("put apple (3 bytes) in column family default", put.Stdout, StringComparison.Ordinal);
        Ok(get);
        Assert.Equal("red\n", get.Stdout);
        Ok(delete);
        Assert.Contains("deleted apple", delete.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal("not found: apple", gone.Stdout.TrimEnd());
    }

    [Fact]
    public void Get_AbsentKey_ExitsOne()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir, 10);

        LsmResult result = Lsm("db", "get", db, "key999999");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("not found: key999999", result.Stdout, StringComparison.Ordinal);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void Put_WithoutCreate_OnMissingDatabase_ExitsTwoWithHint()
    {
        using var dir = new TempDirectory();
        string db = dir.File("nope");

        LsmResult result = Lsm("db", "put", db, "k", "v");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(db + ": no such directory", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--create", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(db));
    }

    [Fact]
    public void Get_DirectoryWithoutDatabase_ExitsTwo()
    {
        using var dir = new TempDirectory();

        LsmResult result = Lsm("db", "get", dir.Path, "k");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no database here (no CURRENT file)", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("CURRENT")));
    }

    [Fact]
    public void Scan_FromToLimit_ListsTheRange()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");
        Ok(Lsm("db", "put", db, "a", "1", "--create"));
        foreach (string key in new[] { "b", "c", "d", "e" })
        {
            Ok(Lsm("db", "put", db, key, key + key));
        }

        LsmResult all = Lsm("db", "scan", db);
        LsmResult range = Lsm("db", "scan", db, "--from", "b", "--to", "d");
        LsmResult limited = Lsm("db", "scan", db, "--limit", "2");
        LsmResult fromLimited = Lsm("db", "scan", db, "--from", "c", "--limit", "1");
        LsmResult keysOnly = Lsm("db", "scan", db, "--to", "c", "--keys-only");
        LsmResult empty = Lsm("db", "scan", db, "--from", "x");

        Ok(all);
        Assert.Equal(["a\t1", "b\tbb", "c\tcc", "d\tdd", "e\tee"], Lines(all.Stdout));
        Assert.Equal(["b\tbb", "c\tcc"], Lines(range.Stdout));
        Assert.Equal(["a\t1", "b\tbb"], Lines(limited.Stdout));
        Assert.Equal(["c\tcc"], Lines(fromLimited.Stdout));
        Assert.Equal(["a", "b"], Lines(keysOnly.Stdout));
        Ok(empty);
        Assert.Equal("", empty.Stdout);
    }

    [Fact]
    public void HexKeysAndValues_RoundTrip()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");

        Ok(Lsm("db", "put", db, "0x00ff", "0x0102", "--create"));
        Ok(Lsm("db", "put", db, "0x10", "text"));
        LsmResult get = Lsm("db", "get", db, "0x00FF");
        LsmResult scan = Lsm("db", "scan", db, "--from", "0x00", "--to", "0x11");
        LsmResult hex = Lsm("db", "get", db, "0x10", "--hex");
        LsmResult delete = Lsm("db", "delete", db, "0x00ff");
        LsmResult after = Lsm("db", "scan", db);

        Assert.Equal("0x0102", get.Stdout.TrimEnd());
        Assert.Equal(["0x00FF\t0x0102", "0x10\ttext"], Lines(scan.Stdout));
        Assert.Equal("0x74657874", hex.Stdout.TrimEnd());
        Ok(delete);
        Assert.Equal(["0x10\ttext"], Lines(after.Stdout));
    }

    [Fact]
    public void ColumnFamily_PutCreatesItAndReadsAreSeparate()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");

        Ok(Lsm("db", "put", db, "k", "in-default", "--create"));
        LsmResult put = Lsm("db", "put", db, "k", "in-users", "--cf", "users", "--create");
        LsmResult users = Lsm("db", "get", db, "k", "--cf", "users");
        LsmResult deflt = Lsm("db", "get", db, "k");
        LsmResult scan = Lsm("db", "scan", db, "--cf", "users");
        LsmResult missing = Lsm("db", "get", db, "k", "--cf", "nope");

        Ok(put);
        Assert.Contains("in column family users", put.Stdout, StringComparison.Ordinal);
        Assert.Equal("in-users", users.Stdout.TrimEnd());
        Assert.Equal("in-default", deflt.Stdout.TrimEnd());
        Assert.Equal(["k\tin-users"], Lines(scan.Stdout));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no column family 'nope' (it has: default, users)", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(["default", "users"], LsmDb.ListColumnFamilies(db));
    }

    [Fact]
    public void Merge_NeedsTheMergeOperatorToRead()
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");
        Ok(Lsm("db", "put", db, "list", "a", "--create", "--merge-operator", "stringappend"));
        Ok(Lsm("db", "merge", db, "list", "b", "--merge-operator", "stringappend"));
        Ok(Lsm("db", "merge", db, "list", "c", "--merge-operator", "stringappend"));

        LsmResult with = Lsm("db", "get", db, "list", "--merge-operator", "stringappend");
        LsmResult without = Lsm("db", "get", db, "list");

        Assert.Equal("a,b,c", with.Stdout.TrimEnd());
        Assert.Equal(2, without.ExitCode);
        Assert.Contains("merge operator", without.Stderr, StringComparison.Ordinal);
        Assert.Contains("--merge-operator", without.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", without.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Stats_PrintsThePropertiesPerColumnFamily()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir, 100);
        Ok(Lsm("db", "put", db, "x", "y", "--cf", "users", "--create"));

        LsmResult result = Lsm("db", "stats", db);
        LsmResult one = Lsm("db", "stats", db, "--cf", "users");

        Ok(result);
        string o = result.Stdout;
        Assert.Matches(@"column families\s+default, users\n", o);
        Assert.Contains("column family 0 'default'", o, StringComparison.Ordinal);
        Assert.Contains("column family 1 'users'", o, StringComparison.Ordinal);
        Assert.Matches(@"rocksdb\.estimate-num-keys\s+100\n", o);
        Assert.Matches(@"rocksdb\.num-files-at-level0\s+1\n", o);
        Assert.Matches(@"rocksdb\.num-files-at-level1\s+0\n", o);
        Assert.Matches(@"rocksdb\.total-sst-files-size\s+[1-9]\d*\n", o);
        Assert.Matches(@"rocksdb\.background-errors\s+0\n", o);
        Assert.Matches(@"lsm\.wal-recovery-dropped-records\s+0\n", o);
        Assert.Matches(@"lsm\.stall-micros\s+0\n", o);
        Assert.Matches(@"rocksdb\.block-cache-capacity\s+33554432\n", o); // the database's own cache (TableOptions.DefaultBlockCacheCapacity)
        Assert.Matches(@"rocksdb\.block-cache-usage\s+\d+\n", o);
        Assert.Matches(@"rocksdb\.size-all-mem-tables\s+\d+\n", o);
        Assert.Matches(@"rocksdb\.is-write-stopped\s+0\n", o);

        // The statistics tickers, one RocksDB line each: the command makes no point lookup.
        Assert.Contains("** Statistics **\nrocksdb.block.cache.miss COUNT : ", o, StringComparison.Ordinal);
        Assert.Matches(@"\nrocksdb\.number\.keys\.read COUNT : 0\n", o);
        Assert.Matches(@"\nrocksdb\.bloom\.filter\.useful COUNT : 0\n", o);
        Assert.Matches(@"\nrocksdb\.stall\.micros COUNT : 0\n", o);

        // The compaction-stats table per family, and the amplification figures (one sorted run: space amplification 1).
        Assert.Contains("** DB Stats **", o, StringComparison.Ordinal);
        Assert.Contains("** Compaction Stats [default] **", o, StringComparison.Ordinal);
        Assert.Contains("** Compaction Stats [users] **", o, StringComparison.Ordinal);
        Assert.Matches(@"\n  L0      1/0  +\d+\.\d\d KB ", o);
        Assert.Matches(@"\n Sum      1/0  ", o);
        Assert.Contains("Space amplification: 1.00 (SST ", o, StringComparison.Ordinal);
        Assert.Contains("Write amplification: ", o, StringComparison.Ordinal);
        Assert.Contains("Read amplification: ", o, StringComparison.Ordinal);
        Ok(one);
        Assert.DoesNotContain("** Compaction Stats [default] **", one.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("column family 0 'default'", one.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"column family 1 'users'\n  rocksdb\.estimate-num-keys\s+1\n", one.Stdout);
    }

    [Fact]
    public void Check_CleanDatabase_ExitsZero()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir, 1000);
        string table = Directory.GetFiles(db, "*.sst").Single();

        LsmResult result = Lsm("db", "check", db);

        Ok(result);
        Assert.Equal("", result.Stderr);
        Assert.Contains($"OK: {table} (L0 of 'default': ", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("1000 entries)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("checked 1 live table files: 1 clean; 0 corruptions", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ByteFlippedInTable_ExitsOneNamingFileAndOffset()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir, 1000);
        string table = Directory.GetFiles(db, "*.sst").Single();
        SstBlockInfo first;
        using (var sst = SstFile.Open(table))
        {
            first = sst.ReadBlocks().First(b => b.Kind == "data");
        }

        byte[] bytes = File.ReadAllBytes(table);
        bytes[first.Offset + (first.Size / 2)] ^= 0x5A;
        File.WriteAllBytes(table, bytes);

        LsmResult result = Lsm("db", "check", db);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"corruption: {table} at offset {first.Offset}: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("checksum", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("0 clean; 1 corruptions", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MissingTable_ExitsNonZeroNamingIt()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir, 10);
        string table = Directory.GetFiles(db, "*.sst").Single();
        File.Delete(table);

        LsmResult result = Lsm("db", "check", db);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(Path.GetFileName(table), result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void DatabaseInUse_WritesExitTwoWithClearMessage_ReadsSeeTheWritersData()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        using var db = LsmDb.Open(path, new DbOptions { CreateIfMissing = true });
        db.Put("k"u8, "v"u8); // in the writer's log only

        LsmResult put = Lsm("db", "put", path, "k", "other");
        LsmResult get = Lsm("db", "get", path, "k");
        LsmResult scan = Lsm("db", "scan", path);
        LsmResult check = Lsm("db", "check", path);

        Assert.Equal(2, put.ExitCode);
        Assert.Contains("in use", put.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", put.Stderr, StringComparison.Ordinal);
        Ok(get);
        Assert.Equal("v\n", get.Stdout);
        Ok(scan);
        Assert.Equal(["k\tv"], Lines(scan.Stdout));
        Ok(check);
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(db.Get("k"u8)!));
    }

    [Fact]
    public void ReadCommands_LeaveTheDirectoryByteForByteUnchanged()
    {
        using var dir = new TempDirectory();
        string path = FlushedDb(dir, 100);
        using (var db = LsmDb.Open(path, new DbOptions
        {
            CreateMissingColumnFamilies = true,
            ColumnFamilies = new Dictionary<string, ColumnFamilyOptions> { ["users"] = new() },
        }))
        {
            db.Put("key000000"u8, "rewritten"u8); // in the log only, over the table's value
            db.Delete("key000001"u8);
            db.Put(db.GetColumnFamily("users"), "alice"u8, "30"u8);
        }

        var before = DirectoryContents.Read(path);

        LsmResult get = Lsm("db", "get", path, "key000000");
        LsmResult deleted = Lsm("db", "get", path, "key000001");
        LsmResult scan = Lsm("db", "scan", path, "--limit", "2");
        LsmResult users = Lsm("db", "scan", path, "--cf", "users");
        LsmResult stats = Lsm("db", "stats", path);
        LsmResult check = Lsm("db", "check", path);

        DirectoryContents.Read(path).AssertSameAs(before, "after get, scan, stats and check");
        Ok(get);
        Assert.Equal("rewritten\n", get.Stdout);
        Assert.Equal(1, deleted.ExitCode);
        Assert.Equal(["key000000\trewritten", "key000002\tvalue000002"], Lines(scan.Stdout));
        Assert.Equal(["alice\t30"], Lines(users.Stdout));
        Ok(stats);
        Assert.Matches(@"rocksdb\.num-files-at-level0\s+1\n", stats.Stdout);
        Ok(check);
        Assert.Contains("checked 1 live table files: 1 clean; 0 corruptions", check.Stdout, StringComparison.Ordinal);

        // The comparison sees changes: a write through the tool replays the log into a table and starts new files.
        Ok(Lsm("db", "put", path, "x", "y"));
        Assert.NotEmpty(DirectoryContents.Read(path).DiffersFrom(before));
    }

    [Fact]
    public void RocksDbDirectory_ToolDumpsItsWalAndManifestReadsAndChecksIt()
    {
        using var dir = new TempDirectory();
        string path = dir.File("rocks");
        var options = new RocksDbSharp.DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true);
        using (var rocks = RocksDbSharp.RocksDb.Open(options, path, new RocksDbSharp.ColumnFamilies()))
        {
            rocks.Put("apple", "1");
            rocks.Put("banana", "2");
            rocks.Flush(new RocksDbSharp.FlushOptions().SetWaitForFlush(true));
            RocksDbSharp.ColumnFamilyHandle users = rocks.CreateColumnFamily(new RocksDbSharp.ColumnFamilyOptions(), "users");
            rocks.Put("alice", "30", users);
            rocks.Put("cherry", "3");
        }

        string log = Directory.GetFiles(path, "*.log").Where(f => new FileInfo(f).Length > 0).Order(StringComparer.Ordinal).Last();
        LsmResult wal = Lsm("wal", "dump", log);
        LsmResult manifest = Lsm("manifest", "dump", path);
        LsmResult get = Lsm("db", "get", path, "cherry");
        LsmResult scan = Lsm("db", "scan", path);
        LsmResult users2 = Lsm("db", "scan", path, "--cf", "users");
        LsmResult check = Lsm("db", "check", path);

        Ok(wal);
        Assert.Contains("  #3  PUT  cf 1  alice => 30\n", wal.Stdout, StringComparison.Ordinal);
        Assert.Contains("  #4  PUT  cf 0  cherry => 3\n", wal.Stdout, StringComparison.Ordinal);
        Ok(manifest);
        Assert.Contains("column family 0 'default': 1 file, ", manifest.Stdout, StringComparison.Ordinal);
        Assert.Contains("column family 1 'users': 0 files, ", manifest.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\.sst\s+\d+  apple#1,SET\s+banana#2,SET\s+1\.\.2\s", manifest.Stdout);
        Assert.Equal("3", get.Stdout.TrimEnd());
        Assert.Equal(["apple\t1", "banana\t2", "cherry\t3"], Lines(scan.Stdout));
        Assert.Equal(["alice\t30"], Lines(users2.Stdout));
        Ok(check);
        Assert.Contains("0 corruptions", check.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("db")]
    [InlineData("db get")]
    [InlineData("db put x k")]
    [InlineData("db scan x --limit -1")]
    [InlineData("db get x k --merge-operator nope")]
    public void BadUsage_ExitsTwoWithHint(string commandLine)
    {
        LsmResult result = Lsm(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--help' for usage.", result.Stderr, StringComparison.Ordinal);
    }
}
