using System.Diagnostics;
using System.Globalization;
using Lsm.Engine.Table.Filter;
using static System.FormattableString;

namespace Lsm.Engine.Bench;

/// <summary>
/// Measures the false-positive rate of the FastLocalBloom filter: N keys added, N other keys probed.
/// </summary>
/// <remarks>
/// Uses <see cref="FullFilterBuilder"/> and <see cref="FilterReader"/> directly, so the numbers are the
/// filter's own, not diluted by the table's index. The expected rate is that of a Bloom filter whose
/// probes all land in one 512-bit block chosen per key (keys per block ~ Poisson), which is what RocksDB's
/// cache-local layout is; it is a little above the textbook rate of an unblocked Bloom filter.
/// </remarks>
internal static class FalsePositiveRate
{
    /// <summary>The densities the demo and <c>fpr</c> report by default.</summary>
    public static readonly double[] DefaultBitsPerKey = [6, 10, 16];

    /// <summary>Keys added (and absent keys probed) by default.</summary>
    public const int DefaultKeys = 1_000_000;

    /// <summary><c>fpr [keys] [bits/key ...]</c>: prints the table; returns the exit code.</summary>
    public static int Run(ReadOnlySpan<string> args)
    {
        int keys = DefaultKeys;
        double[] bits = DefaultBitsPerKey;
        if (args.Length > 0)
        {
            if (!int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out keys) || keys < 1 || keys > 100_000_000)
            {
                Console.Error.WriteLine($"fpr: bad key count '{args[0]}' (1 to 100000000).");
                return 2;
            }

            if (args.Length > 1)
            {
                bits = new double[args.Length - 1];
                for (int i = 1; i < args.Length; i++)
                {
                    if (!double.TryParse(args[i], NumberStyles.Float, CultureInfo.InvariantCulture, out bits[i - 1])
                        || bits[i - 1] < 1 || bits[i - 1] > 100)
                    {
                        Console.Error.WriteLine($"fpr: bad bits/key '{args[i]}' (1 to 100).");
                        return 2;
                    }
                }
            }
        }

        bool ok = true;
        Console.WriteLine(Invariant($"FastLocalBloom false-positive rate: {keys:N0} keys added, {keys:N0} absent keys probed"));
        PrintHeader();
        foreach (double b in bits)
        {
            FprResult result = Measure(b, keys);
            Print(result);
            ok &= result.FalseNegatives == 0;
        }

        return ok ? 0 : 1;
    }

    /// <summary>Builds a filter of <paramref name="keys"/> keys at <paramref name="bitsPerKey"/> and probes as many absent keys.</summary>
    public static FprResult Measure(double bitsPerKey, int keys)
    {
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        var stopwatch = Stopwatch.StartNew();
        var builder = new FullFilterBuilder(bitsPerKey);
        for (int i = 0; i < keys; i++)
        {
            BenchData.FormatKey(key, i);
            builder.AddKey(key);
        }

        byte[] filter = builder.Finish();
        TimeSpan buildTime = stopwatch.Elapsed;

        stopwatch.Restart();
        FilterReader reader = FilterReader.Create(filter);
        long falseNegatives = 0;
        for (int i = 0; i < keys; i++)
        {
            BenchData.FormatKey(key, i);
            if (!reader.KeyMayMatch(key))
            {
                falseNegatives++;
            }
        }

        long falsePositives = 0;
        for (long i = keys; i < 2L * keys; i++)
        {
            BenchData.FormatKey(key, i);
            if (reader.KeyMayMatch(key))
            {
                falsePositives++;
            }
        }

        TimeSpan probeTime = stopwatch.Elapsed;
        int probes = reader.NumProbes;
        long bitArrayBytes = filter.Length - FilterReader.MetadataLength;
        return new FprResult(
            bitsPerKey,
            keys,
            filter.Length,
            probes,
            falseNegatives,
            falsePositives,
            ExpectedCacheLocalRate(keys, bitArrayBytes, probes),
            StandardBloomRate(bitArrayBytes * 8.0 / keys, probes),
            buildTime,
            probeTime);
    }

    public static void PrintHeader()
    {
        Console.WriteLine("  bits/key  actual  probes  filter bytes  false neg  false pos     FPR   expected  std Bloom   build ms  probe ms");
    }

    public static void Print(FprResult r)
    {
        Console.WriteLine(Invariant(
            $"  {r.BitsPerKey,8:0.##}  {r.ActualBitsPerKey,6:0.00}  {r.NumProbes,6}  {r.FilterBytes,12:N0}  {r.FalseNegatives,9}  {r.FalsePositives,9:N0}  {r.Rate,6:P3}  {r.ExpectedRate,8:P3}  {r.StandardBloomRate,8:P3}  {r.BuildTime.TotalMilliseconds,9:0}  {r.ProbeTime.TotalMilliseconds,8:0}"));
    }

    /// <summary>
    /// FPR of a cache-local Bloom filter: the probed key's 512-bit block holds X ~ Poisson(keys / blocks)
    /// keys, each setting <paramref name="probes"/> bits; all probes of the absent key must hit set bits.
    /// </summary>
    public static double ExpectedCacheLocalRate(long keys, long bitArrayBytes, int probes)
    {
        const int BlockBits = 512;
        double blocks = bitArrayBytes / 64.0;
        double lambda = keys / blocks;
        double rate = 0;
        double p = Math.Exp(-lambda); // P(X = 0)
        int limit = (int)(lambda * 4) + 100;
        for (int x = 0; x <= limit; x++)
        {
            if (x > 0)
            {
                p *= lambda / x;
            }

            double bitSet = 1 - Math.Pow(1 - (1.0 / BlockBits), (double)probes * x);
            rate += p * Math.Pow(bitSet, probes);
        }

        return rate;
    }

    /// <summary>The textbook Bloom filter FPR, (1 - e^(-k / bitsPerKey))^k.</summary>
    public static double StandardBloomRate(double bitsPerKey, int probes) =>
        Math.Pow(1 - Math.Exp(-probes / bitsPerKey), probes);
}
