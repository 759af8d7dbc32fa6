using System.Globalization;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Compaction.Pickers;

/// <summary>
/// The text of a picker case: an <c>options:</c> line (<c>name=value</c> pairs), the LSM shape in
/// <see cref="Version.Parse"/>'s notation, <c>running: 000005 000004 -> L1</c> lines naming the inputs and output
/// level of compactions already running, and for manual cases <c>range: a z</c> (<c>*</c> is unbounded) and
/// <c>from: N</c>.
/// </summary>
internal sealed class PickerShapes
{
    public required ColumnFamilyOptions Options { get; init; }

    public required Version Version { get; init; }

    public required List<CompactionPlan> Running { get; init; }

    public byte[]? Begin { get; init; }

    public byte[]? End { get; init; }

    public int From { get; init; }

    public static PickerShapes Parse(string input)
    {
        var options = new ColumnFamilyOptions();
        var shape = new List<string>();
        var running = new List<string>();
        byte[]? begin = null, end = null;
        int from = 0;
        int numLevels = VersionSetOptions.DefaultNumLevels;
        foreach (string raw in input.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("options:", StringComparison.Ordinal))
            {
                (options, numLevels) = ParseOptions(line["options:".Length..]);
            }
            else if (line.StartsWith("running:", StringComparison.Ordinal))
            {
                running.Add(line["running:".Length..].Trim());
            }
            else if (line.StartsWith("range:", StringComparison.Ordinal))
            {
                string[] bounds = line["range:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                begin = bounds[0] == "*" ? null : System.Text.Encoding.UTF8.GetBytes(bounds[0]);
                end = bounds[1] == "*" ? null : System.Text.Encoding.UTF8.GetBytes(bounds[1]);
            }
            else if (line.StartsWith("from:", StringComparison.Ordinal))
            {
                from = int.Parse(line["from:".Length..].Trim(), CultureInfo.InvariantCulture);
            }
            else
            {
                shape.Add(line);
            }
        }

        Version version = Version.Parse(string.Join('\n', shape), numLevels);
        var plans = new List<CompactionPlan>();
        foreach (string r in running)
        {
            plans.Add(RunningPlan(version, r));
        }

        return new PickerShapes { Options = options, Version = version, Running = plans, Begin = begin, End = end, From = from };
    }

    /// <summary>A running compaction of the named files into a level: <c>000005 000004 -> L1</c>.</summary>
    public static CompactionPlan RunningPlan(Version version, string text)
    {
        int arrow = text.IndexOf("->", StringComparison.Ordinal);
        int output = int.Parse(text[(arrow + 2)..].Trim().TrimStart('L'), CultureInfo.InvariantCulture);
        var byLevel = new SortedDictionary<int, List<FileMetadata>>();
        foreach (string number in text[..arrow].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            ulong n = ulong.Parse(number, CultureInfo.InvariantCulture);
            (int level, FileMetadata file) = version.AllFiles().First(x => x.File.FileNumber == n);
            if (!byLevel.TryGetValue(level, out List<FileMetadata>? files))
            {
                byLevel[level] = files = [];
            }

            files.Add(file);
        }

        return RunningCompaction(version, [.. byLevel.Select(kv => new CompactionInputLevel(kv.Key, kv.Value))], output);
    }

    /// <summary>A running plan with the given inputs (the fields pickers read: inputs, levels and key range).</summary>
    public static CompactionPlan RunningCompaction(Version version, List<CompactionInputLevel> inputs, int output)
    {
        (byte[] s, byte[] l) = FileRanges.UserRange(inputs.SelectMany(i => i.Files), version.Comparator.UserComparator);
        return new CompactionPlan
        {
            StartLevel = inputs[0].Level,
            OutputLevel = output,
            Inputs = inputs,
            TargetFileSize = 1,
            MaxCompactionBytes = ulong.MaxValue,
            IsBottommost = false,
            IsTrivialMove = false,
            Reason = CompactionReason.Manual,
            Score = -1,
            SmallestUserKey = s,
            LargestUserKey = l,
        };
    }

    private static (ColumnFamilyOptions Options, int NumLevels) ParseOptions(string text)
    {
        var o = new ColumnFamilyOptions();
        var u = new UniversalCompactionOptions();
        int numLevels = VersionSetOptions.DefaultNumLevels;
        foreach (string pair in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string name = pair[..eq], value = pair[(eq + 1)..];
            long n() => long.Parse(value, CultureInfo.InvariantCulture);
            o = name switch
            {
                "style" => o with { CompactionStyle = value == "universal" ? CompactionStyle.Universal : CompactionStyle.Level },
                "pri" => o with { CompactionPri = value == "round-robin" ? CompactionPriority.RoundRobin : CompactionPriority.MinOverlappingRatio },
                "dynamic" => o with { LevelCompactionDynamicLevelBytes = bool.Parse(value) },
                "trigger" => o with { Level0FileNumCompactionTrigger = (int)n() },
                "base" => o with { MaxBytesForLevelBase = n() },
                "multiplier" => o with { MaxBytesForLevelMultiplier = double.Parse(value, CultureInfo.InvariantCulture) },
                "target-file" => o with { TargetFileSizeBase = n() },
                "target-file-multiplier" => o with { TargetFileSizeMultiplier = (int)n() },
                "max-compaction-bytes" => o with { MaxCompactionBytes = n() },
                "write-buffer" => o with { WriteBufferSize = n() },
                _ => o,
            };
            u = name switch
            {
                "size-ratio" => u with { SizeRatio = (uint)n() },
                "min-width" => u with { MinMergeWidth = (uint)n() },
                "max-width" => u with { MaxMergeWidth = (uint)n() },
                "max-amp" => u with { MaxSizeAmplificationPercent = (uint)n() },
                "compression-pct" => u with { CompressionSizePercent = (int)n() },
                "stop" => u with { StopStyle = value == "similar" ? UniversalStopStyle.SimilarSize : UniversalStopStyle.TotalSize },
                "max-read-amp" => u with { MaxReadAmp = (int)n() },
                "trivial" => u with { AllowTrivialMove = bool.Parse(value) },
                _ => u,
            };
            if (name == "levels")
            {
                numLevels = (int)n();
            }
        }

        return (o with { CompactionOptionsUniversal = u }, numLevels);
    }
}
