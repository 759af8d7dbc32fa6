using System.Globalization;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Write stalls inside the database: with compactions held up by a blocking compaction filter, level 0 piles up,
/// writes are first delayed, then stopped; they resume once compaction catches up, and a stopped writer is released
/// with an exception when the database is disposed, without a deadlock.
/// </summary>
/// <remarks>Every wait is bounded: a deadlock fails the test instead of hanging it.</remarks>
public sealed class WriteStallTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D7}");

    /// <summary>The i-th key written: a permutation of 0..n-1, so level-0 files overlap (no trivial moves past the filter).</summary>
    private static int Permuted(int i, int n) => (int)((long)i * 7919 % n);

    private static byte[] Value(int i)
    {
        byte[] value = new byte[100];
        new Random(i).NextBytes(value);
        return value;
    }

    private static DbOptions Options(IFileSystem fs, CompactionFilter filter) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs,
        DelayedWriteRate = 32 * 1024, // from 3 level-0 files to 6 takes seconds at this pace: the delay is seen
        DefaultColumnFamilyOptions = new ColumnFamilyOptions
        {
            WriteBufferSize = 16 * 1024,
            CompactionFilter = filter,
            Level0FileNumCompactionTrigger = 2,
            Level0SlowdownWritesTrigger = 3,
            Level0StopWritesTrigger = 6,
            TargetFileSizeBase = 64 * 1024,
            MaxBytesForLevelBase = 256 * 1024,
        },
    };

    private static long Property(LsmDb db, string name) => long.Parse(db.GetProperty(name)!, CultureInfo.InvariantCulture);

    private static bool Finishes(Action action) => Task.Run(action).Wait(Patience);

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after a minute.</summary>
    private static void Await(Func<bool> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            Thread.Sleep(1);
        }
    }

    [Fact]
    public void Write_CompactionsHeldUp_DelaysThenStopsThenResumes()
    {
        const int Keys = 3000; // ~300 KB of values: far more level-0 files than the stop trigger
        var fs = new InMemoryFileSystem();
        using var filter = new BlockingFilter();
        using LsmDb db = LsmDb.Open("/db", Options(fs, filter));
        int written = 0;
        var writer = new Thread(() =>
        {
            for (int i = 0; i < Keys; i++)
            {
                int k = Permuted(i, Keys);
                db.Put(Key(k), Value(k));
                Volatile.Write(ref written, i + 1);
            }
        })
        { IsBackground = true, Name = "stall-test-writer" };
        writer.Start();

        Assert.True(filter.Entered.Wait(Patience), "no compaction reached the filter");
        long delayedRate = 0;
        Await(() => (delayedRate = Property(db, "rocksdb.actual-delayed-write-rate")) > 0, "writes are delayed");
        Assert.InRange(delayedRate, 16 * 1024, 32 * 1024); // the user's rate, or slowed down near the stop
        Await(() => Property(db, "rocksdb.is-write-stopped") == 1, "writes are stopped");
        Assert.True(Property(db, "rocksdb.num-files-at-level0") >= 6);

        // Stopped: the writer makes no progress while the compaction stays blocked.
        Thread.Sleep(200); // lets a write group that passed the check before the stop finish
        int before = Volatile.Read(ref written);
        Thread.Sleep(300);
        Assert.Equal(before, Volatile.Read(ref written));
        Assert.Equal(1, Property(db, "rocksdb.is-write-stopped"));
        Assert.True(before < Keys, "the writer finished although writes were stopped");
        Assert.True(Property(db, "lsm.stall-stops") >= 1);
        Assert.True(Property(db, "lsm.stall-delays") >= 1);

        filter.Release();
        Assert.True(writer.Join(Patience), "the writer did not finish after compactions resumed");
        Assert.Equal(Keys, Volatile.Read(ref written));
        Assert.True(Finishes(db.WaitForCompactions), "compactions did not settle");
        Assert.Equal(0, Property(db, "rocksdb.is-write-stopped"));
        Assert.True(Property(db, "lsm.stall-micros") >= 500_000, "the stall time misses the half second the writer was stopped");
        Assert.Contains("Cumulative stall:", db.GetProperty("rocksdb.stats"), StringComparison.Ordinal);
        for (int i = 0; i < Keys; i++)
        {
            Assert.Equal(Value(i), db.Get(Key(i)));
        }
    }

    [Fact]
    public void Dispose_WriterStopped_WriterFailsAndDisposeReturns()
    {
        var fs = new InMemoryFileSystem();
        using var filter = new BlockingFilter();
        LsmDb db = LsmDb.Open("/db", Options(fs, filter));
        Exception? writerError = null;
        var writer = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 1_000_003; i++)
                {
                    int k = Permuted(i, 1_000_003);
                    db.Put(Key(k), Value(k));
                }
            }
            catch (Exception e)
            {
                writerError = e;
            }
        })
        { IsBackground = true, Name = "stall-test-writer" };
        writer.Start();
        Await(() => Property(db, "rocksdb.is-write-stopped") == 1, "writes are stopped");

        // The compaction thread is inside the filter: Dispose must first release the stalled writer.
        var disposer = new Thread(db.Dispose) { IsBackground = true, Name = "stall-test-dispose" };
        disposer.Start();
        Assert.True(writer.Join(Patience), "the stalled writer was not released by Dispose");
        Assert.True(writerError is ObjectDisposedException or IOException, $"unexpected writer error: {writerError}");
        filter.Release();
        Assert.True(disposer.Join(Patience), "Dispose did not return");

        // Nothing acknowledged was lost, and the database opens again.
        using LsmDb reopened = LsmDb.Open("/db", Options(fs, filter));
        Assert.Equal(Value(Permuted(0, 1_000_003)), reopened.Get(Key(Permuted(0, 1_000_003))));
        Assert.Equal(Value(Permuted(1, 1_000_003)), reopened.Get(Key(Permuted(1, 1_000_003))));
    }

    /// <summary>Blocks every compaction inside its first filter call until released.</summary>
    private sealed class BlockingFilter : CompactionFilter, IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);

        public ManualResetEventSlim Entered { get; } = new(false);

        public override string Name => "BlockingFilter";

        public void Release() => _gate.Set();

        public override CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue)
        {
            newValue = null;
            Entered.Set();
            if (!_gate.Wait(Patience))
            {
                throw new TimeoutException("the test never released the compaction filter");
            }

            return CompactionDecision.Keep;
        }

        public void Dispose()
        {
            _gate.Set(); // never leave a compaction thread blocked behind a failed test
            _gate.Dispose();
            Entered.Dispose();
        }
    }
}
