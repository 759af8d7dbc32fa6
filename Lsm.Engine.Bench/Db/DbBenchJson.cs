using System.Runtime;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Lsm.Engine.Bench.Db;

/// <summary>Writes a run's options and results as JSON (<c>--json FILE</c>).</summary>
internal static class DbBenchJson
{
    public static void Write(string path, string commandLine, DbBenchOptions o, List<WorkloadResult> results)
    {
        using FileStream file = File.Create(path);
        using var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("command", "db " + commandLine);
        json.WriteString("timestamp", DateTimeOffset.UtcNow);

        json.WriteStartObject("machine");
        json.WriteNumber("processors", Environment.ProcessorCount);
        json.WriteString("os", RuntimeInformation.OSDescription);
        json.WriteString("runtime", RuntimeInformation.FrameworkDescription);
        json.WriteBoolean("serverGc", GCSettings.IsServerGC);
        json.WriteEndObject();

        json.WriteStartObject("options");
        json.WriteString("benchmarks", string.Join(',', o.Benchmarks));
        json.WriteNumber("num", o.Num);
        json.WriteNumber("reads", o.Reads);
        json.WriteNumber("keySize", BenchData.KeyLength);
        json.WriteNumber("valueSize", o.ValueSize);
        json.WriteNumber("threads", o.Threads);
        json.WriteNumber("writeBufferMb", o.WriteBufferMb);
        json.WriteBoolean("sync", o.Sync);
        json.WriteString("writeApi", o.WriteApi.ToString().ToLowerInvariant());
        json.WriteNumber("seekNexts", o.SeekNexts);
        json.WriteNumber("cacheMb", o.CacheMb);
        json.WriteNumber("memoryMb", o.MemoryMb);
        json.WriteBoolean("cacheIndexAndFilter", o.CacheIndexAndFilter);
        json.WriteString("distribution", o.Distribution.ToString().ToLowerInvariant());
        if (o.Distribution == KeyDistribution.Zipfian)
        {
            json.WriteNumber("zipfTheta", o.ZipfTheta);
        }

        json.WriteBoolean("useExistingDb", o.UseExistingDb);
        json.WriteString("compaction", o.Compaction.ToString().ToLowerInvariant());
        json.WriteBoolean("scaling", o.Scaling);
        if (o.Scaling)
        {
            json.WriteNumber("syncNum", o.SyncNum);
            json.WriteString("scalingThreads", string.Join(',', o.ScalingThreads));
        }

        json.WriteEndObject();

        json.WriteStartArray("results");
        foreach (WorkloadResult r in results)
        {
            json.WriteStartObject();
            json.WriteString("engine", r.Engine);
            json.WriteString("workload", r.Workload);
            json.WriteNumber("threads", r.Threads);
            json.WriteBoolean("sync", r.Sync);
            json.WriteNumber("ops", r.Ops);
            json.WriteNumber("seconds", Math.Round(r.Seconds, 6));
            if (r.Amplification is Amplification a)
            {
                json.WriteNumber("stallSeconds", Math.Round(a.StallSeconds, 6));
                WriteFigure(json, "writeAmplification", a.WriteAmplification);
                WriteFigure(json, "writeAmplificationWithWal", a.WriteAmplificationWithWal);
                WriteFigure(json, "spaceAmplification", a.SpaceAmplification);
                WriteFigure(json, "readAmplification", a.ReadAmplification);
            }

            json.WriteNumber("opsPerSec", Math.Round(r.OpsPerSecond, 1));
            json.WriteNumber("mbPerSec", Math.Round(r.MegabytesPerSecond, 2));
            json.WriteNumber("p50Us", Math.Round(r.P50Micros, 3));
            json.WriteNumber("p99Us", Math.Round(r.P99Micros, 3));
            json.WriteNumber("p999Us", Math.Round(r.P999Micros, 3));
            json.WriteNumber("maxUs", Math.Round(r.MaxMicros, 1));
            json.WriteNumber("allocBytesPerOp", Math.Round(r.AllocatedBytesPerOp, 1));
            json.WriteNumber("processAllocBytesPerOp", Math.Round(r.ProcessAllocatedBytesPerOp, 1));
            json.WriteNumber("gen0", r.Gen0);
            json.WriteNumber("gen1", r.Gen1);
            json.WriteNumber("gen2", r.Gen2);
            if (r.Found >= 0)
            {
                json.WriteNumber("found", r.Found);
            }

            if (r.Cache is CacheFigures c)
            {
                if (r.Distribution is KeyDistribution distribution)
                {
                    json.WriteString("distribution", distribution.ToString().ToLowerInvariant());
                }

                json.WriteStartObject("blockCache");
                json.WriteNumber("lookups", c.Lookups);
                WriteFigure(json, "hitRatio", c.HitRatio);
                WriteFigure(json, "dataHitRatio", c.DataHitRatio);
                WriteFigure(json, "indexHitRatio", c.IndexHitRatio);
                WriteFigure(json, "filterHitRatio", c.FilterHitRatio);
                json.WriteNumber("usageBytes", c.UsageBytes);
                json.WriteEndObject();
            }

            json.WriteNumber("errors", r.Errors);
            json.WriteStartObject("before");
            json.WriteNumber("level0Files", r.Before.Level0Files);
            json.WriteNumber("files", r.Before.TotalFiles);
            json.WriteNumber("memtableBytes", r.Before.MemtableBytes);
            json.WriteNumber("sstBytes", r.Before.TableBytes);
            if (r.ReopenMillis > 0)
            {
                json.WriteNumber("reopenMs", Math.Round(r.ReopenMillis, 1));
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteStartArray("oursOverRocksDb");
        foreach ((WorkloadResult ours, WorkloadResult theirs) in DbBench.Pairs(results))
        {
            json.WriteStartObject();
            json.WriteString("workload", ours.Workload);
            json.WriteNumber("threads", ours.Threads);
            json.WriteBoolean("sync", ours.Sync);
            json.WriteNumber("opsPerSecRatio", Math.Round(ours.OpsPerSecond / theirs.OpsPerSecond, 4));
            if (theirs.P50Micros > 0 && theirs.P99Micros > 0)
            {
                json.WriteNumber("p50Ratio", Math.Round(ours.P50Micros / theirs.P50Micros, 4));
                json.WriteNumber("p99Ratio", Math.Round(ours.P99Micros / theirs.P99Micros, 4));
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>A figure, or null when there was nothing to measure.</summary>
    private static void WriteFigure(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsNaN(value))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteNumber(name, Math.Round(value, 4));
        }
    }
}
