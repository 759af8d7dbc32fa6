using System.Globalization;

namespace Lsm.Engine.Bench.Db;

/// <summary>How a session writes one key.</summary>
internal enum WriteApi
{
    /// <summary>A reused one-entry write batch and Write, as db_bench does.</summary>
    Batch,

    /// <summary>The engine's Put (which builds a batch per call).</summary>
    Put,
}

/// <summary>Which engines a run measures.</summary>
internal enum EngineChoice
{
    Lsm,
    RocksDb,
    Both,

    /// <summary>Both when the RocksDB native library loads, otherwise ours alone.</summary>
    Auto,
}

/// <summary>The compaction both engines run.</summary>
internal enum BenchCompaction
{
    /// <summary>Leveled compaction, each engine's defaults (L0 trigger 4, 256 MiB base, x10, dynamic level bytes).</summary>
    Leveled,

    /// <summary>Universal compaction, each engine's defaults (size ratio 1, min merge width 2, 200% size amplification).</summary>
    Universal,

    /// <summary>Automatic compaction off: level 0 grows without bound.</summary>
    None,
}

/// <summary>How the read workloads choose their keys.</summary>
internal enum KeyDistribution
{
    /// <summary>Every key of 0..num-1 equally likely.</summary>
    Uniform,

    /// <summary>YCSB's scrambled zipfian: a few keys hot, spread over the key space (<see cref="ScrambledZipfian"/>).</summary>
    Zipfian,
}

/// <summary>The options of the <c>db</c> command, parsed from db_bench-style arguments.</summary>
internal sealed record DbBenchOptions
{
    public const string DefaultBenchmarks = "fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,readrandom-reopen";

    public const string Usage = """
        usage: db [--benchmarks LIST] [--num N] [--reads N] [--value-size B] [--threads T] [--write-buffer-mb M]
                  [--sync] [--db DIR] [--json FILE] [--engine lsm|rocksdb|both|auto] [--write-api batch|put]
                  [--seek-nexts K] [--cache-mb M] [--cache-index-and-filter] [--distribution uniform|zipfian] [--zipf-theta T]
                  [--use-existing-db] [--compaction leveled|universal|none] [--no-warmup] [--seed S]
               db --scaling [--num N] [--sync-num N] [--scaling-threads 1,2,4] [--engine ...] [--json FILE] ...

          db_bench-style workloads on a whole database: 16-byte keys, values of --value-size bytes (default 100) that
          compress to about half, write buffer --write-buffer-mb MiB (default 64), Bloom 10 bits/key, LZ4, 4 KiB blocks,
          a --cache-mb MiB LRU block cache (default 32), WAL on (fsync per write group only with --sync).

          --benchmarks   comma-separated, run in order (default: fillseq,fillrandom,overwrite,readrandom,readmissing,
                         seekrandom,readseq,readrandom-reopen):
                           fillseq            keys 0..num-1 in order into a new database
                           fillrandom         num random keys (uniform over 0..num-1, with repeats) into a new database
                           overwrite          num random keys into the existing database
                           readrandom         --reads random point reads (hits and misses as the fills left them)
                           readrandom-reopen  flush, close and reopen (everything in tables), then readrandom
                           readmissing        --reads reads of absent keys that sort between present ones
                           seekrandom         --reads iterator creations + seeks to a random key + --seek-nexts nexts (10)
                           readseq            one scan over the whole database
                           reopen             flush, close and reopen (no row)
          --num N        keys (default 1,000,000; 200,000 when run with no arguments at all)
          --reads N      operations of the read benchmarks (default --num)
          --threads T    threads that split every workload (default 1)
          --engine       lsm (default), rocksdb, both (prints ours/RocksDB ratios), auto (both if RocksDB loads)
          --write-api    batch (default: reused one-entry WriteBatch, like db_bench) or put (the engine's Put)
          --db DIR       keep databases in DIR/lsm and DIR/rocksdb (default: a temporary directory, deleted after)
          --use-existing-db
                         read the databases a previous run left in --db DIR (needs --db; same --num): fillseq and
                         fillrandom are skipped, so one fill serves several read runs (db_bench --use_existing_db), e.g.
                           db --benchmarks fillrandom,reopen --num 5000000 --db D --engine both
                           db --benchmarks readrandom --use-existing-db --num 5000000 --db D --engine both --cache-mb 25
          --json FILE    also write every result as JSON
          --cache-mb M   block cache of M MiB in each engine (ours: one BlockCache for the run's database; RocksDB: an
                         LRU cache), default 32 (RocksDB's default); 0: no block cache in either (ours NoBlockCache,
                         RocksDB no_block_cache). --rocksdb-block-cache-mb is an old name for it.
          --cache-index-and-filter
                         index and filter blocks go through the block cache, with high priority, in both engines
                         (cache_index_and_filter_blocks); default: each table reader holds them outside the cache
          --memory-mb M  one memory budget of M MiB for cache and memtables, as Flink's managed memory (write-buffer
                         ratio 0.5): block cache (3 - 0.5)/3 x M with index and filter blocks in it at high priority,
                         a write buffer manager of 2 x 0.5/3 x M charged to the cache, and write buffers of at most
                         manager / 2; ours through MemoryBudget, RocksDB with the same numbers (LRU cache, its
                         write_buffer_manager with cost to cache). Overrides --cache-mb and --write-buffer-mb
          --distribution uniform (default) or zipfian: the keys of readrandom, readmissing (still absent keys) and
                         seekrandom; zipfian is YCSB's scrambled zipfian over 0..num-1 (hot keys spread over the key
                         space), constant --zipf-theta T (default 0.99, as YCSB); fills stay uniform
          --compaction   both engines' compaction style: leveled (default), universal, or none (automatic compaction off);
                         after each workload the engines finish their background work and report stall time and write,
                         space and read amplification (RocksDB's from its statistics: collecting them costs it a little)
          --no-warmup    skip the unreported warm-up round (JIT) before each engine
          --scaling      writer scaling instead: fillrandom with 1, 2 and 4 writer threads, without sync (--num ops,
                         default 200,000) and with sync (--sync-num ops, default 5,000), fresh database each time
        """;

