using System.Diagnostics;

namespace Lsm.Engine.Bench.Db;

/// <summary>The kinds of timed loop a workload runs.</summary>
internal enum WorkloadKind
{
    FillSeq,
    FillRandom,
    ReadRandom,
    ReadMissing,
    SeekRandom,
    ReadSeq,
}

/// <summary>What one workload measured.</summary>
internal sealed record WorkloadResult
{
    public required string Engine { get; init; }

    public required string Workload { get; init; }

    public required int Threads { get; init; }

    public required bool Sync { get; init; }

    public required long Ops { get; init; }

    public required double Seconds { get; init; }

    /// <summary>Stall time and amplification, measured once the workload's background work finished; null when not measured.</summary>
    public Amplification? Amplification { get; init; }

    /// <summary>The block cache's hit ratios and usage, for the workloads that read tables; null for the others.</summary>
    public CacheFigures? Cache { get; init; }

    /// <summary>The key distribution of a workload that draws random keys to read; null for fills (uniform) and readseq.</summary>
    public KeyDistribution? Distribution { get; init; }

    public double OpsPerSecond => Ops / Seconds;

    /// <summary>Key and value bytes written or read per second, in MB (10^6).</summary>
    public required double MegabytesPerSecond { get; init; }

    public required double P50Micros { get; init; }

    public required double P99Micros { get; init; }

    public required double P999Micros { get; init; }

    public required double MaxMicros { get; init; }

    /// <summary>Bytes the benchmark threads allocated, per operation (summed over threads).</summary>
    public required double AllocatedBytesPerOp { get; init; }

    /// <summary>Bytes the whole process allocated (background flushes too), per operation.</summary>
    public required double ProcessAllocatedBytesPerOp { get; init; }

    public required int Gen0 { get; init; }

    public required int Gen1 { get; init; }

    public required int Gen2 { get; init; }

    /// <summary>Reads that found their key (seeks: landed on the key sought); -1 for writes.</summary>
    public required long Found { get; init; }

    /// <summary>Reads that returned a wrong value or order.</summary>
    public required long Errors { get; init; }

    /// <summary>The database before the workload.</summary>
    public required EngineState Before { get; init; }

    /// <summary>Milliseconds the flush-close-open before the workload took, or 0.</summary>
    public double ReopenMillis { get; init; }
}

/// <summary>
/// Runs one workload on T threads that split the operations, each with its own session, histogram and key
/// sequence. Latency is one timestamp per operation (the gap since the previous one, so key formatting is
/// included, as in db_bench); nothing in the timed loops allocates.
/// </summary>
internal static class WorkloadRunner
{
    private sealed class Worker
    {
        public required int Index { get; init; }

        public required IBenchSession Session { get; init; }

        public LatencyHistogram Histogram { get; } = new();

        public long Ops;
        public long Found;
        public long Errors;
        public long Bytes;
        public long AllocatedBytes;
        public Exception? Failure;
    }

    private sealed class Job
    {
        public required WorkloadKind Kind { get; init; }

        public required long Num { get; init; }

        public required long Ops { get; init; }

        public required int Threads { get; init; }

        public required int SeekNexts { get; init; }

        public required ulong Seed { get; init; }

        public required BenchValues Values { get; init; }

        /// <summary>The read workloads' zipfian key chooser; null: uniform keys.</summary>
        public required ScrambledZipfian? Zipfian { get; init; }
    }

