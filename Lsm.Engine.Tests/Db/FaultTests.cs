using Lsm.Engine.IO;
using Xunit.Abstractions;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// I/O faults through <see cref="FaultInjectingFileSystem"/>: a failed log write or sync, a failed flush (table,
/// directory or MANIFEST write, full disk), faults at each call of a flush and of an open, corrupted reads. After
/// each: the failing call throws an <see cref="IOException"/> naming the cause; a failed log write or sync and a failed
/// flush stop later writes with an exception carrying the first cause (RocksDB's background error); reads keep
/// working; and nothing acknowledged is lost, neither on a healthy reopen nor in a crash.
/// </summary>
/// <remarks>Rules fire once (<see cref="FaultTrigger.OnNthCall"/>): a retry would succeed, so later failures must come from the engine.</remarks>
public sealed class FaultTests(ITestOutputHelper output)
{
    private const string BackgroundErrors = "rocksdb.background-errors";
    private static readonly CrashMode[] BothModes = [CrashMode.DropUnsynced, CrashMode.TornTail];

    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("Append", "IOError", 1, false)]
    [InlineData("Append", "IOError", 1, true)]
    [InlineData("Append", "IOError", 2, true)]
    [InlineData("Append", "DiskFull", 2, false)]
    [InlineData("Append", "TornAppend", 1, true)]
    [InlineData("Append", "TornAppend", 2, false)]
    [InlineData("Flush", "IOError", 1, false)]
    [InlineData("Sync", "IOError", 1, true)]
    [InlineData("Sync", "DiskFull", 1, true)]
    public void FailedLogWrite_ThrowsThenStopsWrites_ReadsWork_NothingAcknowledgedIsLost(string operation, string kind, int nth, bool sync)
    {
        var harness = new CrashHarness(nth + (sync ? 10 : 0), writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(60, syncProbability: 0.3);
        int acknowledged = harness.HistoryLength;
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = Enum.Parse<FileSystemOperation>(operation),
            PathFilter = FileSystemFault.NameEndsWith(".log"),
            Kind = Enum.Parse<FaultKind>(kind),
            Trigger = FaultTrigger.OnNthCall(nth),
        });

        IOException first = Assert.Throws<IOException>(() => harness.Write(harness.RandomBatch(), sync));
        Assert.True(CausedByInjectedFault(first), $"the failed write's exception does not carry the injected fault: {first}");
        AssertWritesStopped(harness.Db, first);
        Assert.Equal("1", harness.Db.GetProperty(BackgroundErrors));
        AssertReadsShow(harness, harness.StateAt(acknowledged));

        // Crashes now keep every synced write; a healthy reopen keeps every acknowledged one, and writes work again.
        harness.Capture("after the fault", CrashMode.DropUnsynced);
        harness.Capture("after the fault", CrashMode.TornTail);
        harness.Verify(harness.TakeImages());
        harness.ReopenHealthy(acknowledged);
        harness.WriteRandom(20, syncProbability: 0.5);
        harness.ReopenHealthy(harness.HistoryLength);
        harness.Close();
    }

    /// <summary>
    /// The switch to a new log syncs the old one; when that fsync fails, the old log's unsynced tail may be gone from
    /// the disk while the page cache says otherwise (a retried fsync can succeed without writing it): writes must stop,
    /// as after any failed log sync.
    /// </summary>
    [Fact]
    public void FailedSyncOfTheOldLogAtASwitch_StopsWrites()
    {
        var harness = new CrashHarness(3, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(30, syncProbability: 0);
        int acknowledged = harness.HistoryLength;
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = FileSystemOperation.Sync,
            PathFilter = FileSystemFault.NameEndsWith(".log"),
            Trigger = FaultTrigger.OnNthCall(1),
        });

        IOException first = Assert.Throws<IOException>(() => harness.Flush(0));
        Assert.True(CausedByInjectedFault(first), $"Flush's exception does not carry the injected fault: {first}");
        AssertWritesStopped(harness.Db, first);
        AssertReadsShow(harness, harness.StateAt(acknowledged));
        harness.ReopenHealthy(acknowledged);
        harness.Close();
    }

    /// <summary>A flush that fails writing its table, syncing it or the directory, or recording it in the MANIFEST.</summary>
    [Theory]
    [InlineData("Create", "SST", "IOError", 1)]
    [InlineData("Append", "SST", "IOError", 1)]
    [InlineData("Append", "SST", "DiskFull", 3)]
    [InlineData("Append", "SST", "TornAppend", 2)]
    [InlineData("Sync", "SST", "IOError", 1)]
    [InlineData("SyncDirectory", "dir", "IOError", 1)]
    [InlineData("Append", "MANIFEST", "IOError", 1)]
    [InlineData("Append", "MANIFEST", "DiskFull", 2)]
    [InlineData("Sync", "MANIFEST", "IOError", 1)]
    public void FailedFlush_CountsABackgroundError_StopsWrites_ReadsWork_ReopenHasEverything(string operation, string file, string kind, int nth)
    {
        var harness = new CrashHarness(nth, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(150, syncProbability: 0.2);

        // Only the default family is written after its first flush, so the second family is idle at the switch and the
        // switch itself records nothing in the MANIFEST.
        harness.Flush(1);
        int acknowledged = harness.HistoryLength;
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = Enum.Parse<FileSystemOperation>(operation),
            PathFilter = path => CrashHarness.FileKind(path) == file,
            Kind = Enum.Parse<FaultKind>(kind),
            Trigger = FaultTrigger.OnNthCall(nth),
        });

        IOException error = Assert.Throws<IOException>(() => harness.Flush(0));
        Assert.True(CausedByInjectedFault(error), $"Flush's exception does not carry the injected fault: {error}");
        Assert.Equal("1", harness.Db.GetProperty(BackgroundErrors));
        AssertWritesStopped(harness.Db, error);
        if (kind == "DiskFull")
        {
            IOException later = Assert.Throws<IOException>(() => harness.Db.Put(B("zz-never"), B("x")));
            Assert.Contains(Causes(later), e => e.HResult == FaultInjectingFileSystem.DiskFullHResult);
        }

        AssertReadsShow(harness, harness.StateAt(acknowledged));
        harness.Faulty.ClearRules();
        foreach (CrashMode mode in BothModes)
        {
            harness.Capture("after the failed flush", mode);
        }

        harness.Verify(harness.TakeImages());
        harness.ReopenHealthy(acknowledged);
        harness.WriteRandom(20, syncProbability: 0.5);
        harness.Flush(0);
        harness.ReopenHealthy(harness.HistoryLength);
        harness.Close();
    }

    /// <summary>
    /// Deleting an obsolete log after a flush fails: the flush itself succeeded and is installed, so this is not a
    /// background error (RocksDB ignores failed deletions of obsolete files; the next cleanup retries).
    /// </summary>
    [Fact]
    public void FailedDeletionOfAnObsoleteLog_DoesNotStopWrites()
    {
        var harness = new CrashHarness(4, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(40, syncProbability: 0.2);
        harness.Flush(1);
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = FileSystemOperation.Delete,
            PathFilter = FileSystemFault.NameEndsWith(".log"),
            Trigger = FaultTrigger.OnNthCall(1),
        });

        harness.Flush(0); // the flush is installed; only the cleanup after it fails
        Assert.Equal("0", harness.Db.GetProperty(BackgroundErrors));
        harness.WriteRandom(10, syncProbability: 0.5);
        harness.ReopenHealthy(harness.HistoryLength);
        harness.Close();
    }

    /// <summary>A full disk under a flush that a full write buffer started (no explicit Flush): writes stop with the cause, and nothing acknowledged is lost.</summary>
    [Fact]
    public void DiskFullDuringAnAutomaticFlush_StopsWritesWithTheCause_AndLosesNothing()
    {
        var harness = new CrashHarness(5, writeBufferSize: 16 * 1024);
        harness.Open();
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = FileSystemOperation.Append,
            PathFilter = FileSystemFault.NameEndsWith(".sst"),
            Kind = FaultKind.DiskFull,
            Trigger = FaultTrigger.FromNthCall(5),
        });

        IOException? error = null;
        for (int i = 0; i < 5000 && error is null; i++)
        {
            try
            {
                harness.Write(harness.RandomBatch(), sync: i % 10 == 0);
            }
            catch (IOException e)
            {
                error = e;
            }
        }

        Assert.NotNull(error);
        Assert.Contains(Causes(error), e => e.HResult == FaultInjectingFileSystem.DiskFullHResult && FaultInjectingFileSystem.IsInjected(e));
        Assert.Equal("1", harness.Db.GetProperty(BackgroundErrors));
        int acknowledged = harness.HistoryLength - 1;
        AssertReadsShow(harness, harness.StateAt(acknowledged));
        harness.Faulty.ClearRules();
        harness.Capture("disk full", CrashMode.DropUnsynced);
        harness.Verify(harness.TakeImages());
        harness.ReopenHealthy(acknowledged);
        harness.Close();
    }

    /// <summary>
    /// An I/O error at each call of a flush in turn (the log switch, the table, the directory, the MANIFEST, the
    /// deletion of the old log): whatever the call, the error surfaces with its cause or the flush completes, reads
    /// show every acknowledged write, and a crash or a healthy reopen loses none of them.
    /// </summary>
    [Fact]
    public void IOErrorAtEachCallOfAFlush_LosesNothingAcknowledged() =>
        ErrorAtEachCall(
            "a flush",
            PrepareFlush,
            harness => harness.Flush(0),
            "flushed",
            (harness, e) => harness.Db.GetProperty(BackgroundErrors) == "0" ? "Flush threw, writes go on" : "background error",
            afterReopen: null);

    /// <summary>
    /// An I/O error at each call of a manual compaction in turn (the output table's creation, appends and sync, the
    /// directory, the MANIFEST record, the deletion of the inputs): the error surfaces with its cause as a background
    /// error that stops writes, or the compaction completes; reads show every acknowledged write; a crash or a healthy
    /// reopen loses none of them; and after the reopen the family compacts again.
    /// </summary>
    [Fact]
    public void IOErrorAtEachCallOfACompaction_LosesNothingAcknowledged() =>
        ErrorAtEachCall(
            "a compaction",
            PrepareCompaction,
            harness => harness.Compact(0),
            "compacted",
            (harness, e) =>
            {
                Assert.Equal("1", harness.Db.GetProperty(BackgroundErrors));
                AssertWritesStopped(harness.Db, e);
                Assert.Empty(harness.Db.CheckInvariants());
                return "background error";
            },
            afterReopen: harness =>
            {
                harness.Compact(0);
                Assert.Empty(harness.Db.CheckInvariants());
                Assert.Equal(0, CountTables(harness.Db, level: 0));
            });

    /// <summary>
    /// The driver of the tests above: for each call <paramref name="operation"/> makes on a database from
    /// <paramref name="prepare"/>, an I/O error at that call; the operation completes or throws with the injected cause
    /// (<paramref name="onError"/> checks more and names the outcome); reads then show every acknowledged write; crash
    /// images in both modes and a healthy reopen keep them all; <paramref name="afterReopen"/> runs on the reopened
    /// database. Prints how many calls ended each way.
    /// </summary>
    private void ErrorAtEachCall(
        string what,
        Func<CrashHarness> prepare,
        Action<CrashHarness> operation,
        string completed,
        Func<CrashHarness, IOException, string> onError,
        Action<CrashHarness>? afterReopen)
    {
        int calls = CountCalls(operation, prepare);
        Assert.True(calls > 5, $"{what} made only {calls} calls");
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (int n = 1; n <= calls; n++)
        {
            CrashHarness harness = prepare();
            int acknowledged = harness.HistoryLength;
            string? where = null;
            harness.Faulty.AddRule(new FileSystemFault
            {
                Trigger = FaultTrigger.OnNthCall(n),
                OnFire = (op, path) => where = $"{op} {CrashHarness.FileKind(path)}",
            });

            string outcome;
            try
            {
                operation(harness);
                outcome = completed;
            }
            catch (IOException e)
            {
                Assert.True(CausedByInjectedFault(e), $"call {n} ({where}) of {what}: the exception does not carry the injected fault: {e}");
                outcome = onError(harness, e);
            }

            outcomes[$"{where}: {outcome}"] = outcomes.GetValueOrDefault($"{where}: {outcome}") + 1;
            AssertReadsShow(harness, harness.StateAt(acknowledged));
            harness.Faulty.ClearRules();
            foreach (CrashMode mode in BothModes)
            {
                harness.Capture($"after an error at call {n} ({where})", mode);
            }

            harness.Verify(harness.TakeImages());
            harness.ReopenHealthy(acknowledged);
            afterReopen?.Invoke(harness);
            harness.Close();
        }

        output.WriteLine($"{calls} calls in {what}; outcome of an I/O error at each:");
        foreach ((string outcome, int count) in outcomes)
        {
            output.WriteLine($"  {count,3}  {outcome}");
        }
    }

    /// <summary>
    /// A fault on a compaction thread (automatic compactions started by flushes): a full disk or failed write while
    /// writing the output, a failed fsync of the output, a failed MANIFEST record. Writes then fail with the cause,
    /// <c>rocksdb.background-errors</c> counts it, reads keep working, and neither a crash nor a reopen loses anything
    /// acknowledged.
    /// </summary>
    [Theory]
    [InlineData("Create", "SST", "IOError")]
    [InlineData("Append", "SST", "DiskFull")]
    [InlineData("Append", "SST", "IOError")]
    [InlineData("Sync", "SST", "IOError")]
    [InlineData("Append", "MANIFEST", "DiskFull")]
    [InlineData("Sync", "MANIFEST", "IOError")]
    public void FaultInAnAutomaticCompaction_StopsWritesWithTheCause_AndLosesNothing(string operation, string file, string kind)
    {
        var harness = new CrashHarness(31, writeBufferSize: 16 * 1024);
        harness.Open();
        harness.Faulty.AddRule(new FileSystemFault
        {
            Operation = Enum.Parse<FileSystemOperation>(operation),
            PathFilter = path => CrashHarness.FileKind(path) == file && OnACompactionThread(),
            Kind = Enum.Parse<FaultKind>(kind),
        });

        // Small buffers: writes fill memtables, flushes fill L0, and the second L0 file starts a compaction that fails.
        IOException? error = null;
        int acknowledged = 0;
        for (int i = 0; i < 20_000 && error is null; i++)
        {
            try
            {
                harness.Write(harness.RandomBatch(), sync: i % 10 == 0);
                acknowledged = harness.HistoryLength;
            }
            catch (IOException e)
            {
                error = e;
            }
        }

        Assert.NotNull(error);
        Assert.True(CausedByInjectedFault(error), $"the write's exception does not carry the injected fault: {error}");
        if (kind == "DiskFull")
        {
            Assert.Contains(Causes(error), e => e.HResult == FaultInjectingFileSystem.DiskFullHResult);
        }

        Assert.Equal("1", harness.Db.GetProperty(BackgroundErrors));
        IOException waited = Assert.Throws<IOException>(harness.Db.WaitForCompactions);
        Assert.True(CausedByInjectedFault(waited), $"WaitForCompactions does not carry the injected fault: {waited}");
        AssertWritesStopped(harness.Db, error);
        AssertReadsShow(harness, harness.StateAt(acknowledged));
        Assert.Empty(harness.Db.CheckInvariants());

        harness.Faulty.ClearRules();
        foreach (CrashMode mode in BothModes)
        {
            harness.Capture("after the failed compaction", mode);
        }

        harness.Verify(harness.TakeImages());
        harness.ReopenHealthy(acknowledged);
        harness.WriteRandom(50, syncProbability: 0.2);
        harness.Db.WaitForCompactions();
        Assert.Empty(harness.Db.CheckInvariants());
        harness.ReopenHealthy(harness.HistoryLength);
        harness.Close();
    }

    /// <summary>
    /// An I/O error at each call of an open that recovers logs and tables: the open fails with an
    /// <see cref="IOException"/> (never a corruption error: nothing is damaged) or succeeds, and the next open, healthy,
    /// recovers everything.
    /// </summary>
    [Fact]
    public void IOErrorAtEachCallOfAnOpen_FailsCleanly_AndTheNextOpenRecoversEverything()
    {
        CrashHarness template = PrepareFlush();
        template.Capture("prepared", CrashMode.DropUnsynced);
        template.Close();
        CrashImage prepared = template.TakeImages().Single();
        template.Verify(prepared);
        InMemoryFileSystem disk = prepared.Disk;
        ModelDatabase expected = template.StateAt(prepared.Lo);

        var counter = new FaultInjectingFileSystem(disk.CrashClone());
        LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(counter, 1024 * 1024)).Dispose();
        long calls = counter.GetCounts().Values.Sum();
        int failed = 0;
        for (int n = 1; n <= calls; n++)
        {
            InMemoryFileSystem copy = disk.CrashClone();
            var faulty = new FaultInjectingFileSystem(copy);
            string? where = null;
            faulty.AddRule(new FileSystemFault { Trigger = FaultTrigger.OnNthCall(n), OnFire = (op, path) => where = $"{op} {CrashHarness.FileKind(path)}" });
            try
            {
                LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(faulty, 1024 * 1024)).Dispose();
            }
            catch (Exception e) when (e is not CorruptionException)
            {
                Assert.True(e is IOException && CausedByInjectedFault(e), $"call {n} ({where}): the open failed with {e}");
                failed++;
            }

            using LsmDb reopened = LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(copy, 1024 * 1024));
            ModelDatabase actual = ModelDatabase.Read(reopened);
            Assert.True(!expected.Differences(actual).Any(), $"after an error at call {n} ({where}) of the open:\n{expected.Describe(actual)}");
        }

        output.WriteLine($"{calls} calls in an open; an I/O error failed the open at {failed} of them");
    }

    /// <summary>
    /// Every read of a table returns one flipped bit: a point read or a scan either throws <see cref="CorruptionException"/>
    /// or returns the right data, never a wrong value.
    /// </summary>
    [Fact]
    public void CorruptedTableReads_AreReportedAsCorruption_NeverAsWrongData()
    {
        var harness = new CrashHarness(11, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(300, syncProbability: 0);
        harness.Flush(0);
        harness.Flush(1);
        ModelDatabase expected = harness.StateAt(harness.HistoryLength);
        harness.Close();

        var disk = harness.Disk;
        int corruptions = 0;
        int correct = 0;
        for (int seed = 0; seed < 20; seed++)
        {
            var faulty = new FaultInjectingFileSystem(disk);
            using LsmDb db = LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(faulty, 1024 * 1024));
            ColumnFamilyHandle[] handles = ModelDatabase.Handles(db);
            faulty.AddRule(new FileSystemFault
            {
                Operation = FileSystemOperation.Read,
                PathFilter = FileSystemFault.NameEndsWith(".sst"),
                Kind = FaultKind.CorruptRead,
                Trigger = FaultTrigger.WithProbability(0.5),
                Seed = seed,
            });
            for (int i = 0; i < harness.KeysPerFamily; i += 3)
            {
                int cf = i % 2;
                byte[] key = B(CrashHarness.Key(i));
                try
                {
                    byte[]? value = db.Get(handles[cf], key);
                    Assert.True(
                        ByteEquals(expected.Get(cf, key), value),
                        $"seed {seed}: Get(cf{cf}, {CrashHarness.Key(i)}) returned {(value is null ? "absent" : ModelDatabase.Text(value))}, expected {(expected.Get(cf, key) is byte[] v ? ModelDatabase.Text(v) : "absent")}");
                    correct++;
                }
                catch (CorruptionException)
                {
                    corruptions++;
                }
            }
        }

        output.WriteLine($"{corruptions} reads reported corruption, {correct} returned the right value");
        Assert.True(corruptions > 0, "no corrupted read was detected");
    }

    /// <summary>Calls made by <paramref name="action"/> on a database prepared by <see cref="PrepareFlush"/>.</summary>
    private static int CountCalls(Action<CrashHarness> action, Func<CrashHarness>? prepare = null)
    {
        CrashHarness harness = (prepare ?? PrepareFlush)();
        harness.Faulty.ResetCounts();
        action(harness);
        int calls = (int)harness.Faulty.GetCounts().Values.Sum();
        harness.Close();
        return calls;
    }

    /// <summary>The same database each time: synced and unsynced writes in both families, the second family flushed.</summary>
    private static CrashHarness PrepareFlush()
    {
        var harness = new CrashHarness(21, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(120, syncProbability: 0.2);
        harness.Flush(1);
        harness.WriteRandom(30, syncProbability: 0.2);
        return harness;
    }

    /// <summary>
    /// The same database each time, with nothing running in the background: level 0 holds one table of the default
    /// family over data an automatic compaction already moved down, so a manual compaction merges the two.
    /// </summary>
    private static CrashHarness PrepareCompaction()
    {
        var harness = new CrashHarness(41, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(120, syncProbability: 0.2);
        harness.Flush(0);
        harness.WriteRandom(60, syncProbability: 0.2);
        harness.Flush(0); // the second L0 table: an automatic compaction moves both down
        harness.Db.WaitForCompactions();
        harness.WriteRandom(60, syncProbability: 0.2);
        harness.Flush(0);
        harness.Flush(1);
        harness.Db.WaitForCompactions();
        Assert.Equal(1, CountTables(harness.Db, level: 0));
        return harness;
    }

    private static int CountTables(LsmDb db, int level) =>
        int.Parse(db.GetProperty($"rocksdb.num-files-at-level{level}") ?? "-1", System.Globalization.CultureInfo.InvariantCulture);

    private static bool OnACompactionThread() => Thread.CurrentThread.Name?.StartsWith("lsm-compaction-", StringComparison.Ordinal) == true;

    /// <summary>Asserts that a write now fails with an <see cref="IOException"/> that carries the first failure's cause.</summary>
    private static void AssertWritesStopped(LsmDb db, IOException first)
    {
        IOException later = Assert.Throws<IOException>(() => db.Put(B("zz-never"), B("x")));
        Exception cause = Causes(first).First(FaultInjectingFileSystem.IsInjected);
        Assert.Contains(cause, Causes(later));
    }

    private static void AssertReadsShow(CrashHarness harness, ModelDatabase expected)
    {
        ModelDatabase actual = ModelDatabase.Read(harness.Db);
        Assert.True(!expected.Differences(actual).Any(), "reads after the fault differ from the acknowledged writes:\n" + expected.Describe(actual));
    }

    private static bool CausedByInjectedFault(Exception e) => Causes(e).Any(FaultInjectingFileSystem.IsInjected);

    private static IEnumerable<Exception> Causes(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static bool ByteEquals(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
