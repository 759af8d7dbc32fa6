using System.Globalization;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// The child of <see cref="ProcessCrashTests"/>: opens a database on the real file system and writes a deterministic
/// stream of batches (<see cref="Batch"/>) until it is killed, printing each batch's index to stdout once the write
/// has returned (acknowledged).
/// </summary>
/// <remarks>
/// <para>
/// It runs in a process of its own without a project of its own: the parent starts <c>dotnet Lsm.Engine.Tests.dll</c>
/// with <c>DOTNET_STARTUP_HOOKS</c> naming this assembly, and the runtime calls <see cref="StartupHook.Initialize"/>
/// before the (empty, generated) Main; it sees <see cref="DirectoryVariable"/> and runs <see cref="Run"/>. The child
/// therefore runs exactly the engine build the test was built against, with nothing extra to build.
/// </para>
/// <para>Protocol on stdout: <c>ready</c> once open, then one line per acknowledged batch: its index.</para>
/// </remarks>
internal static class ProcessCrashChild
{
    public const string DirectoryVariable = "LSM_PROCESS_CRASH_DB";
    public const string SeedVariable = "LSM_PROCESS_CRASH_SEED";
    public const string StartVariable = "LSM_PROCESS_CRASH_START";
    public const string Ready = "ready";
    public const int KeysPerFamily = 200;

    /// <summary>How long a child may live, so that one whose parent died does not write forever.</summary>
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromSeconds(60);

    private static readonly WriteOptions Synced = new() { Sync = true };

    /// <summary>Options both processes open the database with: two families, merges, small write buffers so flushes happen under the kill.</summary>
    public static DbOptions Options()
    {
        var cf = new ColumnFamilyOptions { WriteBufferSize = 16 * 1024, MergeOperator = UInt64AddOperator.Instance };
        return new DbOptions
        {
            CreateIfMissing = true,
            CreateMissingColumnFamilies = true,
            DefaultColumnFamilyOptions = cf,
            ColumnFamilies = new Dictionary<string, ColumnFamilyOptions> { [ModelDatabase.ColumnFamilyNames[1]] = cf },
        };
    }

    /// <summary>Batch number <paramref name="index"/> of the stream <paramref name="seed"/>: the same in both processes.</summary>
    public static ModelEntry[] Batch(int seed, int index)
    {
        var random = new Random(unchecked((seed * 1_000_003) + index));
        var batch = new ModelEntry[random.Next(1, 5)];
        for (int i = 0; i < batch.Length; i++)
        {
            int cf = random.Next(4) == 0 ? 1 : 0;
            string key = CrashHarness.Key(random.Next(KeysPerFamily));
            batch[i] = random.Next(10) switch
            {
                < 6 => ModelEntry.Put(cf, key, System.Text.Encoding.ASCII.GetBytes($"v{index}:{new string('x', random.Next(10, 150))}")),
                < 8 => ModelEntry.Delete(cf, key),
                _ => ModelEntry.Merge(cf, key, (ulong)random.Next(1, 100)),
            };
        }

        return batch;
    }

    /// <summary>Whether batch <paramref name="index"/> is written with <see cref="WriteOptions.Sync"/> (four in five are).</summary>
    public static bool IsSynced(int seed, int index) => new Random(unchecked((seed * 7919) + index)).Next(5) != 0;

    /// <summary>Writes batches from <paramref name="start"/> on until killed (or <see cref="MaxLifetime"/> passes); returns an exit code.</summary>
    public static int Run(string path, int seed, int start)
    {
        try
        {
            using var db = LsmDb.Open(path, Options());
            ColumnFamilyHandle[] handles = ModelDatabase.Handles(db);
            TextWriter stdout = Console.Out;
            stdout.WriteLine(Ready);
            stdout.Flush();
            DateTime stop = DateTime.UtcNow + MaxLifetime;
            for (int i = start; DateTime.UtcNow < stop; i++)
            {
                db.Write(ModelDatabase.ToWriteBatch(Batch(seed, i), handles), IsSynced(seed, i) ? Synced : null);
                stdout.WriteLine(i.ToString(CultureInfo.InvariantCulture));
                stdout.Flush();
            }

            return 3;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 2;
        }
    }
}
