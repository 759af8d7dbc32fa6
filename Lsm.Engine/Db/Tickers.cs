namespace Lsm.Engine.Db;

/// <summary>
/// One database's <see cref="Ticker"/> counts, striped by processor so that readers on different cores do not write
/// the same cache line: <see cref="Add"/> touches the calling core's stripe, <see cref="Get"/> sums the stripes.
/// </summary>
/// <remarks>
/// Thread-safe and allocation-free after construction. A sum read while others add may miss their latest adds,
/// which a statistic tolerates; no add is ever lost.
/// </remarks>
internal sealed class Tickers
{
    /// <summary>Longs per stripe: every ticker, rounded up to whole 128-byte lines (two cache lines, against adjacent-line prefetch).</summary>
    private static readonly int Stride = (TickerNames.Count + 15) & ~15;

    private readonly long[] _counts;
    private readonly int _mask;

    public Tickers()
    {
        int stripes = (int)Math.Min(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));
        _mask = stripes - 1;
        _counts = new long[(stripes * Stride) + 16]; // + one padding line before the first stripe's counters
    }

    /// <summary>Adds <paramref name="count"/> to a ticker.</summary>
    public void Add(Ticker ticker, long count = 1)
    {
        int stripe = Thread.GetCurrentProcessorId() & _mask;
        Interlocked.Add(ref _counts[16 + (stripe * Stride) + (int)ticker], count);
    }

    /// <summary>
    /// The calling core's stripe, for a path that adds several tickers at once (a point lookup): one processor-id
    /// read for all of them. Use it at once and drop it; a thread moved to another core meanwhile still adds correctly.
    /// </summary>
    public Stripe CurrentStripe() => new(_counts, 16 + ((Thread.GetCurrentProcessorId() & _mask) * Stride));

    /// <summary>The ticker's total over every stripe.</summary>
    public long Get(Ticker ticker)
    {
        long sum = 0;
        for (int stripe = 0; stripe <= _mask; stripe++)
        {
            sum += Volatile.Read(ref _counts[16 + (stripe * Stride) + (int)ticker]);
        }

        return sum;
    }

    /// <summary>One stripe of a <see cref="Tickers"/>: adds to its counters (atomically, so no add is lost).</summary>
    public readonly ref struct Stripe
    {
        private readonly long[] _counts;
        private readonly int _offset;

        internal Stripe(long[] counts, int offset)
        {
            _counts = counts;
            _offset = offset;
        }

        /// <summary>Adds <paramref name="count"/> to a ticker; nothing at all for 0.</summary>
        public void Add(Ticker ticker, long count)
        {
            if (count != 0)
            {
                Interlocked.Add(ref _counts[_offset + (int)ticker], count);
            }
        }
    }
}
