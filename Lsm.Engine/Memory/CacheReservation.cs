using System.Diagnostics;

namespace Lsm.Engine.Memory;

/// <summary>
/// Charges memory held outside a <see cref="BlockCache"/> (memtables) to the cache in whole <see cref="Unit"/>s, so the
/// cache's capacity bounds both (RocksDB's <c>CacheReservationManager</c> with delayed decrease, whose dummy entries are
/// 1 MiB each).
/// </summary>
/// <remarks>
/// <para><b>Rule.</b> <see cref="Update"/> with the memory now used: when it exceeds the reservation, the reservation
/// grows in units until it covers it; when it falls below three quarters of the reservation, the reservation shrinks to
/// the smallest multiple of the unit that covers it; in between nothing changes. Growing evicts blocks
/// (<see cref="BlockCache.Reserve"/>), an expensive step the delayed decrease keeps from repeating while memory rises
/// and falls around a unit.</para>
/// <para><b>Thread safety.</b> None: the owner serializes <see cref="Update"/> (the write buffer manager's lock);
/// <see cref="Reserved"/> may be read from any thread.</para>
/// <para><b>Invariants.</b> <see cref="Reserved"/> is a multiple of <see cref="Unit"/>; after an update with
/// <c>used</c>, used ≤ <see cref="Reserved"/> &lt; max(used × 4/3, used) + <see cref="Unit"/>.</para>
/// </remarks>
internal sealed class CacheReservation
{
    /// <summary>The reservation step: 1 MiB.</summary>
    public const long Unit = 1L << 20;

    private readonly BlockCache _cache;
    private long _reserved;

    public CacheReservation(BlockCache cache) => _cache = cache;

    /// <summary>Bytes reserved in the cache now.</summary>
    public long Reserved => Volatile.Read(ref _reserved);

    /// <summary>Brings the reservation in line with <paramref name="used"/> bytes (see remarks).</summary>
    /// <returns>The change in bytes reserved: positive when reserved, negative when returned, 0 when unchanged.</returns>
    public long Update(long used)
    {
        Debug.Assert(used >= 0, "negative memory");
        long target = Target(_reserved, used);
        long delta = target - _reserved;
        if (delta > 0)
        {
            _cache.Reserve(delta);
        }
        else if (delta < 0)
        {
            _cache.Unreserve(-delta);
        }

        Volatile.Write(ref _reserved, target);
        return delta;
    }

    /// <summary>The reservation that follows <paramref name="reserved"/> when <paramref name="used"/> bytes are in use (the rule in the remarks).</summary>
    public static long Target(long reserved, long used)
    {
        if (used <= reserved && used >= reserved / 4 * 3)
        {
            return reserved; // covered, and not so far below the reservation that returning some is worth it
        }

        return RoundUp(used);
    }

    private static long RoundUp(long bytes) => (bytes + Unit - 1) / Unit * Unit;
}
