using System.Diagnostics;
using System.Globalization;
using Lsm.Engine.Tests.Support;
using Xunit.Abstractions;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// A real process crash: a child process (<see cref="ProcessCrashChild"/>) writes batches, most with
/// <see cref="WriteOptions.Sync"/>, to a temporary directory on the real file system and prints each acknowledged one;
/// the test kills it (SIGKILL) at a random moment, reopens the database and checks that it holds exactly the state
/// after every acknowledged batch, or after one more (the write in flight when the kill came). A process crash keeps
/// what reached the operating system, so even unsynced acknowledged writes must survive. Each round continues from
/// what the previous one recovered.
/// </summary>
public sealed class ProcessCrashTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);

    private static bool LongRun => Environment.GetEnvironmentVariable("LSM_LONG_TESTS") == "1";

    [Fact]
    public void KilledWriter_ReopensWithEveryAcknowledgedWrite_AndNothingElse()
    {
        int rounds = LongRun ? 40 : 5;
        const int seed = 17;
        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        using var directory = new TempDirectory();
        string path = directory.File("db");
        var model = new ModelDatabase();
        int recovered = 0;
        for (int round = 0; round < rounds; round++)
        {
            int killAfter = random.Next(1, 250);
            int delayMs = random.Next(0, 20);
            (int acknowledged, int written) = RunAndKill(path, seed, recovered, killAfter, delayMs);

            using LsmDb db = LsmDb.Open(path, ProcessCrashChild.Options());
            ModelDatabase actual = ModelDatabase.Read(db);
            var history = new List<IReadOnlyList<ModelEntry>>();
            for (int i = 0; i < acknowledged + 1; i++)
            {
                history.Add(i < recovered ? [] : ProcessCrashChild.Batch(seed, i));
            }

            int k = ModelDatabase.FindPrefix(model, recovered, history, acknowledged, acknowledged + 1, actual);
            if (k < 0)
            {
                (int closest, int differences) = ModelDatabase.ClosestPrefix(model, recovered, history, acknowledged + 1, actual);
                ModelDatabase expected = model.Clone();
                for (int i = recovered; i < closest; i++)
                {
                    expected.Apply(history[i]);
                }

                Assert.Fail(
                    $"round {round}: killed after batch {acknowledged - 1} was acknowledged; the database is not the state after " +
                    $"{acknowledged} or {acknowledged + 1} batches. Closest: {closest} ({differences} keys differ):\n{expected.Describe(actual)}");
            }

            for (int i = recovered; i < k; i++)
            {
                model.Apply(history[i]);
            }

            output.WriteLine($"round {round}: {written} batches written, killed after #{acknowledged - 1} (+{delayMs} ms), recovered {k - recovered} of them ({k} in all)");
            recovered = k;
        }

        output.WriteLine($"{rounds} kills in {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>
    /// Starts a child writing batches from <paramref name="start"/>, kills it once <paramref name="killAfter"/> batches
    /// were acknowledged and <paramref name="delayMs"/> more milliseconds passed, and returns how many batches in all
    /// (from 0) had been acknowledged, and how many the child acknowledged in this run.
    /// </summary>
    private static (int Acknowledged, int Written) RunAndKill(string path, int seed, int start, int killAfter, int delayMs)
    {
        string assembly = typeof(ProcessCrashChild).Assembly.Location;
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(assembly);
        info.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        info.Environment[ProcessCrashChild.DirectoryVariable] = path;
        info.Environment[ProcessCrashChild.SeedVariable] = seed.ToString(CultureInfo.InvariantCulture);
        info.Environment[ProcessCrashChild.StartVariable] = start.ToString(CultureInfo.InvariantCulture);

        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the child process");
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        bool killed = false;
        using var watchdog = new Timer(_ => Kill(child), null, ChildTimeout, Timeout.InfiniteTimeSpan);
        int last = start - 1;
        int count = 0;
        bool ready = false;
        while (child.StandardOutput.ReadLine() is string line)
        {
            if (line == ProcessCrashChild.Ready)
            {
                ready = true;
                continue;
            }

            int index = int.Parse(line, CultureInfo.InvariantCulture);
            Assert.Equal(last + 1, index);
            last = index;
            if (++count == killAfter && !killed)
            {
                Thread.Sleep(delayMs);
                Kill(child);
                killed = true; // keep reading: what the child printed before it died is in the pipe
            }
        }

        child.WaitForExit();
        Assert.True(killed, $"the child ended by itself (exit code {child.ExitCode}, ready: {ready}) after {count} batches:\n{stderr.GetAwaiter().GetResult()}");
        return (last + 1, count);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Unix: no finalizers, no flushing
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>The dotnet host running the tests (the SDK exports its path), else the one on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
