using System.Diagnostics;

namespace Lsm.Engine.Db;

/// <summary>
/// The database-wide brake on writes (RocksDB's WriteController): each column family reports its stall
/// condition; writes stop while any family is stopped, and are paced to <see cref="DelayedWriteRate"/> bytes per
/// second while any is delayed.
/// </summary>
/// <remarks>
/// <para><b>Pacing.</b> A token bucket refilled every millisecond: a write of n bytes takes n bytes of credit;
/// without enough, the caller sleeps for the time the missing bytes take at the rate (at least one refill
/// interval), and the debt moves the next refill later, so a burst of writers is paced as a whole.</para>
/// <para><b>Rate.</b> Entering a delay starts at the user's rate (<see cref="MaxDelayedWriteRate"/>, RocksDB's
/// <c>delayed_write_rate</c>). While delayed, each re-evaluation adjusts it, as RocksDB's SetupDelay: × 0.6 when the
/// family has just been stopped or is near stopping, × 0.8 when its pending compaction bytes did not shrink, × 1.25
/// (never above the user's rate) when they did; never below 16 KiB/s. Leaving the delay multiplies it by 1.4, up
/// to the user's rate.</para>
/// <para>Not thread-safe: the database calls it under its mutex.</para>
/// </remarks>
internal sealed class WriteController
{
    /// <summary>The slowest pace the adjustments go down to (RocksDB's kMinWriteRate).</summary>
    public const long MinWriteRate = 16 * 1024;

    private const long MicrosPerRefill = 1000;
    private const double NearStopSlowdownRatio = 0.6;
    private const double IncreasingDebtSlowdownRatio = 0.8;
    private const double DecreasingDebtSpeedupRatio = 1 / IncreasingDebtSlowdownRatio;
    private const double DelayRecoverSpeedupRatio = 1.4;

    private readonly Func<long> _clockMicros;
    private readonly Dictionary<uint, FamilyState> _families = [];
    private int _stopped;
    private int _delayed;
    private long _credit;
    private long _nextRefill;

