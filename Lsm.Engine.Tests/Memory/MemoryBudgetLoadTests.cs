using System.Diagnostics;
using Lsm.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Lsm.Engine.Tests.Memory;

/// <summary>
/// The budget test: two databases of two families each share one <see cref="MemoryBudget"/> of 16 MiB and
/// take 64 MiB of data (four times the budget) in a write-heavy phase (writes with some reads), then serve a
/// read-heavy phase (random point reads and short scans). A sampler thread records, every millisecond, the native
/// memory both hold: the cache's slabs (<see cref="BlockCacheStatistics.NativeBytes"/>) plus the memtables' arena
/// chunks (<see cref="WriteBufferManager.MemoryUsage"/>).
/// </summary>
/// <remarks>
/// <para><b>Stated overhead: a quarter of the budget.</b> Measured: the peak native memory was 1.06 to 1.11 times the
/// budget (at most 1.9 MB over 16 MiB). The excess is slab fragmentation: when the memtables grow,
/// their reservation evicts cached blocks, but the freed chunks stay in partly used slabs (a slab goes back only when
/// empty) until later inserts of the same size class reuse them, so for a while the cache's native memory and the
/// memtables' both count. The bound, <see cref="StatedOverhead"/> over the budget, is that measurement with room for
/// this machine's variance; docs/memory.md records the figures.</para>
/// </remarks>
public sealed class MemoryBudgetLoadTests(ITestOutputHelper output)
{
    private const long MiB = 1 << 20;
    private const long Budget = 16 * MiB;

    /// <summary>What native memory may exceed the budget by: a quarter of it (measured: at most 11%).</summary>
    private const long StatedOverhead = Budget / 4;
    private const int ValueSize = 1024;
    private const int KeysPerFamily = 16 * 1024; // 4 families × 16 Ki × 1 KiB = 64 MiB: four times the budget

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    private static byte[] ValueOf(int i, int family)
    {
        byte[] value = new byte[ValueSize];
        new Random((i * 4) + family).NextBytes(value); // incompressible: the tables are as large as the data
        return value;
    }

