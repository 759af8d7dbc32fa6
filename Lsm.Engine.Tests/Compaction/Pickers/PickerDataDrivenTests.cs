using System.Globalization;
using System.Text;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Tests.Versions;

namespace Lsm.Engine.Tests.Compaction.Pickers;

/// <summary>
/// Data-driven picker tests (testdata/*.txt, format in <see cref="PickerShapes"/>): <c>pick</c> prints the next
/// automatic plan, <c>range</c> the next manual step, <c>scores</c> the base level, targets and scores, and
/// <c>pending</c> the pending-compaction-bytes estimate. LSM_REWRITE_TESTDATA=1 rewrites the expectations.
/// </summary>
public sealed class PickerDataDrivenTests
{
    [Fact]
    public void Leveled() => DataDriven.Run("leveled.txt", Run);

    [Fact]
    public void Universal() => DataDriven.Run("universal.txt", Run);

    [Fact]
    public void Scores() => DataDriven.Run("scores.txt", Run);

    [Fact]
    public void Manual() => DataDriven.Run("manual.txt", Run);

    private static string Run(DataDriven.Case c)
    {
        PickerShapes shapes = PickerShapes.Parse(c.Input);
        shapes.Options.Validate();
        ICompactionPicker picker = CompactionPickerFactory.Create(shapes.Options);
        CultureInfo ci = CultureInfo.InvariantCulture;
        switch (c.Command)
        {
            case "pick":
                {
                    CompactionPlan? plan = picker.PickCompaction(shapes.Version, shapes.Running);
                    return plan?.ToString() ?? "none";
                }

            case "range":
                {
                    CompactionPlan? plan = picker.PickRange(shapes.Version, shapes.Running, shapes.Begin, shapes.End, shapes.From, out bool conflict);
                    return plan is null ? (conflict ? "conflict" : "none") : $"{plan} next={plan.NextManualLevel}";
                }

            case "scores":
                {
                    var text = new StringBuilder();
                    if (picker.Style == CompactionStyle.Level)
                    {
                        LevelTargets targets = LevelTargets.Compute(shapes.Version, shapes.Options);
                        text.Append(ci, $"base-level={targets.BaseLevel} unnecessary={targets.LowestUnnecessaryLevel}\n");
                        for (int level = 0; level < shapes.Version.NumLevels; level++)
                        {
                            ulong target = targets.MaxBytesForLevel(level);
                            text.Append(ci, $"L{level} target={(target == ulong.MaxValue ? "-" : target.ToString(ci))} file={targets.TargetFileSize(level)}\n");
                        }
                    }

                    double[] scores = picker.LevelScores(shapes.Version, shapes.Running);
                    text.Append("scores:");
                    foreach (double s in scores)
                    {
                        text.Append(ci, $" {s:0.###}");
                    }

                    text.Append(ci, $"\nneeds-compaction={picker.NeedsCompaction(shapes.Version, shapes.Running).ToString().ToLowerInvariant()}");
                    return text.ToString();
                }

            case "pending":
                return picker.EstimatePendingCompactionBytes(shapes.Version).ToString(ci);

            default:
                throw new InvalidOperationException($"Unknown command '{c.Command}'.");
        }
    }
}