    /// <param name="maxDelayedWriteRate">The user's delayed write rate in bytes per second (RocksDB's default 16 MiB/s).</param>
    /// <param name="clockMicros">A monotonic clock in microseconds; tests pass their own.</param>
    public WriteController(long maxDelayedWriteRate, Func<long>? clockMicros = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelayedWriteRate, 1);
        MaxDelayedWriteRate = maxDelayedWriteRate;
        DelayedWriteRate = maxDelayedWriteRate;
        _clockMicros = clockMicros ?? (() => Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000));
    }

    public long MaxDelayedWriteRate { get; }

    /// <summary>The pace of delayed writes now, bytes per second.</summary>
    public long DelayedWriteRate { get; private set; }

    /// <summary>Whether some family stops writes.</summary>
    public bool IsStopped => _stopped > 0;

    /// <summary>Whether some family slows writes down (and none stops them).</summary>
    public bool NeedsDelay => _delayed > 0 && _stopped == 0;

    /// <summary>Times a family entered a stop, by cause (index: <see cref="WriteStallCause"/>), and stalls of the write buffer manager.</summary>
    public long[] Stops { get; } = new long[(int)WriteStallCause.WriteBufferManager + 1];

    /// <summary>Times a family entered a delay, by cause.</summary>
    public long[] Delays { get; } = new long[(int)WriteStallCause.WriteBufferManager + 1];

    /// <summary>Microseconds writers spent stopped or delayed (the database adds what it waited).</summary>
    public long StalledMicros { get; set; }

    /// <summary>
    /// Records a family's condition after its shape changed (a flush, a compaction, a memtable switch).
    /// </summary>
    /// <param name="columnFamilyId">The family.</param>
    /// <param name="condition">Its condition now.</param>
    /// <param name="cause">Why.</param>
    /// <param name="pendingCompactionBytes">Its pending compaction bytes now, for the rate adjustment.</param>
    /// <param name="nearStop">Whether it is near stopping (<see cref="WriteStall.NearStop"/>).</param>
    /// <param name="autoCompactionsDisabled">With compactions off the rate stays the user's.</param>
    public void Update(uint columnFamilyId, WriteStallCondition condition, WriteStallCause cause, ulong pendingCompactionBytes, bool nearStop, bool autoCompactionsDisabled)
    {
        FamilyState previous = _families.GetValueOrDefault(columnFamilyId);
        bool wasStopped = IsStopped;
        bool neededDelay = NeedsDelay;
        Release(previous.Condition);

        if (condition == WriteStallCondition.Stopped)
        {
            _stopped++;
            if (previous.Condition != WriteStallCondition.Stopped || previous.Cause != cause)
            {
                Stops[(int)cause]++;
            }
        }
        else if (condition == WriteStallCondition.Delayed)
        {
            DelayedWriteRate = AdjustedRate(
                neededDelay, pendingCompactionBytes, previous.PendingCompactionBytes, wasStopped || nearStop, autoCompactionsDisabled);
            if (_delayed++ == 0)
            {
                // A new delay starts with an empty bucket.
                _credit = 0;
                _nextRefill = 0;
            }

            if (previous.Condition != WriteStallCondition.Delayed || previous.Cause != cause)
            {
                Delays[(int)cause]++;
            }
        }
        else if (neededDelay)
        {
            // Recovering from a delay is rewarded by more than a step of slowdown costs.
            DelayedWriteRate = Math.Min(MaxDelayedWriteRate, (long)(DelayedWriteRate * DelayRecoverSpeedupRatio));
        }

        _families[columnFamilyId] = new FamilyState(condition, cause, pendingCompactionBytes);
    }

    /// <summary>Counts a stop that is no family's condition: a writer waiting for the write buffer manager.</summary>
    public void RecordStop(WriteStallCause cause) => Stops[(int)cause]++;

    /// <summary>Forgets a dropped family's condition.</summary>
    public void Remove(uint columnFamilyId)
    {
        if (_families.Remove(columnFamilyId, out FamilyState state))
        {
            Release(state.Condition);
        }
    }

    /// <summary>The stall condition a family last reported.</summary>
    public (WriteStallCondition Condition, WriteStallCause Cause) ConditionOf(uint columnFamilyId)
    {
        FamilyState state = _families.GetValueOrDefault(columnFamilyId);
        return (state.Condition, state.Cause);
    }

    /// <summary>
    /// How long a write of <paramref name="bytes"/> must wait before it goes on, in microseconds; 0 when it need
    /// not (no delay, stopped — the caller waits for the stop to clear instead —, or enough credit).
    /// </summary>
    public long GetDelayMicros(long bytes)
    {
        if (!NeedsDelay)
        {
            return 0;
        }

        if (_credit >= bytes)
        {
            _credit -= bytes;
            return 0;
        }

        long now = _clockMicros();
        if (_nextRefill == 0)
        {
            _nextRefill = now; // the first interval's allotment
        }

        if (_nextRefill <= now)
        {
            long elapsed = now - _nextRefill + MicrosPerRefill;
            _credit += (long)Math.Ceiling(elapsed / 1e6 * DelayedWriteRate);
            _nextRefill = now + MicrosPerRefill;
            if (_credit >= bytes)
            {
                _credit -= bytes;
                return 0;
            }
        }

        long overBudget = bytes - _credit;
        _credit = 0;
        _nextRefill += (long)(overBudget * 1e6 / DelayedWriteRate);
        return Math.Max(_nextRefill - now, MicrosPerRefill);
    }

    private long AdjustedRate(bool neededDelay, ulong pending, ulong previousPending, bool penalize, bool autoCompactionsDisabled)
    {
        long rate = DelayedWriteRate;
        if (autoCompactionsDisabled)
        {
            return MaxDelayedWriteRate;
        }

        if (!neededDelay || MaxDelayedWriteRate <= MinWriteRate)
        {
            return rate; // a new delay starts at the current rate; a user rate below the minimum is not adjusted
        }

        if (penalize)
        {
            return Math.Max(MinWriteRate, (long)(rate * NearStopSlowdownRatio));
        }

        if (previousPending > 0 && previousPending <= pending)
        {
            return Math.Max(MinWriteRate, (long)(rate * IncreasingDebtSlowdownRatio));
        }

        if (previousPending > pending)
        {
            return Math.Min(MaxDelayedWriteRate, (long)(rate * DecreasingDebtSpeedupRatio));
        }

        return rate;
    }

    private void Release(WriteStallCondition condition)
    {
        if (condition == WriteStallCondition.Stopped)
        {
            _stopped--;
        }
        else if (condition == WriteStallCondition.Delayed)
        {
            _delayed--;
        }
    }

    private readonly record struct FamilyState(WriteStallCondition Condition, WriteStallCause Cause, ulong PendingCompactionBytes);
}