    public static WorkloadResult Run(
        IBenchEngine engine,
        string name,
        WorkloadKind kind,
        long num,
        long ops,
        int threads,
        bool sync,
        DbBenchOptions options,
        BenchValues values,
        EngineState before,
        double reopenMillis,
        int ordinal)
    {
        // Each benchmark of a run draws its own keys (as db_bench seeds each one differently), the same for every engine;
        // the kind is mixed in too, so that a read run on an existing database (--use-existing-db) does not replay the
        // key sequence of the fill that made it.
        ulong seed = BenchRandom.Mix(BenchRandom.Mix(BenchRandom.Mix(options.Seed) + (ulong)ordinal) + (ulong)kind);
        var job = new Job
        {
            Kind = kind,
            Num = num,
            Ops = ops,
            Threads = threads,
            SeekNexts = options.SeekNexts,
            Seed = seed,
            Values = values,
            Zipfian = options.Distribution == KeyDistribution.Zipfian ? ScrambledZipfian.For(num, options.ZipfTheta) : null,
        };
        var workers = new Worker[threads];
        var runners = new Thread[threads];
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim(false);
        for (int t = 0; t < threads; t++)
        {
            var worker = new Worker { Index = t, Session = engine.NewSession(sync) };
            workers[t] = worker;
            runners[t] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    Loop(job, worker);
                }
#pragma warning disable CA1031 // reported on the main thread
                catch (Exception e)
#pragma warning restore CA1031
                {
                    worker.Failure = e;
                }

                worker.AllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            })
            {
                Name = $"bench-{name}-{t}",
                IsBackground = true,
            };
        }

        try
        {
            foreach (Thread runner in runners)
            {
                runner.Start();
            }

            ready.Wait();
            int gen0 = GC.CollectionCount(0);
            int gen1 = GC.CollectionCount(1);
            int gen2 = GC.CollectionCount(2);
            long processAllocated = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            go.Set();
            foreach (Thread runner in runners)
            {
                runner.Join();
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            processAllocated = GC.GetTotalAllocatedBytes(precise: true) - processAllocated;
            gen0 = GC.CollectionCount(0) - gen0;
            gen1 = GC.CollectionCount(1) - gen1;
            gen2 = GC.CollectionCount(2) - gen2;
            foreach (Worker w in workers)
            {
                if (w.Failure is not null)
                {
                    throw new InvalidOperationException($"{engine.Name} {name}: thread {w.Index} failed: {w.Failure.Message}", w.Failure);
                }
            }

            var histogram = new LatencyHistogram();
            long total = 0;
            long found = 0;
            long errors = 0;
            long bytes = 0;
            long allocated = 0;
            foreach (Worker w in workers)
            {
                histogram.Merge(w.Histogram);
                total += w.Ops;
                found += w.Found;
                errors += w.Errors;
                bytes += w.Bytes;
                allocated += w.AllocatedBytes;
            }

            bool isWrite = kind is WorkloadKind.FillSeq or WorkloadKind.FillRandom;
            return new WorkloadResult
            {
                Engine = engine.Name,
                Workload = name,
                Threads = threads,
                Sync = sync && isWrite,
                Ops = total,
                Seconds = seconds,
                MegabytesPerSecond = bytes / seconds / 1e6,
                P50Micros = histogram.PercentileMicros(0.50),
                P99Micros = histogram.PercentileMicros(0.99),
                P999Micros = histogram.PercentileMicros(0.999),
                MaxMicros = histogram.MaxMicros,
                AllocatedBytesPerOp = total == 0 ? 0 : (double)allocated / total,
                ProcessAllocatedBytesPerOp = total == 0 ? 0 : (double)processAllocated / total,
                Gen0 = gen0,
                Gen1 = gen1,
                Gen2 = gen2,
                Found = isWrite ? -1 : found,
                Errors = errors,
                Before = before,
                ReopenMillis = reopenMillis,
            };
        }
        finally
        {
            foreach (Worker w in workers)
            {
                w?.Session.Dispose();
            }
        }
    }

    /// <summary>The share of <paramref name="total"/> operations thread <paramref name="index"/> of <paramref name="threads"/> does.</summary>
    private static long Share(long total, int threads, int index) => (total / threads) + (index < total % threads ? 1 : 0);

    private static void Loop(Job job, Worker w)
    {
        switch (job.Kind)
        {
            case WorkloadKind.FillSeq:
                FillSeq(job, w);
                break;
            case WorkloadKind.FillRandom:
                FillRandom(job, w);
                break;
            case WorkloadKind.ReadRandom:
                ReadRandom(job, w);
                break;
            case WorkloadKind.ReadMissing:
                ReadMissing(job, w);
                break;
            case WorkloadKind.SeekRandom:
                SeekRandom(job, w);
                break;
            case WorkloadKind.ReadSeq:
                ReadSeq(job, w);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(job), job.Kind, null);
        }
    }

    private static ulong SeedOf(Job job, Worker w) => BenchRandom.Mix(job.Seed + (ulong)w.Index);

    /// <summary>The thread's chooser of read keys, in the run's distribution.</summary>
    private static KeyChooser ReadKeys(Job job, Worker w) => new(job.Num, job.Zipfian, SeedOf(job, w));

    /// <summary>Keys index, index + T, index + 2T, ...: the threads together write 0..num-1 in nearly ascending order.</summary>
    private static void FillSeq(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        long ops = 0;
        long previous = Stopwatch.GetTimestamp();
        for (long n = w.Index; n < job.Num; n += job.Threads)
        {
            BenchData.FormatKey(key, n);
            session.Put(key, job.Values.Of(n));
            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
            ops++;
        }

        w.Ops = ops;
        w.Bytes = ops * (BenchData.KeyLength + job.Values.Length);
    }

    private static void FillRandom(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        var random = new BenchRandom(SeedOf(job, w));
        long ops = Share(job.Ops, job.Threads, w.Index);
        long previous = Stopwatch.GetTimestamp();
        for (long i = 0; i < ops; i++)
        {
            long n = random.NextBelow(job.Num);
            BenchData.FormatKey(key, n);
            session.Put(key, job.Values.Of(n));
            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
        }

        w.Ops = ops;
        w.Bytes = ops * (BenchData.KeyLength + job.Values.Length);
    }

    /// <summary>Random keys of 0..num-1 (in the run's distribution); a value found must be the one written for its key.</summary>
    private static void ReadRandom(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        byte[] buffer = new byte[job.Values.Length + 64];
        KeyChooser keys = ReadKeys(job, w);
        long ops = Share(job.Ops, job.Threads, w.Index);
        long found = 0;
        long errors = 0;
        long previous = Stopwatch.GetTimestamp();
        for (long i = 0; i < ops; i++)
        {
            long n = keys.Next();
            BenchData.FormatKey(key, n);
            if (session.Get(key, buffer, out int length))
            {
                found++;
                if (length != job.Values.Length || !buffer.AsSpan(0, length).SequenceEqual(job.Values.Of(n)))
                {
                    errors++;
                }
            }

            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
        }

        w.Ops = ops;
        w.Found = found;
        w.Errors = errors;
        w.Bytes = found * (BenchData.KeyLength + job.Values.Length);
    }

    /// <summary>
    /// Absent keys that sort between present ones: "key%013d." (17 bytes, as db_bench's readmissing), so a
    /// table's key range holds them and only its filter (or a block search) can say no.
    /// </summary>
    private static void ReadMissing(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        Span<byte> key = stackalloc byte[BenchData.KeyLength + 1];
        key[BenchData.KeyLength] = (byte)'.';
        byte[] buffer = new byte[job.Values.Length + 64];
        KeyChooser keys = ReadKeys(job, w);
        long ops = Share(job.Ops, job.Threads, w.Index);
        long found = 0;
        long previous = Stopwatch.GetTimestamp();
        for (long i = 0; i < ops; i++)
        {
            BenchData.FormatKey(key, keys.Next());
            if (session.Get(key, buffer, out _))
            {
                found++;
            }

            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
        }

        w.Ops = ops;
        w.Found = found;
        w.Errors = found; // nothing should be found
    }

    /// <summary>Per operation: a new iterator, a seek to a random key, then up to SeekNexts nexts (db_bench seekrandom --seek_nexts).</summary>
    private static void SeekRandom(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        KeyChooser keys = ReadKeys(job, w);
        long ops = Share(job.Ops, job.Threads, w.Index);
        long found = 0;
        long errors = 0;
        long bytes = 0;
        long previous = Stopwatch.GetTimestamp();
        for (long i = 0; i < ops; i++)
        {
            BenchData.FormatKey(key, keys.Next());
            session.CursorSeek(key);
            if (session.CursorValid)
            {
                ReadOnlySpan<byte> at = session.CursorKey;
                if (at.SequenceEqual(key))
                {
                    found++;
                }
                else if (at.SequenceCompareTo(key) < 0)
                {
                    errors++;
                }

                bytes += at.Length + session.CursorValue.Length;
                for (int j = 0; j < job.SeekNexts; j++)
                {
                    session.CursorNext();
                    if (!session.CursorValid)
                    {
                        break;
                    }

                    bytes += session.CursorKey.Length + session.CursorValue.Length;
                }
            }

            session.CursorClose();
            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
        }

        w.Ops = ops;
        w.Found = found;
        w.Errors = errors;
        w.Bytes = bytes;
    }

    /// <summary>
    /// One iterator per thread over the thread's slice of the key space (all of it with one thread); an operation
    /// is one entry. Keys must ascend and values have their length (checks kept cheap: an entry costs ~100 ns).
    /// </summary>
    private static void ReadSeq(Job job, Worker w)
    {
        IBenchSession session = w.Session;
        LatencyHistogram histogram = w.Histogram;
        long low = job.Num * w.Index / job.Threads;
        long high = job.Num * (w.Index + 1) / job.Threads;
        bool last = w.Index == job.Threads - 1;
        Span<byte> start = stackalloc byte[BenchData.KeyLength];
        Span<byte> end = stackalloc byte[BenchData.KeyLength];
        Span<byte> previousKey = stackalloc byte[BenchData.KeyLength];
        previousKey.Clear();
        BenchData.FormatKey(end, high);
        if (w.Index == 0)
        {
            start = default;
        }
        else
        {
            BenchData.FormatKey(start, low);
        }

        long ops = 0;
        long errors = 0;
        long bytes = 0;
        long previous = Stopwatch.GetTimestamp();
        session.CursorSeek(start);
        while (session.CursorValid)
        {
            ReadOnlySpan<byte> key = session.CursorKey;
            if (!last && key.SequenceCompareTo(end) >= 0)
            {
                break;
            }

            ReadOnlySpan<byte> value = session.CursorValue;
            if (key.Length != BenchData.KeyLength || value.Length != job.Values.Length || key.SequenceCompareTo(previousKey) <= 0)
            {
                errors++;
            }

            if (key.Length == BenchData.KeyLength)
            {
                key.CopyTo(previousKey);
            }

            bytes += key.Length + value.Length;
            ops++;
            session.CursorNext();
            long now = Stopwatch.GetTimestamp();
            histogram.Record(now - previous);
            previous = now;
        }

        session.CursorClose();
        w.Ops = ops;
        w.Found = ops;
        w.Errors = errors;
        w.Bytes = bytes;
    }
}
