using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Bench;

/// <summary>One false-positive-rate measurement of a Bloom filter.</summary>
/// <param name="BitsPerKey">The configured bits per key.</param>
/// <param name="Keys">Keys added to the filter (and absent keys probed).</param>
/// <param name="FilterBytes">Size of the filter block, trailer included.</param>
/// <param name="NumProbes">Probes per key the builder chose.</param>
/// <param name="FalseNegatives">Added keys the filter rejected: must be 0.</param>
/// <param name="FalsePositives">Absent keys the filter let through.</param>
/// <param name="ExpectedRate">The rate a 512-bit cache-local Bloom filter of this shape should give.</param>
/// <param name="StandardBloomRate">The textbook rate of a standard Bloom filter, (1 - e^(-k/b))^k, for comparison.</param>
/// <param name="BuildTime">Time to add the keys and finish the filter.</param>
/// <param name="ProbeTime">Time to probe every present and absent key.</param>
internal readonly record struct FprResult(
    double BitsPerKey,
    int Keys,
    long FilterBytes,
    int NumProbes,
    long FalseNegatives,
    long FalsePositives,
    double ExpectedRate,
    double StandardBloomRate,
    TimeSpan BuildTime,
    TimeSpan ProbeTime)
{
    /// <summary>False positives over absent keys probed.</summary>
    public double Rate => (double)FalsePositives / Keys;

    /// <summary>Actual bits of filter per key after rounding to 64-byte blocks.</summary>
    public double ActualBitsPerKey => (FilterBytes - FilterReader.MetadataLength) * 8.0 / Keys;
}
