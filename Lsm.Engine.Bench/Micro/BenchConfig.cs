using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The configuration <c>micro</c> runs with: BenchmarkDotNet's defaults (jobs come from the command line,
/// e.g. <c>--job short</c>), the memory diagnoser, an MB/s column, and artifacts under the build output
/// rather than the current directory.
/// </summary>
public static class BenchConfig
{
    /// <summary>Creates the configuration.</summary>
    /// <param name="quick">
    /// Adds a short job (1 launch, 3 warmup and 3 measured iterations) run in-process: no per-run build of a
    /// generated project, the fastest way to a rough number. Use <c>--job short</c> for out-of-process runs.
    /// </param>
    public static IConfig Create(bool quick)
    {
        ManualConfig config = ManualConfig.Create(DefaultConfig.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(new ThroughputColumn())
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        if (quick)
        {
            config.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("Quick"));
        }

        return config;
    }
}
