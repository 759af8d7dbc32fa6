using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using static System.FormattableString;

namespace Lsm.Engine.Bench.Db;

/// <summary>
/// The <c>db</c> command: db_bench-style workloads on a whole database (ours, RocksDB through its .NET binding,
/// or both with ratios), or the writer scaling mode. See <see cref="DbBenchOptions.Usage"/>.
/// </summary>
internal static class DbBench
{
    private static readonly TimeSpan BackgroundTimeout = TimeSpan.FromMinutes(3);

    public static int Run(ReadOnlySpan<string> args)
    {
        if (args.Length == 1 && args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(DbBenchOptions.Usage);
            return 0;
        }

        string commandLine = string.Join(' ', args.ToArray());
        DbBenchOptions? options = DbBenchOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine("db: " + error);
            Console.Error.WriteLine(DbBenchOptions.Usage);
            return 2;
        }

        List<string>? engines = ResolveEngines(options);
        if (engines is null)
        {
            return 2;
        }

        bool temporary = options.Directory is null;
        string root = options.Directory ?? Path.Combine(Path.GetTempPath(), "lsm-dbbench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var total = Stopwatch.StartNew();
        try
        {
            PrintHeader(options, engines, root, temporary, args.IsEmpty);
            var values = new BenchValues(options.ValueSize);
            var results = new List<WorkloadResult>();
            foreach (string engine in engines)
            {
                if (options.Warmup)
                {
                    var warm = Stopwatch.StartNew();
                    string warmPath = Path.Combine(root, "warmup");
                    if (options.Scaling)
                    {
                        RunScaling(engine, Path.Combine(warmPath, engine), WarmupOptions(options), values, report: false);
                    }
                    else
                    {
                        RunSuite(engine, Path.Combine(warmPath, engine), WarmupOptions(options), values, report: false);
                    }

                    Directory.Delete(warmPath, recursive: true);
                    Thread.Sleep(200); // lets the background JIT finish promoting the hot methods
                    Console.WriteLine(Invariant($"[{engine}: warm-up round done in {warm.Elapsed.TotalSeconds:0.0} s, not reported]"));
                }

                string path = Path.Combine(root, engine);
                results.AddRange(options.Scaling
                    ? RunScaling(engine, path, options, values, report: true)
                    : RunSuite(engine, path, options, values, report: true));
            }

            Console.WriteLine();
            if (options.Scaling)
            {
                PrintScaling(results, engines);
            }
            else
            {
                PrintTable(results);
                PrintAmplification(results);
                if (results.Any(r => r.Cache is not null))
                {
                    PrintCache(results);
                }

                if (engines.Count > 1)
                {
                    PrintComparison(results);
                }
            }

            long errors = results.Sum(r => r.Errors);
            if (options.JsonPath is string json)
            {
                DbBenchJson.Write(json, commandLine, options, results);
                Console.WriteLine(Invariant($"Wrote {json}"));
            }

            Console.WriteLine(Invariant($"Total time {total.Elapsed.TotalSeconds:0.0} s{(errors == 0 ? "" : $"; {errors} READ ERRORS (wrong values, order, or absent keys found)")}"));
            return errors == 0 ? 0 : 1;
        }
        finally
        {
            if (temporary)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException e)
                {
                    Console.Error.WriteLine($"could not remove {root}: {e.Message}");
                }
            }
        }
    }

    private static List<string>? ResolveEngines(DbBenchOptions options)
    {
        if (options.Engine == EngineChoice.Lsm)
        {
            return ["lsm"];
        }

        if (!RocksDbBenchEngine.TryLoad(out string? why))
        {
            if (options.Engine == EngineChoice.Auto)
            {
                Console.WriteLine($"[RocksDB native library did not load ({why}); measuring our engine only]");
                return ["lsm"];
            }

            Console.Error.WriteLine($"db: the RocksDB native library did not load: {why}");
            return null;
        }

        return options.Engine == EngineChoice.RocksDb ? ["rocksdb"] : ["lsm", "rocksdb"];
    }

    /// <summary>The warm-up round: the same workloads on few keys, with a 1 MiB write buffer so flushes and table reads run too.</summary>
    private static DbBenchOptions WarmupOptions(DbBenchOptions options) => options with
    {
        // Enough writes that the write path's methods reach tier-1 JIT code (call counting starts after a
        // 100 ms delay) before the measured round; with fewer, its first second ran instrumented code.
        // Reads likewise: 10,000 left the first measured read round of a large database a fifth slower than the
        // next ones (its lookups still ran instrumented code), and a 1 MiB cache makes the warm-up's reads miss and
        // evict as a cache smaller than the data does.
        Num = Math.Min(options.Num, 100_000),
        ReadsOverride = Math.Min(options.Reads, 200_000),
        CacheMb = Math.Min(options.CacheMb, 1),
        SyncNum = Math.Min(options.SyncNum, 500),
        WriteBufferMb = 1,

        // A warm-up of an existing database fills its own first, so that its reads go to tables too.
        UseExistingDb = false,
        Benchmarks = options.UseExistingDb ? ["fillrandom", .. options.Benchmarks.Where(b => b is not ("fillseq" or "fillrandom"))] : options.Benchmarks,
    };

    /// <summary>
    /// Reads every file of an existing database once, so that its first read workload measures the engine rather
    /// than the operating system filling its page cache: on the shared build machine the page cache keeps about a
    /// gigabyte and drops one engine's tables while the other runs, and a cold first run of 5,000,000 keys spent
    /// half its time blocked in reads. Both engines get the same.
    /// </summary>
    private static void WarmPageCache(string path)
    {
        if (!Directory.Exists(path))
        {
            return;
        }

        byte[] buffer = new byte[1 << 20];
        foreach (string file in Directory.EnumerateFiles(path))
        {
            using FileStream stream = File.OpenRead(file);
            while (stream.Read(buffer) > 0)
            {
            }
        }
    }

    private static IBenchEngine CreateEngine(string engine, string path, DbBenchOptions options) =>
        engine == "lsm" ? new LsmBenchEngine(path, options) : CreateRocksDb(path, options);

    // Separate so that the RocksDB binding's types load only when RocksDB is used.
    private static RocksDbBenchEngine CreateRocksDb(string path, DbBenchOptions options) => new(path, options);

    private static List<WorkloadResult> RunSuite(string engineName, string path, DbBenchOptions options, BenchValues values, bool report)
    {
        var results = new List<WorkloadResult>();
        if (options.UseExistingDb)
        {
            WarmPageCache(path);
        }

        using IBenchEngine engine = CreateEngine(engineName, path, options);
        if (report)
        {
            Console.WriteLine();
            PrintRowHeader();
        }

        for (int ordinal = 0; ordinal < options.Benchmarks.Length; ordinal++)
        {
            string benchmark = options.Benchmarks[ordinal];
            if (options.UseExistingDb && benchmark is "fillseq" or "fillrandom")
            {
                if (report)
                {
                    Console.WriteLine($"{engine.Name,-8}{benchmark,-18} skipped: --use-existing-db");
                }

                continue;
            }

            double reopenMillis = 0;
            long ops = options.Reads;
            WorkloadKind kind;
            switch (benchmark)
            {
                case "fillseq":
                    engine.OpenFresh();
                    kind = WorkloadKind.FillSeq;
                    ops = options.Num;
                    break;
                case "fillrandom":
                    engine.OpenFresh();
                    kind = WorkloadKind.FillRandom;
                    ops = options.Num;
                    break;
                case "overwrite":
                    engine.EnsureOpen();
                    kind = WorkloadKind.FillRandom;
                    ops = options.Num;
                    break;
                case "readrandom" or "readrandom-reopen":
                    if (benchmark == "readrandom-reopen")
                    {
                        reopenMillis = Reopen(engine);
                    }

                    engine.EnsureOpen();
                    kind = WorkloadKind.ReadRandom;
                    break;
                case "readmissing":
                    engine.EnsureOpen();
                    kind = WorkloadKind.ReadMissing;
                    break;
                case "seekrandom":
                    engine.EnsureOpen();
                    kind = WorkloadKind.SeekRandom;
                    break;
                case "readseq":
                    engine.EnsureOpen();
                    kind = WorkloadKind.ReadSeq;
                    break;
                case "reopen":
                    reopenMillis = Reopen(engine);
                    if (report)
                    {
                        Console.WriteLine(Invariant($"{engine.Name,-8}{"reopen",-18} flush + close + open in {reopenMillis:0} ms: {engine.State()}"));
                    }

                    continue;
                default:
                    throw new InvalidOperationException("unknown benchmark " + benchmark);
            }

            if (!engine.WaitForBackgroundWork(BackgroundTimeout))
            {
                Console.WriteLine($"[{engine.Name}: background work still running after {BackgroundTimeout.TotalMinutes} min; measuring anyway]");
            }

            EngineState before = engine.State();
            EngineCounters countersBefore = engine.Counters();
            Quiesce();
            WorkloadResult result = WorkloadRunner.Run(
                engine, benchmark, kind, options.Num, ops, options.Threads, options.Sync, options, values, before, reopenMillis, ordinal);

            // The workload's flushes and compactions finish before its amplification is read: they are its cost.
            if (!engine.WaitForBackgroundWork(BackgroundTimeout))
            {
                Console.WriteLine($"[{engine.Name}: background work still running after {BackgroundTimeout.TotalMinutes} min; amplification read anyway]");
            }

            EngineCounters countersAfter = engine.Counters();
            bool reads = kind is not (WorkloadKind.FillSeq or WorkloadKind.FillRandom);
            result = result with
            {
                Amplification = Amplification.Between(countersBefore, countersAfter),
                Cache = reads ? CacheFigures.Between(countersBefore, countersAfter) : null,
                Distribution = kind is WorkloadKind.ReadRandom or WorkloadKind.ReadMissing or WorkloadKind.SeekRandom ? options.Distribution : null,
            };
            results.Add(result);
            if (report)
            {
                PrintRow(result);
            }
        }

        return results;
    }

    private static List<WorkloadResult> RunScaling(string engineName, string path, DbBenchOptions options, BenchValues values, bool report)
    {
        var results = new List<WorkloadResult>();
        using IBenchEngine engine = CreateEngine(engineName, path, options);
        if (report)
        {
            Console.WriteLine();
            PrintRowHeader();
        }

        foreach (bool sync in (bool[])[false, true])
        {
            foreach (int threads in options.ScalingThreads)
            {
                long ops = sync ? options.SyncNum : options.Num;
                engine.OpenFresh();
                EngineState before = engine.State();
                Quiesce();
                WorkloadResult result = WorkloadRunner.Run(
                    engine, sync ? "fillrandom-sync" : "fillrandom", WorkloadKind.FillRandom, ops, ops, threads, sync, options, values, before, 0, threads);
                results.Add(result);
                if (report)
                {
                    PrintRow(result);
                }

                engine.WaitForBackgroundWork(BackgroundTimeout);
            }
        }

        return results;
    }

    private static double Reopen(IBenchEngine engine)
    {
        engine.WaitForBackgroundWork(BackgroundTimeout);
        long start = Stopwatch.GetTimestamp();
        engine.Reopen();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>Collects the previous workload's garbage so that the GC counts of the next are its own.</summary>
    private static void Quiesce()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static void PrintHeader(DbBenchOptions o, List<string> engines, string root, bool temporary, bool noArguments)
    {
        Console.WriteLine(noArguments
            ? "Lsm.Engine.Bench db: the short default set (run `db --help` for options; `db --num 1000000 --engine both` for the full size)"
            : "Lsm.Engine.Bench db");
        Console.WriteLine(Invariant(
            $"  engines {string.Join(" + ", engines)}; {(o.Scaling ? $"writer scaling, {o.Num:N0} ops without sync, {o.SyncNum:N0} with sync, threads {string.Join('/', o.ScalingThreads)}" : $"benchmarks {string.Join(',', o.Benchmarks)}")}"));
        Console.WriteLine(Invariant(
            $"  num {o.Num:N0}, reads {o.Reads:N0}, keys {BenchData.KeyLength} B, values {o.ValueSize} B (compressible to ~50%), threads {o.Threads}, write buffer {o.WriteBufferMb} MiB x2, Bloom 10 bits/key, LZ4, 4 KiB blocks, WAL {(o.Sync ? "synced per write group" : "on, not synced")}, compaction {o.Compaction.ToString().ToLowerInvariant()}, write API {o.WriteApi.ToString().ToLowerInvariant()}, seek nexts {o.SeekNexts}"));
        Console.WriteLine(Invariant(
            $"  {(o.MemoryMb > 0 ? $"one memory budget of {o.MemoryMb} MiB per engine (cache, write buffer manager charged to it, index and filter blocks in it); " : "")}block cache {(o.MemoryMb > 0 ? "from the budget" : o.CacheMb > 0 ? $"{o.CacheMb} MiB LRU per engine, index and filter blocks {(o.CacheIndexAndFilter ? "in it (high priority)" : "held by the table readers")}" : "none in either engine")}; read keys {(o.Distribution == KeyDistribution.Zipfian ? $"scrambled zipfian, theta {o.ZipfTheta}" : "uniform")}{(o.UseExistingDb ? "; existing databases (fills skipped; each engine's files read once first, to warm the page cache)" : "")}"));
        if (engines.Contains("rocksdb"))
        {
            Console.WriteLine(Invariant($"  RocksDB {RocksDbBenchEngine.Version()}: statistics on, format 6, XXH3"));
        }

        Console.WriteLine(Invariant(
            $"  {Environment.ProcessorCount} CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC{(GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : " (concurrent)")}"));
        Console.WriteLine(Invariant($"  directory {root}{(temporary ? " (temporary)" : "")}"));
        Console.WriteLine("  latency: per operation, p50/p99/p99.9/max in microseconds; B/op: bytes allocated by the benchmark threads (thr) and by");
        Console.WriteLine("  the whole process incl. background flushes (proc), per operation; gc: gen0/gen1/gen2 collections during the workload.");
    }

    private static void PrintRowHeader() =>
        Console.WriteLine(
            $"{"engine",-8}{"workload",-18}{"thr",4}{"ops",11}{"ops/s",12}{"MB/s",8}{"p50",9}{"p99",9}{"p99.9",9}{"max",10}{"B/op thr",10}{"B/op proc",10}{"gc",10}{"found",8}  before");

    private static void PrintRow(WorkloadResult r)
    {
        string found = r.Found < 0 ? "-" : Invariant($"{100.0 * r.Found / Math.Max(1, r.Ops):0.0}%");
        string before = r.ReopenMillis > 0 ? Invariant($"{r.Before}; reopen {r.ReopenMillis:0} ms") : r.Before.ToString();
        string workload = DisplayName(r);
        Console.WriteLine(Invariant(
            $"{r.Engine,-8}{workload,-18}{r.Threads,4}{r.Ops,11:N0}{r.OpsPerSecond,12:N0}{r.MegabytesPerSecond,8:0.0}{r.P50Micros,9:0.00}{r.P99Micros,9:0.00}{r.P999Micros,9:0.0}{r.MaxMicros,10:0}{r.AllocatedBytesPerOp,10:0}{r.ProcessAllocatedBytesPerOp,10:0}{$"{r.Gen0}/{r.Gen1}/{r.Gen2}",10}{found,8}  {before}"));
        if (r.Errors > 0)
        {
            Console.WriteLine(Invariant($"        ^ {r.Errors:N0} READ ERRORS"));
        }
    }

    private static void PrintTable(List<WorkloadResult> results)
    {
        Console.WriteLine("Results");
        PrintRowHeader();
        foreach (WorkloadResult r in results)
        {
            PrintRow(r);
        }

        Console.WriteLine();
    }

    /// <summary>Stall time and write, space and read amplification per workload (n/a: nothing to measure).</summary>
    private static void PrintAmplification(List<WorkloadResult> results)
    {
        Console.WriteLine("Stalls and amplification (each workload's own flushes and compactions, waited for after it; space: once they finished)");
        Console.WriteLine($"{"engine",-8}{"workload",-18}{"ops/s",12}{"stall s",9}{"write-amp",11}{"+WAL",7}{"space-amp",11}{"read-amp",10}");
        foreach (WorkloadResult r in results)
        {
            if (r.Amplification is Amplification a)
            {
                Console.WriteLine(Invariant(
                    $"{r.Engine,-8}{DisplayName(r),-18}{r.OpsPerSecond,12:N0}{a.StallSeconds,9:0.00}{Amplification.Format(a.WriteAmplification),11}{Amplification.Format(a.WriteAmplificationWithWal),7}{Amplification.Format(a.SpaceAmplification),11}{Amplification.Format(a.ReadAmplification),10}"));
            }
        }

        Console.WriteLine("read-amp: tables consulted per Get (RocksDB: full-filter probes per key read)");
        Console.WriteLine();
    }

    /// <summary>The block cache during each read workload, with what the workload allocated and collected.</summary>
    private static void PrintCache(List<WorkloadResult> results)
    {
        Console.WriteLine("Block cache (hit ratio = hits / lookups during the workload: all blocks, data, index, filter; usage at its end)");
        Console.WriteLine(
            $"{"engine",-8}{"workload",-18}{"keys",-9}{"ops/s",12}{"hit",8}{"data",8}{"index",8}{"filter",8}{"usage MiB",11}{"B/op thr",10}{"B/op proc",10}{"gc",10}");
        foreach (WorkloadResult r in results)
        {
            if (r.Cache is CacheFigures c)
            {
                Console.WriteLine(Invariant(
                    $"{r.Engine,-8}{DisplayName(r),-18}{r.Distribution?.ToString().ToLowerInvariant() ?? "-",-9}{r.OpsPerSecond,12:N0}{CacheFigures.Percent(c.HitRatio),8}{CacheFigures.Percent(c.DataHitRatio),8}{CacheFigures.Percent(c.IndexHitRatio),8}{CacheFigures.Percent(c.FilterHitRatio),8}{c.UsageBytes / 1048576.0,11:0.0}{r.AllocatedBytesPerOp,10:0}{r.ProcessAllocatedBytesPerOp,10:0}{$"{r.Gen0}/{r.Gen1}/{r.Gen2}",10}"));
            }
        }

        Console.WriteLine();
    }

    /// <summary>Ours against RocksDB, workload by workload (the n-th run of a name against the n-th).</summary>
    private static void PrintComparison(List<WorkloadResult> results)
    {
        Console.WriteLine("Ours / RocksDB (throughput: above 1 means ours is faster; latency: above 1 means ours is slower)");
        Console.WriteLine(
            $"{"workload",-18}{"lsm ops/s",12}{"rocksdb ops/s",15}{"ops/s ratio",13}{"p50 ratio",11}{"p99 ratio",11}{"lsm B/op",10}{"rocks B/op",12}");
        foreach ((WorkloadResult ours, WorkloadResult theirs) in Pairs(results))
        {
            Console.WriteLine(Invariant(
                $"{DisplayName(ours),-18}{ours.OpsPerSecond,12:N0}{theirs.OpsPerSecond,15:N0}{ours.OpsPerSecond / theirs.OpsPerSecond,13:0.00}{Ratio(ours.P50Micros, theirs.P50Micros),11:0.00}{Ratio(ours.P99Micros, theirs.P99Micros),11:0.00}{ours.AllocatedBytesPerOp,10:0}{theirs.AllocatedBytesPerOp,12:0}"));
        }

        Console.WriteLine();
    }

    private static void PrintScaling(List<WorkloadResult> results, List<string> engines)
    {
        Console.WriteLine("Writer scaling (fillrandom into a new database; scale = ops/s over the same engine's 1-thread ops/s)");
        Console.WriteLine(
            $"{"engine",-8}{"sync",-6}{"thr",4}{"ops",10}{"ops/s",12}{"scale",7}{"p50 us",9}{"p99 us",10}{"B/op thr",10}{"gc",10}");
        foreach (WorkloadResult r in results)
        {
            WorkloadResult? single = results.FirstOrDefault(x => x.Engine == r.Engine && x.Sync == r.Sync && x.Threads == 1);
            string scale = single is null ? "-" : Invariant($"{r.OpsPerSecond / single.OpsPerSecond:0.00}");
            Console.WriteLine(Invariant(
                $"{r.Engine,-8}{(r.Sync ? "on" : "off"),-6}{r.Threads,4}{r.Ops,10:N0}{r.OpsPerSecond,12:N0}{scale,7}{r.P50Micros,9:0.0}{r.P99Micros,10:0.0}{r.AllocatedBytesPerOp,10:0}{$"{r.Gen0}/{r.Gen1}/{r.Gen2}",10}"));
        }

        Console.WriteLine();
        if (engines.Count > 1)
        {
            Console.WriteLine("Ours / RocksDB");
            Console.WriteLine($"{"sync",-6}{"thr",4}{"ops/s ratio",13}{"p50 ratio",11}{"p99 ratio",11}");
            foreach ((WorkloadResult ours, WorkloadResult theirs) in Pairs(results))
            {
                Console.WriteLine(Invariant(
                    $"{(ours.Sync ? "on" : "off"),-6}{ours.Threads,4}{ours.OpsPerSecond / theirs.OpsPerSecond,13:0.00}{Ratio(ours.P50Micros, theirs.P50Micros),11:0.00}{Ratio(ours.P99Micros, theirs.P99Micros),11:0.00}"));
            }

            Console.WriteLine();
        }
    }

    /// <summary>Each result of ours with RocksDB's result of the same workload, threads and sync, in order.</summary>
    internal static IEnumerable<(WorkloadResult Ours, WorkloadResult Theirs)> Pairs(List<WorkloadResult> results)
    {
        List<WorkloadResult> ours = [.. results.Where(r => r.Engine == "lsm")];
        List<WorkloadResult> theirs = [.. results.Where(r => r.Engine == "rocksdb")];
        var used = new bool[theirs.Count];
        foreach (WorkloadResult o in ours)
        {
            for (int i = 0; i < theirs.Count; i++)
            {
                WorkloadResult t = theirs[i];
                if (!used[i] && t.Workload == o.Workload && t.Threads == o.Threads && t.Sync == o.Sync)
                {
                    used[i] = true;
                    yield return (o, t);
                    break;
                }
            }
        }
    }

    private static double Ratio(double a, double b) => b == 0 ? double.NaN : a / b;

    private static string DisplayName(WorkloadResult r) =>
        r.Sync && !r.Workload.EndsWith("-sync", StringComparison.Ordinal) ? r.Workload + "-sync" : r.Workload;
}
