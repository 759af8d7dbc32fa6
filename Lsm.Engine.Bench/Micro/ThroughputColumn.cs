using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Throughput in MB/s (10^6 bytes per second) for benchmarks with a <c>Size</c> parameter: the bytes one
/// operation processes, divided by the mean time of an operation.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <summary>The parameter that holds the bytes processed per operation.</summary>
    public const string SizeParameter = "Size";

    public string Id => nameof(ThroughputColumn);

    public string ColumnName => "MB/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Throughput: Size bytes per operation over the mean time, in 10^6 bytes per second";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        object? size = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == SizeParameter)?.Value;
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (size is null || meanNs is not > 0)
        {
            return "-";
        }

        double bytes = Convert.ToDouble(size, CultureInfo.InvariantCulture);
        return (bytes / meanNs.Value * 1e3).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) =>
        summary?.BenchmarksCases.Any(c => c.Parameters.Items.Any(p => p.Name == SizeParameter)) ?? false;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