    public string[] Benchmarks { get; init; } = DefaultBenchmarks.Split(',');

    public long Num { get; init; } = 1_000_000;

    public long? ReadsOverride { get; init; }

    public long Reads => ReadsOverride ?? Num;

    public int ValueSize { get; init; } = BenchData.ValueLength;

    public int Threads { get; init; } = 1;

    public int WriteBufferMb { get; init; } = 64;

    public bool Sync { get; init; }

    public string? Directory { get; init; }

    public string? JsonPath { get; init; }

    public EngineChoice Engine { get; init; } = EngineChoice.Lsm;

    public WriteApi WriteApi { get; init; } = WriteApi.Batch;

    public int SeekNexts { get; init; } = 10;

    /// <summary>Block cache capacity of each engine in MiB; 0: no block cache.</summary>
    public int CacheMb { get; init; } = 32;

    /// <summary>Whether index and filter blocks are cached (with high priority) rather than held by each table reader.</summary>
    public bool CacheIndexAndFilter { get; init; }

    /// <summary>One memory budget in MiB for cache and memtables (Flink's managed memory); 0: none (<see cref="CacheMb"/> and <see cref="WriteBufferMb"/> apply).</summary>
    public int MemoryMb { get; init; }

    /// <summary>The read workloads' key distribution.</summary>
    public KeyDistribution Distribution { get; init; } = KeyDistribution.Uniform;

    /// <summary>The zipfian constant, in (0, 1).</summary>
    public double ZipfTheta { get; init; } = ScrambledZipfian.DefaultTheta;

    /// <summary>Whether the run reads the databases a previous run left in <see cref="Directory"/> (fills are skipped).</summary>
    public bool UseExistingDb { get; init; }

    public BenchCompaction Compaction { get; init; } = BenchCompaction.Leveled;

    public bool Warmup { get; init; } = true;

    public ulong Seed { get; init; } = 301;

    public bool Scaling { get; init; }

    public long SyncNum { get; init; } = 5_000;

    public int[] ScalingThreads { get; init; } = [1, 2, 4];

    /// <summary>The short default set the bench runs with no arguments: 200,000 keys, both engines if RocksDB loads.</summary>
    public static DbBenchOptions ShortDefault { get; } = new() { Num = 200_000, Engine = EngineChoice.Auto };

    private static readonly string[] Known =
        ["fillseq", "fillrandom", "overwrite", "readrandom", "readrandom-reopen", "readmissing", "seekrandom", "readseq", "reopen"];

