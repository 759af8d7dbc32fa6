using BenchmarkDotNet.Running;
using Lsm.Engine.Bench;
using Lsm.Engine.Bench.Db;
using Lsm.Engine.Bench.Micro;

const string Usage = """
    Lsm.Engine.Bench: demo and benchmarks for the LsmEngine table format.

    usage: dotnet run -c Release --project Lsm.Engine.Bench -- <command> [arguments]
           (no command: the short default `db` set, 200,000 keys, ours and RocksDB if its native library loads)

      db [options]              db_bench-style workloads on a whole database (ours, RocksDB, or both with ratios), e.g.
                                  db --benchmarks fillseq,fillrandom,readrandom --num 1000000 --engine both --json out.json
                                  db --scaling --engine both          (1/2/4 writer threads, without and with sync)
                                  db --help                           (every option)
      demo                      write, reopen, verify, scan and query a 100,000-entry SST; measure Bloom FPR
      fpr [keys] [bits/key...]  false-positive rate of the Bloom filter (default 1000000 keys; 6 10 16 bits/key)
      micro [BenchmarkDotNet arguments...]
                                microbenchmarks (BenchmarkSwitcher), e.g.
                                  micro --list flat
                                  micro --filter '*Checksum*' --job short
                                  micro --filter '*' --job short          (every class, quick)
                                  micro --quick --filter '*Bloom*'        (--quick: short job, in-process)
    """;

if (args.Length == 0)
{
    return DbBench.Run([]);
}

switch (args[0])
{
    case "db":
        return DbBench.Run(args.AsSpan(1));
    case "demo":
        return Demo.Run();
    case "fpr":
        return FalsePositiveRate.Run(args.AsSpan(1));
    case "micro":
    {
        string[] rest = args[1..];
        bool quick = rest.Contains("--quick");
        rest = [.. rest.Where(a => a != "--quick")];
        BenchmarkSwitcher.FromAssembly(typeof(BenchConfig).Assembly).Run(rest, BenchConfig.Create(quick));
        return 0;
    }

    case "help" or "-h" or "--help":
        Console.WriteLine(Usage);
        return 0;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        Console.Error.WriteLine(Usage);
        return 2;
}
