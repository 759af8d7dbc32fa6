using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Bench.Db;

/// <summary>
/// A log-linear histogram of <see cref="Stopwatch"/> tick counts: exact below 64 ticks, then 32 buckets per
/// power of two (at most about 3% error). Fixed size, so recording never allocates. Not thread-safe: one per thread, merged after.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int BucketCount = ((64 - SubBucketBits) * SubBuckets) + SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _max;

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Largest value recorded, in ticks.</summary>
    public long MaxTicks => _max;

    /// <summary>Records one latency of <paramref name="ticks"/> Stopwatch ticks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        _counts[Index((ulong)ticks)]++;
        Count++;
        if (ticks > _max)
        {
            _max = ticks;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> to this histogram.</summary>
    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), in microseconds: the midpoint of its bucket, at most the maximum.</summary>
    public double PercentileMicros(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        long target = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= target)
            {
                (ulong low, ulong high) = Bounds(i);
                double mid = Math.Min((low + high) / 2.0, _max);
                return TicksToMicros(mid);
            }
        }

        return TicksToMicros(_max);
    }

    /// <summary>The largest value, in microseconds.</summary>
    public double MaxMicros => TicksToMicros(_max);

    public static double TicksToMicros(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Index(ulong value)
    {
        if (value < 2 * SubBuckets)
        {
            return (int)value;
        }

        int msb = 63 - BitOperations.LeadingZeroCount(value);
        int shift = msb - SubBucketBits;
        int mantissa = (int)(value >> shift); // in [32, 64)
        return ((shift + 1) << SubBucketBits) + mantissa - SubBuckets;
    }

    private static (ulong Low, ulong High) Bounds(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return ((ulong)index, (ulong)index);
        }

        int shift = (index >> SubBucketBits) - 1;
        ulong mantissa = (ulong)((index & (SubBuckets - 1)) + SubBuckets);
        return (mantissa << shift, ((mantissa + 1) << shift) - 1);
    }
}