    [Fact]
    public void LoadBeyondTheBudget_NativeMemoryStaysWithinIt()
    {
        using var dir = new TempDirectory();
        using var budget = new MemoryBudget(new MemoryBudgetOptions { TotalBytes = Budget });
        var options = budget.ApplyToShared(new DbOptions
        {
            CreateIfMissing = true,
            CreateMissingColumnFamilies = true,
            ColumnFamilies = new Dictionary<string, ColumnFamilyOptions> { ["second"] = new() },
        }, columnFamilies: 4); // two databases of two families share the budget
        using var sampler = new Sampler(budget);
        var dbs = new[] { LsmDb.Open(dir.File("a"), options), LsmDb.Open(dir.File("b"), options) };
        try
        {
            var families = dbs.SelectMany(db => new[] { (Db: db, Cf: db.DefaultColumnFamily), (Db: db, Cf: db.GetColumnFamily("second")!) }).ToArray();
            var random = new Random(6);
            long reads = 0;

            // Write-heavy: every family gets its keys in random order; one read of a written key per four writes.
            int[] order = Enumerable.Range(0, KeysPerFamily).OrderBy(_ => random.Next()).ToArray();
            for (int n = 0; n < order.Length; n++)
            {
                for (int f = 0; f < families.Length; f++)
                {
                    families[f].Db.Put(families[f].Cf, Key(order[n]), ValueOf(order[n], f));
                }

                if (n % 4 == 3)
                {
                    int f = random.Next(families.Length);
                    int k = order[random.Next(n + 1)];
                    Assert.Equal(ValueOf(k, f), families[f].Db.Get(families[f].Cf, Key(k)));
                    reads++;
                }
            }

            (long Native, long Memtables, long Cache) afterWrites = sampler.Peak;

            // Read-heavy: random point reads over everything, and a short scan every hundred reads.
            for (int n = 0; n < 4 * KeysPerFamily; n++)
            {
                int f = random.Next(families.Length);
                int k = random.Next(KeysPerFamily);
                Assert.Equal(ValueOf(k, f), families[f].Db.Get(families[f].Cf, Key(k)));
                reads++;
                if (n % 100 == 0)
                {
                    using LsmIterator it = families[f].Db.NewIterator(families[f].Cf);
                    int seen = 0;
                    for (it.Seek(Key(k)); it.Valid && seen < 20; it.Next())
                    {
                        seen++;
                    }
                }
            }

            sampler.Stop();
            BlockCacheStatistics cache = budget.BlockCache.GetStatistics();
            string report =
                $"budget {Budget}: cache capacity {budget.BlockCache.Capacity}, write buffer manager {budget.WriteBufferManager.BufferSize}; " +
                $"peak native {sampler.Peak.Native} (memtables {sampler.Peak.Memtables} + cache slabs {sampler.Peak.Cache}) over {sampler.Samples} samples; " +
                $"after the write phase {afterWrites.Native}; overhead over the budget {sampler.Peak.Native - Budget}; " +
                $"peak memtables {sampler.PeakMemtables}, peak cache usage {sampler.PeakCacheUsage}; " +
                $"cache: {cache.Hits} hits, {cache.Misses} misses, {cache.Evictions} evictions, {cache.ReservedBytes} reserved at the end; " +
                $"early flushes {dbs.Sum(db => db.WriteBufferManagerFlushes)}; {reads} reads";
            output.WriteLine(report);

            Assert.True(cache.Hits > 0 && cache.Evictions > 0, report); // the cache was used, and was full
            // No early-flush assertion: write buffers sized for N_cf = 4 fill the manager's budget only together, so
            // memtables usually flush by size first (WriteBufferManagerDbTests covers the early flush).
            Assert.True(sampler.Peak.Native <= Budget + StatedOverhead, report);
            Assert.True(sampler.PeakMemtables <= budget.WriteBufferManager.BufferSize * 3 / 2, report); // Flink's 1.5 × W
        }
        finally
        {
            foreach (LsmDb db in dbs)
            {
                db.Dispose();
            }
        }

        Assert.Equal(0, budget.WriteBufferManager.MemoryUsage);
        Assert.Equal(0, budget.WriteBufferManager.CacheReservedBytes);
    }

    /// <summary>Samples the native memory of a budget every millisecond on its own thread, keeping the peaks.</summary>
    private sealed class Sampler : IDisposable
    {
        private readonly MemoryBudget _budget;
        private readonly Thread _thread;
        private volatile bool _stop;

        public Sampler(MemoryBudget budget)
        {
            _budget = budget;
            _thread = new Thread(Run) { IsBackground = true, Name = "budget-sampler" };
            _thread.Start();
        }

        public (long Native, long Memtables, long Cache) Peak { get; private set; }

        public long PeakMemtables { get; private set; }

        public long PeakCacheUsage { get; private set; }

        public long Samples { get; private set; }

        public void Stop()
        {
            _stop = true;
            Assert.True(_thread.Join(TimeSpan.FromSeconds(30)), "the sampler did not stop");
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(TimeSpan.FromSeconds(30));
        }

        private void Run()
        {
            var clock = Stopwatch.StartNew();
            while (!_stop)
            {
                long memtables = _budget.WriteBufferManager.MemoryUsage;
                BlockCacheStatistics cache = _budget.BlockCache.GetStatistics();
                long native = memtables + cache.NativeBytes;
                if (native > Peak.Native)
                {
                    Peak = (native, memtables, cache.NativeBytes);
                }

                PeakMemtables = Math.Max(PeakMemtables, memtables);
                PeakCacheUsage = Math.Max(PeakCacheUsage, cache.Usage);
                Samples++;
                Thread.Sleep(1);
            }
        }
    }
}
