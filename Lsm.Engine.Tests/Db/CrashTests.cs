using System.Diagnostics;
using Lsm.Engine.IO;
using Xunit.Abstractions;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Crash consistency through the IO seam: random batches (some synced) on an <see cref="InMemoryFileSystem"/>, crash
/// images taken at random moments and at every file-system call of a flush and of a recovery, each image reopened and
/// checked by <see cref="CrashHarness"/>: no error on open, every synced write present, and the state that of a prefix
/// of the acknowledged writes (no holes, no resurrected deletes).
/// </summary>
/// <remarks>
/// The default run takes a few hundred crash points in well under a minute on two cores; <c>LSM_LONG_TESTS=1</c> takes
/// thousands. Each test prints its counts of crash points by kind and its duration.
/// </remarks>
public sealed class CrashTests(ITestOutputHelper output)
{
    private static readonly CrashMode[] BothModes = [CrashMode.DropUnsynced, CrashMode.TornTail];

    private static bool LongRun => Environment.GetEnvironmentVariable("LSM_LONG_TESTS") == "1";

    [Fact]
    public void RandomCrashes_RecoverAPrefixThatKeepsEverySyncedWrite()
    {
        int seeds = LongRun ? 40 : 4;
        int generations = LongRun ? 12 : 7;
        var stopwatch = Stopwatch.StartNew();
        var categories = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int images = 0;
        int cleanCloses = 0;
        int continued = 0;
        for (int seed = 1; seed <= seeds; seed++)
        {
            // Half the seeds run two flush threads, so that both families flush at once.
            var harness = new CrashHarness(seed, maxBackgroundFlushes: 1 + (seed % 2));
            var random = new Random(seed);
            for (int generation = 0; generation < generations; generation++)
            {
                try
                {
                    int ruleSeed = (seed * 1000) + generation;
                    harness.Open(fs => harness.AddRandomCaptureRules(fs, ruleSeed));
                    harness.WriteRandom(300, syncProbability: 0.15, imageProbability: 0.012, flushProbability: 0.01);
                    harness.Close();

                    // One of the images is the crash that happened; the others are crashes that could have.
                    List<CrashImage> taken = harness.TakeImages();
                    CrashImage? crash = random.Next(8) == 0 ? null : harness.PickAndRemove(taken);
                    cleanCloses += crash is null ? 1 : 0;
                    continued += crash is null ? 0 : 1;
                    harness.Verify(taken);
                    harness.CrashTo(crash);
                }
                catch (Exception e) when (e is not CrashCheckException)
                {
                    throw new CrashCheckException($"seed {seed}, generation {generation}: {e.GetType().Name}: {e.Message}", e);
                }
            }

            harness.Open();
            harness.Close();
            images += harness.ImagesVerified;
            Merge(categories, harness.Categories);
        }

        Report("random crashes", images + continued, stopwatch, categories, $"{seeds} seeds x {generations} generations, {continued} runs continued from a crash, {cleanCloses} from a clean close");
        Assert.Contains(categories.Keys, k => k.StartsWith("between writes", StringComparison.Ordinal));
        Assert.Contains(categories.Keys, k => k.Contains("SST", StringComparison.Ordinal));
        Assert.Contains(categories.Keys, k => k.Contains("MANIFEST", StringComparison.Ordinal));
        Assert.Contains(categories.Keys, k => k.StartsWith("Rename", StringComparison.Ordinal));
        Assert.Contains(categories.Keys, k => k.EndsWith("(open)", StringComparison.Ordinal));
    }

