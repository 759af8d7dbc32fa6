using System.Globalization;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Compaction inside the database: background compactions keep level 0 short and the tree in shape for both
/// styles, manual CompactRange pushes everything down, and reads (at snapshots too) never change.
/// </summary>
public sealed class DbCompactionTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    private static DbOptions Options(IFileSystem fs, CompactionStyle style, bool autoCompactions = true) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions
        {
            WriteBufferSize = 16 * 1024,
            MergeOperator = UInt64AddOperator.Instance,
            CompactionStyle = style,
            DisableAutoCompactions = !autoCompactions,
            Level0FileNumCompactionTrigger = 2,
            TargetFileSizeBase = 32 * 1024,
            MaxBytesForLevelBase = 64 * 1024,
            LevelCompactionDynamicLevelBytes = false,
        },
    };

    private static long Property(LsmDb db, string name) => long.Parse(db.GetProperty(name)!, CultureInfo.InvariantCulture);

    /// <summary>Waits until no compaction is due or running, failing after a minute.</summary>
    private static void WaitForCompactions(LsmDb db)
    {
        Assert.True(Task.Run(db.WaitForCompactions).Wait(TimeSpan.FromSeconds(60)), "compactions did not settle within a minute");
        Assert.Empty(db.CheckInvariants());
    }

    private static SortedDictionary<string, string> Scan(LsmDb db, ReadOptions? options = null)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using LsmIterator it = db.NewIterator(null, options);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            result.Add(System.Text.Encoding.ASCII.GetString(it.Key), Convert.ToHexString(it.Value));
        }

        return result;
    }

    private static void WriteRounds(LsmDb db, SortedDictionary<string, string> model, Random random, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            int k = random.Next(3000);
            byte[] key = Key(k);
            string name = System.Text.Encoding.ASCII.GetString(key);
            switch (random.Next(10))
            {
                case < 7:
                    byte[] value = new byte[random.Next(20, 120)];
                    random.NextBytes(value);
                    db.Put(key, value);
                    model[name] = Convert.ToHexString(value);
                    break;
                case < 9:
                    db.Delete(key);
                    model.Remove(name);
                    break;
                default:
                    int end = k + random.Next(1, 20);
                    db.DeleteRange(key, Key(end));
                    foreach (string gone in model.Keys.Where(n => string.CompareOrdinal(n, name) >= 0 && string.CompareOrdinal(n, $"key{end:D6}") < 0).ToList())
                    {
                        model.Remove(gone);
                    }

                    break;
            }
        }
    }

    [Theory]
    [InlineData(CompactionStyle.Level)]
    [InlineData(CompactionStyle.Universal)]
    public void BackgroundCompactions_KeepLevel0Short_AndTheDataIntact(CompactionStyle style)
    {
        var fs = new InMemoryFileSystem();
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var random = new Random(7);
        SortedDictionary<string, string> atSnapshot;
        using (var db = LsmDb.Open("/db", Options(fs, style)))
        {
            WriteRounds(db, model, random, 6000);
            using Snapshot snapshot = db.GetSnapshot();
            atSnapshot = new SortedDictionary<string, string>(model, StringComparer.Ordinal);
            WriteRounds(db, model, random, 6000);
            db.Flush();
            WaitForCompactions(db);

            Assert.Equal(model, Scan(db));
            Assert.Equal(atSnapshot, Scan(db, new ReadOptions { Snapshot = snapshot }));
            Assert.True(Property(db, "rocksdb.num-files-at-level0") < 4, db.GetProperty("rocksdb.num-files-at-level0"));
            long deeper = Enumerable.Range(1, 6).Sum(level => Property(db, $"rocksdb.num-files-at-level{level}"));
            Assert.True(deeper > 0, "nothing was compacted below level 0");
            Assert.Equal("0", db.GetProperty("rocksdb.background-errors"));
        }

        using (var db = LsmDb.Open("/db", Options(fs, style)))
        {
            Assert.Equal(model, Scan(db));
            foreach ((string key, string value) in model.Take(200))
            {
                Assert.Equal(value, Convert.ToHexString(db.Get(System.Text.Encoding.ASCII.GetBytes(key))!));
            }
        }
    }

    [Theory]
    [InlineData(CompactionStyle.Level)]
    [InlineData(CompactionStyle.Universal)]
    public void CompactRange_MovesEverythingOutOfLevel0(CompactionStyle style)
    {
        var fs = new InMemoryFileSystem();
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var db = LsmDb.Open("/db", Options(fs, style, autoCompactions: false));
        WriteRounds(db, model, new Random(3), 5000);
        Assert.True(Property(db, "rocksdb.num-files-at-level0") >= 4, "the test needs several level-0 files");

        db.CompactRange();

        Assert.Equal(0, Property(db, "rocksdb.num-files-at-level0"));
        Assert.Equal(model, Scan(db));
        Assert.Equal(0, Property(db, "rocksdb.num-running-compactions"));
    }

    [Fact]
    public void CompactionAtTheBottom_DropsDeletedData_AndSpaceComesBack()
    {
        var fs = new InMemoryFileSystem();
        using var db = LsmDb.Open("/db", Options(fs, CompactionStyle.Level, autoCompactions: false));
        for (int i = 0; i < 2000; i++)
        {
            db.Put(Key(i), new byte[100]);
        }

        db.CompactRange();
        long full = Property(db, "rocksdb.total-sst-files-size");
        db.DeleteRange(Key(0), Key(2000));
        db.CompactRange();
        long empty = Property(db, "rocksdb.total-sst-files-size");
        Assert.True(empty < full / 20, $"{empty} bytes left of {full}");
        Assert.Empty(Scan(db));
    }

    [Fact]
    public void CheckInvariants_ReportsAMissingTable()
    {
        var fs = new InMemoryFileSystem();
        using var db = LsmDb.Open("/db", Options(fs, CompactionStyle.Universal, autoCompactions: false));
        WriteRounds(db, new SortedDictionary<string, string>(StringComparer.Ordinal), new Random(5), 2000);
        db.Flush();
        Assert.Empty(db.CheckInvariants());
        string table = fs.ListFiles("/db").First(n => n.EndsWith(".sst", StringComparison.Ordinal));
        fs.Delete("/db/" + table);
        Assert.Contains(db.CheckInvariants(), p => p.Contains(table, StringComparison.Ordinal) && p.Contains("missing", StringComparison.Ordinal));
    }

    /// <summary>
    /// Disposing the database while a compaction runs cancels it: Dispose returns, the compaction is neither finished
    /// nor installed, its partial output is deleted, its inputs stay, and the reopened database has every key.
    /// </summary>
    [Fact]
    public async Task Dispose_DuringACompaction_CancelsIt_AndLeavesNoTableBehind()
    {
        var fs = new InMemoryFileSystem();
        var filter = new SlowFilter();
        DbOptions options = Options(fs, CompactionStyle.Level, autoCompactions: false);
        options = options with { DefaultColumnFamilyOptions = options.DefaultColumnFamilyOptions with { CompactionFilter = filter } };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var db = LsmDb.Open("/db", options);
        var random = new Random(8);
        for (int i = 0; i < 3; i++)
        {
            WriteRounds(db, model, random, 3000);
            db.Flush();
        }

        string[] tablesBefore = Tables(fs);
        Task compaction = Task.Run(() => db.CompactRange());
        Assert.True(filter.Entered.Wait(TimeSpan.FromSeconds(60)), "the compaction never reached the filter");
        db.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => compaction.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(filter.Calls < model.Count, $"the compaction ran to its end ({filter.Calls} keys filtered) instead of being cancelled");
        Assert.Equal(tablesBefore, Tables(fs));

        using var reopened = LsmDb.Open("/db", Options(fs, CompactionStyle.Level, autoCompactions: false));
        Assert.Equal(model, Scan(reopened));
        Assert.Empty(reopened.CheckInvariants());
        Assert.Equal(tablesBefore, Tables(fs));
    }

    private static string[] Tables(InMemoryFileSystem fs) =>
        [.. fs.ListFiles("/db").Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    /// <summary>Keeps every value, a millisecond per key, and says when the first key arrives.</summary>
    private sealed class SlowFilter : CompactionFilter
    {
        private int _calls;

        public ManualResetEventSlim Entered { get; } = new();

        public int Calls => Volatile.Read(ref _calls);

        public override string Name => "slow";

        public override CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue)
        {
            newValue = null;
            Interlocked.Increment(ref _calls);
            Entered.Set();
            Thread.Sleep(1);
            return CompactionDecision.Keep;
        }
    }
}
