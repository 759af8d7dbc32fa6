using System.Globalization;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Memory;

/// <summary>
/// Databases charging a write buffer manager: the charge equals the memtables' memory of every family (and of every
/// database sharing it) and returns to zero when they close; near the budget the largest memtable is flushed early;
/// with stalls allowed, writers wait for the flushes and are released by Dispose without a deadlock. No block cache.
/// </summary>
/// <remarks>Every wait is bounded: a deadlock fails the test instead of hanging it.</remarks>
public sealed class WriteBufferManagerDbTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly byte[] Value = new byte[1000];

    private static byte[] Key(string prefix, int i) => System.Text.Encoding.ASCII.GetBytes($"{prefix}{i:D6}");

    private static DbOptions Options(IFileSystem fs, WriteBufferManager? manager, ColumnFamilyOptions? family = null) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs,
        WriteBufferManager = manager,
        DefaultColumnFamilyOptions = family ?? new ColumnFamilyOptions(),
    };

    private static long Property(LsmDb db, string name, ColumnFamilyHandle? cf = null) =>
        long.Parse(db.GetProperty(name, cf)!, CultureInfo.InvariantCulture);

    /// <summary>The memtable bytes of every family of <paramref name="db"/>, active and immutable.</summary>
    private static long MemtableBytes(LsmDb db) => db.ColumnFamilies.Sum(cf => Property(db, "rocksdb.cur-size-all-mem-tables", cf));

    private static void Await(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(1);
        }
    }

    private static void AwaitNoImmutable(LsmDb db) =>
        Await(() => db.ColumnFamilies.All(cf => Property(db, "rocksdb.num-immutable-mem-table", cf) == 0), "every flush finished");

    [Fact]
    public void SeveralFamilies_ChargeIsTheSumOfTheirMemtables_AndIsReturnedOnDropAndClose()
    {
        var fs = new InMemoryFileSystem();
        var manager = new WriteBufferManager(64 << 20); // large: nothing is flushed early
        var family = new ColumnFamilyOptions { WriteBufferSize = 256 * 1024 };
        using (LsmDb db = LsmDb.Open("/db", Options(fs, manager, family)))
        {
            ColumnFamilyHandle a = db.CreateColumnFamily("a", family);
            ColumnFamilyHandle b = db.CreateColumnFamily("b", family);
            for (int i = 0; i < 600; i++)
            {
                db.Put(a, Key("a", i), Value); // a fills more than one write buffer: some of it is flushed
                if (i % 3 == 0)
                {
                    db.Put(b, Key("b", i), Value);
                }
            }

            AwaitNoImmutable(db);
            Assert.Equal(MemtableBytes(db), manager.MemoryUsage);
            Assert.Equal(manager.MemoryUsage, manager.MutableMemtableMemoryUsage);
            Assert.Equal(0, db.WriteBufferManagerFlushes);

            long bBytes = Property(db, "rocksdb.cur-size-all-mem-tables", b);
            long before = manager.MemoryUsage;
            db.DropColumnFamily(b);
            Assert.Equal(before - bBytes, manager.MemoryUsage);
            Assert.Equal(MemtableBytes(db), manager.MemoryUsage);
        }

        Assert.Equal(0, manager.MemoryUsage);
        Assert.Equal(0, manager.MutableMemtableMemoryUsage);
    }

    [Fact]
    public void NearTheBudget_TheLargestMemtableIsFlushedEarly_NotTheOldest()
    {
        // Write buffers of 256 KiB (arena chunks of 32 KiB) under a budget of 256 KiB (mutable limit 224 KiB): "big"
        // reaches the limit at about 192 KiB, well before its own write buffer is full. "small" was written first, so
        // its memtable is the oldest (RocksDB's choice); ours must pick the largest.
        var fs = new InMemoryFileSystem();
        var manager = new WriteBufferManager(256 * 1024);
        var family = new ColumnFamilyOptions { WriteBufferSize = 256 * 1024, MaxWriteBufferNumber = 4 };
        using LsmDb db = LsmDb.Open("/db", Options(fs, manager, family));
        ColumnFamilyHandle small = db.CreateColumnFamily("small", family);
        ColumnFamilyHandle big = db.CreateColumnFamily("big", family);
        for (int i = 0; i < 5; i++)
        {
            db.Put(small, Key("s", i), Value);
        }

        for (int i = 0; i < 400; i++)
        {
            db.Put(big, Key("b", i), Value);
        }

        AwaitNoImmutable(db);
        Assert.True(db.WriteBufferManagerFlushes >= 2, $"{db.WriteBufferManagerFlushes} early flushes");
        Assert.True(Property(db, "rocksdb.live-sst-files-size", big) > 0); // in level 0, or moved down by a compaction
        Assert.Equal(0, Property(db, "rocksdb.live-sst-files-size", small));
        Assert.Equal(0, Property(db, "rocksdb.live-sst-files-size"));
        Assert.True(manager.MemoryUsage <= manager.BufferSize, $"{manager} after the flushes");
        for (int i = 0; i < 400; i++)
        {
            Assert.Equal(Value, db.Get(big, Key("b", i)));
        }

        Assert.Equal(Value, db.Get(small, Key("s", 4)));
        Assert.Equal(db.WriteBufferManagerFlushes, Property(db, "lsm.write-buffer-manager-flushes"));
        Assert.InRange(Property(db, "lsm.write-buffer-manager-usage"), 1, manager.BufferSize); // a flush may still be freeing memory
        Assert.Equal(256 * 1024, Property(db, "lsm.write-buffer-manager-buffer-size"));
    }

    [Fact]
    public void SharedByTwoDatabases_ChargesBoth_AndTheWriterFlushesItsOwnWhenTheOtherFillsTheBudget()
    {
        // Budget 2 MiB (mutable limit 1.75 MiB); write buffers of 2 MiB, so arena chunks of 256 KiB and no memtable
        // fills by itself. The idle database takes 5 chunks and stops writing; the writer's third chunk crosses the limit.
        var fs = new InMemoryFileSystem();
        var manager = new WriteBufferManager(2 << 20);
        var family = new ColumnFamilyOptions { WriteBufferSize = 2 << 20, MaxWriteBufferNumber = 4 };
        using LsmDb idle = LsmDb.Open("/idle", Options(fs, manager, family));
        for (int i = 0; i < 1100; i++)
        {
            idle.Put(Key("i", i), Value);
        }

        Assert.Equal(0, idle.WriteBufferManagerFlushes);
        long idleBytes = MemtableBytes(idle);
        Assert.Equal(idleBytes, manager.MemoryUsage);

        LsmDb writer = LsmDb.Open("/writer", Options(fs, manager, family));
        try
        {
            Assert.False(manager.ShouldFlush());
            Assert.Equal(idleBytes + MemtableBytes(writer), manager.MemoryUsage);
            for (int i = 0; i < 600; i++)
            {
                writer.Put(Key("w", i), Value);
            }

            // Over the shared budget, only the database that writes switches, and only its own memtables.
            Assert.True(writer.WriteBufferManagerFlushes >= 1, $"no early flush: {manager}");
            Assert.Equal(0, idle.WriteBufferManagerFlushes);
            AwaitNoImmutable(writer);
            // Several early switches can make four small tables, which a compaction then moves out of level 0: count
            // the tables of every level.
            Assert.True(
                Property(writer, "rocksdb.live-sst-files-size") > 0,
                $"no table after {writer.WriteBufferManagerFlushes} early flushes: {writer.GetProperty("rocksdb.stats")}");
            Assert.Equal(0, Property(idle, "rocksdb.live-sst-files-size"));
            Assert.Equal(idleBytes, MemtableBytes(idle));
            Assert.Equal(idleBytes + MemtableBytes(writer), manager.MemoryUsage);
        }
        finally
        {
            writer.Dispose();
        }

        Assert.Equal(idleBytes, manager.MemoryUsage); // the closed database's charge is gone
        Assert.Equal(idleBytes, manager.MutableMemtableMemoryUsage);
    }

    [Fact]
    public void DbWriteBufferSize_CreatesAPrivateManager_AndIsWrittenToTheOptionsFile()
    {
        var fs = new InMemoryFileSystem();
        using LsmDb db = LsmDb.Open("/db", new DbOptions { CreateIfMissing = true, FileSystem = fs, DbWriteBufferSize = 300_000 });
        WriteBufferManager manager = db.MemtableBudget!;
        Assert.Equal(300_000, manager.BufferSize);
        Assert.False(manager.AllowStall);
        Assert.False(manager.CostToCache);
        Assert.Same(manager, db.MemtableBudget);
        Assert.Equal(MemtableBytes(db), manager.MemoryUsage);

        string options = fs.GetFiles().Single(f => System.IO.Path.GetFileName(f.Path).StartsWith("OPTIONS-", StringComparison.Ordinal)).Path;
        Assert.Contains("  db_write_buffer_size=300000\n", System.Text.Encoding.UTF8.GetString(fs.ReadAllBytes(options)), StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutAManager_NothingIsCharged()
    {
        var fs = new InMemoryFileSystem();
        using LsmDb db = LsmDb.Open("/db", Options(fs, null));
        Assert.Null(db.MemtableBudget);
        Assert.Null(db.GetProperty("lsm.write-buffer-manager-usage"));
        Assert.Equal("0", db.GetProperty("lsm.write-buffer-manager-flushes"));
        Assert.Throws<ArgumentException>(() => new DbOptions { DbWriteBufferSize = -1 }.Validate());
    }

    [Fact]
    public void AllowStall_WriterWaitsForTheFlush_AndResumesWhenItFreesMemory()
    {
        const int Keys = 1500; // ~1.5 MiB: three times the budget
        using var harness = new GatedWriter(Keys);
        harness.AwaitStall();
        int stalledAt = harness.Written;
        Thread.Sleep(300);
        Assert.Equal(stalledAt, harness.Written); // waiting, not writing past the budget
        Assert.True(stalledAt < Keys);
        Assert.True(harness.IsAlive);
        LsmDb db = harness.Db;
        WriteBufferManager manager = harness.Manager;
        Assert.True(Property(db, "lsm.stall-stops") >= 1);
        Assert.True(manager.MemoryUsage < manager.BufferSize + (256 * 1024), $"{manager} while stalled");

        harness.OpenGate();
        Assert.True(harness.Join(), "the writer did not resume after the flush");
        Assert.Null(harness.Failure);
        Assert.Equal(Keys, harness.Written);
        Assert.True(db.WriteBufferManagerFlushes >= 1);
        Assert.True(Property(db, "lsm.stall-micros") > 0);
        for (int i = 0; i < Keys; i += 97)
        {
            Assert.Equal(Value, db.Get(Key("k", i)));
        }
    }

    [Fact]
    public void AllowStall_DisposeReleasesAStalledWriter_WithoutADeadlock()
    {
        using var harness = new GatedWriter(100_000);
        harness.AwaitStall();

        var disposer = new Thread(harness.Db.Dispose) { IsBackground = true, Name = "wbm-disposer" };
        disposer.Start();
        Assert.True(harness.Join(), "Dispose did not release the stalled writer");
        Assert.IsType<ObjectDisposedException>(harness.Failure?.InnerException ?? harness.Failure);
        harness.OpenGate(); // the held flush may finish now, so Dispose can join the flush thread
        Assert.True(disposer.Join(Patience), "Dispose did not finish");
        Assert.Equal(0, harness.Manager.MemoryUsage);
    }

    /// <summary>
    /// A database under a 512 KiB budget with stalls allowed (write buffers of 1 MiB, so arena chunks of 128 KiB), whose
    /// flushes wait at a gate when they create their table, and a thread writing 1 KiB values to it.
    /// </summary>
    private sealed class GatedWriter : IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private readonly SemaphoreSlim _entered = new(0);
        private readonly Thread _thread;
        private readonly int _keys;
        private int _written;

        public GatedWriter(int keys)
        {
            var fs = new FaultInjectingFileSystem(new InMemoryFileSystem());
            fs.AddRule(new FileSystemFault
            {
                Operation = FileSystemOperation.Create,
                PathFilter = FileSystemFault.NameEndsWith(".sst"),
                Kind = FaultKind.None,
                OnFire = (_, _) =>
                {
                    _entered.Release();
                    _gate.Wait();
                },
            });
            Manager = new WriteBufferManager(512 * 1024, allowStall: true);
            Db = LsmDb.Open("/db", Options(fs, Manager, new ColumnFamilyOptions { WriteBufferSize = 1 << 20, MaxWriteBufferNumber = 4 }));
            _keys = keys;
            _thread = new Thread(Run) { IsBackground = true, Name = "wbm-stall-writer" };
            _thread.Start();
        }

        public LsmDb Db { get; }

        public WriteBufferManager Manager { get; }

        public int Written => Volatile.Read(ref _written);

        public Exception? Failure { get; private set; }

        public bool IsAlive => _thread.IsAlive;

        /// <summary>Waits until a flush is held at the gate and the budget is full.</summary>
        public void AwaitStall()
        {
            Assert.True(_entered.Wait(Patience), "no flush started");
            Await(Manager.ShouldStall, "the budget is full");
        }

        public void OpenGate() => _gate.Set();

        public bool Join() => _thread.Join(Patience);

        public void Dispose()
        {
            _gate.Set();
            Db.Dispose();
            _thread.Join(Patience);
            _gate.Dispose();
            _entered.Dispose();
        }

        private void Run()
        {
            try
            {
                for (int i = 0; i < _keys; i++)
                {
                    Db.Put(Key("k", i), Value);
                    Volatile.Write(ref _written, i + 1);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                Failure = e;
            }
        }
    }
}