    /// <summary>Parses <paramref name="args"/>; returns null and writes the reason to <paramref name="error"/> when they are bad.</summary>
    public static DbBenchOptions? Parse(ReadOnlySpan<string> args, out string? error)
    {
        error = null;
        if (args.IsEmpty)
        {
            return ShortDefault;
        }

        var o = new DbBenchOptions();
        bool numGiven = false;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                string? inline = null;
                int eq = arg.IndexOf('=', StringComparison.Ordinal);
                if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
                {
                    inline = arg[(eq + 1)..];
                    arg = arg[..eq];
                }

                string Value(ReadOnlySpan<string> a, ref int index)
                {
                    if (inline is not null)
                    {
                        return inline;
                    }

                    if (index + 1 >= a.Length)
                    {
                        throw new FormatException($"{arg} needs a value");
                    }

                    return a[++index];
                }

                switch (arg)
                {
                    case "--benchmarks":
                        o = o with { Benchmarks = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                        break;
                    case "--num":
                        o = o with { Num = ParseCount(Value(args, ref i), arg) };
                        numGiven = true;
                        break;
                    case "--reads":
                        o = o with { ReadsOverride = ParseCount(Value(args, ref i), arg) };
                        break;
                    case "--value-size":
                        o = o with { ValueSize = checked((int)ParseCount(Value(args, ref i), arg)) };
                        break;
                    case "--threads":
                        o = o with { Threads = checked((int)ParseCount(Value(args, ref i), arg)) };
                        break;
                    case "--write-buffer-mb":
                        o = o with { WriteBufferMb = checked((int)ParseCount(Value(args, ref i), arg)) };
                        break;
                    case "--sync":
                        o = o with { Sync = true };
                        break;
                    case "--db":
                        o = o with { Directory = Value(args, ref i) };
                        break;
                    case "--json":
                        o = o with { JsonPath = Value(args, ref i) };
                        break;
                    case "--engine":
                        o = o with
                        {
                            Engine = OneOf(arg, Value(args, ref i), ("lsm", EngineChoice.Lsm), ("rocksdb", EngineChoice.RocksDb), ("both", EngineChoice.Both), ("auto", EngineChoice.Auto)),
                        };
                        break;
                    case "--write-api":
                        o = o with { WriteApi = OneOf(arg, Value(args, ref i), ("batch", WriteApi.Batch), ("put", WriteApi.Put)) };
                        break;
                    case "--seek-nexts":
                        o = o with { SeekNexts = checked((int)ParseCount(Value(args, ref i), arg, allowZero: true)) };
                        break;
                    case "--cache-mb" or "--rocksdb-block-cache-mb":
                        o = o with { CacheMb = checked((int)ParseCount(Value(args, ref i), arg, allowZero: true)) };
                        break;
                    case "--cache-index-and-filter":
                        o = o with { CacheIndexAndFilter = true };
                        break;
                    case "--memory-mb":
                        o = o with { MemoryMb = checked((int)ParseCount(Value(args, ref i), arg, allowZero: false)) };
                        break;
                    case "--distribution":
                        o = o with { Distribution = OneOf(arg, Value(args, ref i), ("uniform", KeyDistribution.Uniform), ("zipfian", KeyDistribution.Zipfian)) };
                        break;
                    case "--zipf-theta":
                        string theta = Value(args, ref i);
                        o = o with
                        {
                            ZipfTheta = double.TryParse(theta, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t is > 0 and < 1
                                ? t
                                : throw new FormatException($"--zipf-theta: '{theta}' is not a number between 0 and 1 (exclusive)"),
                        };
                        break;
                    case "--use-existing-db":
                        o = o with { UseExistingDb = true };
                        break;
                    case "--compaction":
                        o = o with
                        {
                            Compaction = OneOf(
                                arg, Value(args, ref i), ("leveled", BenchCompaction.Leveled), ("level", BenchCompaction.Leveled), ("universal", BenchCompaction.Universal), ("none", BenchCompaction.None)),
                        };
                        break;
                    case "--no-warmup":
                        o = o with { Warmup = false };
                        break;
                    case "--seed":
                        o = o with { Seed = (ulong)ParseCount(Value(args, ref i), arg, allowZero: true) };
                        break;
                    case "--scaling":
                        o = o with { Scaling = true };
                        break;
                    case "--sync-num":
                        o = o with { SyncNum = ParseCount(Value(args, ref i), arg) };
                        break;
                    case "--scaling-threads":
                        o = o with
                        {
                            ScalingThreads = [.. Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                                .Select(t => checked((int)ParseCount(t, arg)))],
                        };
                        break;
                    default:
                        throw new FormatException($"unknown argument '{args[i]}'");
                }
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            error = e.Message;
            return null;
        }

        if (o.Scaling && !numGiven)
        {
            o = o with { Num = 200_000 };
        }

        foreach (string b in o.Benchmarks)
        {
            if (!Known.Contains(b))
            {
                error = $"unknown benchmark '{b}' (known: {string.Join(", ", Known)})";
                return null;
            }
        }

        if (o.UseExistingDb && (o.Directory is null || o.Scaling))
        {
            error = "--use-existing-db needs --db DIR (and no --scaling)";
            return null;
        }

        if (o.Threads > 256 || o.ScalingThreads.Any(t => t > 256))
        {
            error = "at most 256 threads";
            return null;
        }

        if (o.Num >= 10_000_000_000_000L)
        {
            error = "--num must be below 10^13 (13-digit keys)";
            return null;
        }

        return o;
    }

    /// <summary>The choice named <paramref name="value"/>; a <see cref="FormatException"/> listing the names if none is.</summary>
    private static T OneOf<T>(string name, string value, params ReadOnlySpan<(string Name, T Choice)> choices)
    {
        foreach ((string choiceName, T choice) in choices)
        {
            if (choiceName == value)
            {
                return choice;
            }
        }

        var names = new List<string>();
        foreach ((string choiceName, _) in choices)
        {
            names.Add(choiceName);
        }

        throw new FormatException($"{name} must be {string.Join(", ", names)}, not '{value}'");
    }

    private static long ParseCount(string text, string name, bool allowZero = false)
    {
        if (!long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out long value)
            || value < 0 || (value == 0 && !allowZero))
        {
            throw new FormatException($"{name}: '{text}' is not a {(allowZero ? "non-negative" : "positive")} whole number");
        }

        return value;
    }
}
