using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Bench.Db;

/// <summary>
/// YCSB's scrambled zipfian key chooser over 0..n-1: a zipfian rank (rank r drawn with probability proportional to
/// 1/(r+1)^theta, by the method of Gray et al., "Quickly Generating Billion-Record Synthetic Databases", SIGMOD 1994,
/// as YCSB's <c>ZipfianGenerator</c>) is hashed (FNV-1a 64 of its 8 bytes) modulo n, so the hot keys are spread over
/// the key space instead of crowding its start (YCSB's <c>ScrambledZipfianGenerator</c>; like it, the hash may map
/// two ranks to one key and leave some keys undrawn).
/// </summary>
/// <remarks>
/// zeta(n, theta) = sum over i = 1..n of 1/i^theta is computed exactly, once per (n, theta) in a process
/// (<see cref="For"/>): a loop of n pow calls, about 0.1 s for 5,000,000 keys. Immutable after construction, so one
/// instance serves every thread; a draw is one uniform double, one pow and a hash, and allocates nothing.
/// </remarks>
internal sealed class ScrambledZipfian
{
    /// <summary>YCSB's default zipfian constant.</summary>
    public const double DefaultTheta = 0.99;

    private static readonly ConcurrentDictionary<(long, double), ScrambledZipfian> Instances = new();

    private readonly long _n;
    private readonly double _zetaN;
    private readonly double _alpha;
    private readonly double _eta;
    private readonly double _secondThreshold;

    private ScrambledZipfian(long n, double theta)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        if (!(theta is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "theta must be in (0, 1)");
        }

        _n = n;
        _zetaN = Zeta(n, theta);
        double zeta2 = 1 + Math.Pow(0.5, theta);
        _alpha = 1 / (1 - theta);
        _eta = n < 2 ? 0 : (1 - Math.Pow(2.0 / n, 1 - theta)) / (1 - (zeta2 / _zetaN));
        _secondThreshold = zeta2;
    }

    /// <summary>The chooser over 0..<paramref name="n"/>-1 with constant <paramref name="theta"/>, built (zeta computed) once per process.</summary>
    public static ScrambledZipfian For(long n, double theta) => Instances.GetOrAdd((n, theta), static k => new ScrambledZipfian(k.Item1, k.Item2));

    /// <summary>The next key number in 0..n-1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(ref BenchRandom random) => (long)(Fnv1a64(Rank(random.NextDouble())) % (ulong)_n);

    /// <summary>The zipfian rank (0 the most frequent) of the uniform number <paramref name="u"/> in [0, 1).</summary>
    public long Rank(double u)
    {
        double uz = u * _zetaN;
        if (uz < 1)
        {
            return 0;
        }

        if (uz < _secondThreshold || _n < 3)
        {
            return Math.Min(1, _n - 1);
        }

        long rank = (long)(_n * Math.Pow((_eta * u) - _eta + 1, _alpha));
        return Math.Min(rank, _n - 1);
    }

    private static double Zeta(long n, double theta)
    {
        double sum = 0;
        for (long i = 1; i <= n; i++)
        {
            sum += 1 / Math.Pow(i, theta);
        }

        return sum;
    }

    /// <summary>FNV-1a 64 of the 8 little-endian bytes of <paramref name="value"/> (YCSB hashes its ranks with FNV 64).</summary>
    private static ulong Fnv1a64(long value)
    {
        ulong hash = 0xCBF29CE484222325UL;
        ulong v = (ulong)value;
        for (int i = 0; i < 8; i++)
        {
            hash ^= v & 0xFF;
            hash *= 0x100000001B3UL;
            v >>= 8;
        }

        return hash;
    }
}

/// <summary>
/// One thread's key chooser for the read workloads: uniform over 0..num-1, or the shared
/// <see cref="ScrambledZipfian"/>; a value type around the thread's own generator, so drawing allocates nothing.
/// </summary>
internal struct KeyChooser(long num, ScrambledZipfian? zipfian, ulong seed)
{
    private BenchRandom _random = new(seed);

    /// <summary>The next key number in 0..num-1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next() => zipfian is null ? _random.NextBelow(num) : zipfian.Next(ref _random);
}