    /// <summary>
    /// A crash before each file-system call (a sample of the table appends) of two flushes (switching the log, writing and syncing the table, syncing
    /// the directory, the MANIFEST record and its sync, deleting the old log) and of the writes right after, each in
    /// both crash modes. Writes are unsynced and synced, so the flushed memtable holds both.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CrashAtEveryCallOfAFlush_RecoversAPrefixThatKeepsEverySyncedWrite(int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        var harness = new CrashHarness(seed, writeBufferSize: 1024 * 1024);
        harness.Open();
        harness.WriteRandom(200, syncProbability: seed == 2 ? 0 : 0.2);
        harness.AddEveryCallRules(harness.Faulty, BothModes);
        harness.Flush(seed % 2);
        harness.Flush(1 - (seed % 2));
        harness.WriteRandom(3, syncProbability: 0.5);
        harness.Faulty.ClearRules();
        harness.Close();
        List<CrashImage> images = harness.TakeImages();
        harness.Verify(images);
        Report($"every call of a flush (seed {seed})", images.Count, stopwatch, harness.Categories);
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Sync SST", StringComparison.Ordinal));
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Sync MANIFEST", StringComparison.Ordinal));
    }

    /// <summary>
    /// A crash before each file-system call (a sample of the table appends) of a recovery (reading CURRENT, the MANIFEST and the logs, writing the
    /// replayed memtables to tables, the new MANIFEST, CURRENT's temporary file, its rename and the directory sync,
    /// deleting the old logs), each in both modes: a second recovery must find exactly what the first one recovered.
    /// Then, for some of those images, a crash at each call of their own recovery.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void CrashAtEveryCallOfARecovery_LosesNothingTheRecoveryFound(int seed, bool tornTail)
    {
        CrashMode mode = tornTail ? CrashMode.TornTail : CrashMode.DropUnsynced;
        var stopwatch = Stopwatch.StartNew();
        var harness = new CrashHarness(seed);
        var random = new Random(seed);
        harness.Open();
        harness.WriteRandom(400, syncProbability: 0.2);
        harness.Capture("after writes", mode);
        harness.Close();
        harness.CrashTo(harness.TakeImages().Single());

        int total = 0;
        for (int depth = 0; depth < 3; depth++)
        {
            harness.Open(fs => harness.AddEveryCallRules(fs, BothModes));
            harness.Close();
            List<CrashImage> images = harness.TakeImages();
            total += images.Count;
            CrashImage next = images[random.Next(images.Count)];
            images.Remove(next);
            harness.Verify(images);
            harness.CrashTo(next);
        }

        harness.Open();
        harness.Close();
        Report($"every call of a recovery (seed {seed}, {mode})", total, stopwatch, harness.Categories);
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Rename dbtmp", StringComparison.Ordinal));
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Append MANIFEST", StringComparison.Ordinal));
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Delete WAL", StringComparison.Ordinal));
    }

    /// <summary>A crash before each call of the very first open (directory, IDENTITY, MANIFEST-000001, CURRENT, the second family): the next open creates or finishes the database, empty.</summary>
    [Fact]
    public void CrashAtEveryCallOfCreation_NextOpenGivesTheEmptyDatabase()
    {
        var stopwatch = Stopwatch.StartNew();
        var harness = new CrashHarness(7);
        harness.Open(fs => harness.AddEveryCallRules(fs, BothModes));
        harness.WriteRandom(20, syncProbability: 1);
        harness.Close();
        List<CrashImage> images = harness.TakeImages();
        harness.Verify(images);
        Report("every call of creation", images.Count, stopwatch, harness.Categories);
        Assert.Contains(harness.Categories.Keys, k => k.StartsWith("Rename dbtmp", StringComparison.Ordinal));
    }

    /// <summary>
    /// Four threads write at once (group commit: one log record and at most one sync per group), each to keys of its
    /// own, some writes synced; crash images are taken at random calls from whichever thread makes them. In each image,
    /// each writer's keys must hold the state after a prefix of that writer's writes that keeps its synced ones.
    /// </summary>
    [Fact]
    public void ConcurrentWriters_CrashAtRandomCalls_EachWriterKeepsAPrefixWithItsSyncedWrites()
    {
        const int writers = 4;
        int perWriter = LongRun ? 3000 : 400;
        var stopwatch = Stopwatch.StartNew();
        var histories = new List<IReadOnlyList<ModelEntry>>[writers];
        var syncs = new bool[writers][];
        for (int t = 0; t < writers; t++)
        {
            var random = new Random(100 + t);
            histories[t] = [];
            syncs[t] = new bool[perWriter];
            for (int i = 0; i < perWriter; i++)
            {
                string key = $"w{t}-{random.Next(60):D3}";
                int cf = random.Next(4) == 0 ? 1 : 0;
                histories[t].Add(random.Next(10) switch
                {
                    < 6 => [ModelEntry.Put(cf, key, System.Text.Encoding.ASCII.GetBytes($"w{t}:{i}:{new string('x', random.Next(10, 120))}"))],
                    < 8 => [ModelEntry.Delete(cf, key)],
                    _ => [ModelEntry.Merge(cf, key, (ulong)random.Next(1, 50)), ModelEntry.Put(1 - cf, key, System.Text.Encoding.ASCII.GetBytes($"w{t}:{i}"))],
                });
                syncs[t][i] = random.Next(5) == 0;
            }
        }

        var disk = new InMemoryFileSystem();
        var faulty = new FaultInjectingFileSystem(disk);
        int[] issued = new int[writers];
        int[] durable = new int[writers];
        var images = new System.Collections.Concurrent.ConcurrentQueue<(InMemoryFileSystem Disk, int[] Lo, int[] Hi, string Where)>();
        int taken = 0;
        faulty.AddRule(new FileSystemFault
        {
            Kind = FaultKind.None,
            Trigger = FaultTrigger.WithProbability(0.015),
            Seed = 5,
            OnFire = (op, path) =>
            {
                if (!CrashHarness.Mutates(op))
                {
                    return;
                }

                int[] lo = [.. durable.Select((_, t) => Volatile.Read(ref durable[t]))];
                InMemoryFileSystem image = disk.CrashClone(Interlocked.Increment(ref taken) % 2 == 0 ? InMemoryCrashOptions.DropUnsynced : InMemoryCrashOptions.TornTail(taken));
                int[] hi = [.. issued.Select((_, t) => Volatile.Read(ref issued[t]))];
                images.Enqueue((image, lo, hi, $"{op} {CrashHarness.FileKind(path)}"));
            },
        });

        using (LsmDb db = LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(faulty, 16 * 1024)))
        {
            ColumnFamilyHandle[] handles = ModelDatabase.Handles(db);
            var threads = new Thread[writers];
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            for (int t = 0; t < writers; t++)
            {
                int writer = t;
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < perWriter; i++)
                        {
                            Volatile.Write(ref issued[writer], i + 1);
                            db.Write(ModelDatabase.ToWriteBatch(histories[writer][i], handles), syncs[writer][i] ? new WriteOptions { Sync = true } : null);
                            if (syncs[writer][i])
                            {
                                Volatile.Write(ref durable[writer], i + 1);
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        errors.Enqueue(e);
                    }
                })
                { IsBackground = true };
                threads[t].Start();
            }

            foreach (Thread thread in threads)
            {
                Assert.True(thread.Join(TimeSpan.FromMinutes(2)), "a writer hung");
            }

            Assert.Empty(errors);
        }

        foreach ((InMemoryFileSystem image, int[] lo, int[] hi, string where) in images)
        {
            using LsmDb db = LsmDb.Open(CrashHarness.DbPath, CrashHarness.Options(image.CrashClone(), 16 * 1024));
            ModelDatabase actual = ModelDatabase.Read(db);
            for (int t = 0; t < writers; t++)
            {
                string prefix = $"w{t}-";
                ModelDatabase mine = actual.Where(key => key.AsSpan().StartsWith(System.Text.Encoding.ASCII.GetBytes(prefix)));
                int k = ModelDatabase.FindPrefix(new ModelDatabase(), 0, histories[t], lo[t], hi[t], mine);
                if (k < 0)
                {
                    (int closest, int differences) = ModelDatabase.ClosestPrefix(new ModelDatabase(), 0, histories[t], hi[t], mine);
                    Assert.Fail($"crash at '{where}': writer {t} holds no prefix of its writes in [{lo[t]}, {hi[t]}] (closest: {closest}, {differences} keys differ)\n{image.Describe()}");
                }
            }
        }

        output.WriteLine($"concurrent writers: {images.Count} crash points verified in {stopwatch.Elapsed.TotalSeconds:F1} s ({writers} writers x {perWriter} batches)");
        Assert.True(images.Count >= 10, $"only {images.Count} crash images were taken");
    }

    private void Report(string what, int images, Stopwatch stopwatch, SortedDictionary<string, int> categories, string? extra = null)
    {
        output.WriteLine($"{what}: {images} crash points verified in {stopwatch.Elapsed.TotalSeconds:F1} s{(extra is null ? "" : "; " + extra)}");
        foreach ((string category, int count) in categories)
        {
            output.WriteLine($"  {count,5}  {category}");
        }
    }

    private static void Merge(SortedDictionary<string, int> into, SortedDictionary<string, int> from)
    {
        foreach ((string key, int count) in from)
        {
            into[key] = into.GetValueOrDefault(key) + count;
        }
    }
}
