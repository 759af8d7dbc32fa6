namespace Lsm.Engine.Bench.Db;

/// <summary>
/// Values for the db benchmarks: slices of a 1 MiB pool whose pieces are half random printable bytes and
/// half a repeat, so a block of them compresses to about half (db_bench's compression_ratio 0.5). The value of
/// key number n depends only on n, so a read can check what it got. For 100-byte values the pieces are
/// those of <see cref="BenchData.ValuePool"/>.
/// </summary>
internal sealed class BenchValues
{
    private readonly byte[] _pool;
    private readonly int _pieces;

    public BenchValues(int valueLength, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(valueLength);
        Length = valueLength;
        _pieces = Math.Max(1, (1 << 20) / valueLength);
        _pool = new byte[_pieces * valueLength];
        var random = new Random(seed);
        int half = Math.Max(1, valueLength / 2);
        byte[] piece = new byte[half];
        for (int offset = 0; offset < _pool.Length; offset += valueLength)
        {
            for (int i = 0; i < piece.Length; i++)
            {
                piece[i] = (byte)(' ' + random.Next(95));
            }

            for (int i = 0; i < valueLength; i++)
            {
                _pool[offset + i] = piece[i % half];
            }
        }
    }

    /// <summary>Length of every value.</summary>
    public int Length { get; }

    /// <summary>The value of key number <paramref name="n"/>.</summary>
    public ReadOnlySpan<byte> Of(long n)
    {
        int offset = (int)((ulong)(n * 2654435761L) % (ulong)_pieces) * Length;
        return _pool.AsSpan(offset, Length);
    }
}

/// <summary>A small, fast, seeded generator (SplitMix64) so that each thread draws its own key sequence without locks or allocation.</summary>
internal struct BenchRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A uniform number in [0, <paramref name="bound"/>).</summary>
    public long NextBelow(long bound)
    {
        _state += 0x9E3779B97F4A7C15UL;
        return (long)Math.BigMul(Mix(_state), (ulong)bound, out _);
    }

    /// <summary>A uniform number in [0, 1), of 53 random bits.</summary>
    public double NextDouble()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return (Mix(_state) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>SplitMix64's finalizer: derives unrelated seeds from related ones (a seed plus a small number).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
