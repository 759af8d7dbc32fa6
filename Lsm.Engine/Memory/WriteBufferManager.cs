using System.Diagnostics;
using Lsm.Engine.Memory;

namespace Lsm.Engine;

/// <summary>
/// A byte budget for the memtables (active and immutable) of every column family of one or several databases that
/// share it (RocksDB's <c>WriteBufferManager</c>): when their memory nears the budget, the database that writes next
/// flushes its largest memtable early; with <see cref="AllowStall"/>, writes wait while the budget is exceeded. Give it
/// to databases with <see cref="DbOptions.WriteBufferManager"/>.
/// </summary>
/// <remarks>
/// <para><b>What is counted.</b> A memtable charges the native chunks of its arena as it takes them (at most 1 MiB
/// each: an eighth of the write buffer size), never per entry; the charge is mutable until the memtable is switched
/// to immutable, and is returned when the memtable's memory is freed (after its flush, once no reader holds it). An
/// empty memtable already holds one chunk.</para>
/// <para><b>When a database flushes early</b> (<see cref="ShouldFlush"/>, RocksDB's rule): mutable memory above
/// seven eighths of <see cref="BufferSize"/>, or all memory at or above <see cref="BufferSize"/> with mutable memory at
/// least half of it (when more than half is already being flushed, another flush would not help). Before each write
/// group, a database sharing the manager then switches its <b>largest</b> non-empty mutable memtable to immutable, which
/// the flush threads write to level 0. RocksDB picks the family with the oldest memtable, to release old logs sooner;
/// the largest frees the most memory per flush, which is what a memory budget asks for. When the largest memtable's
/// family already holds <see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/> − 1 immutable memtables, nothing is
/// switched: its pending flushes will free memory, and switching a smaller memtable would only make small tables.</para>
/// <para><b>Stall</b> (<see cref="AllowStall"/>, RocksDB's <c>allow_stall</c>): while all memory is at or above
/// <see cref="BufferSize"/>, writers wait before their write group, switching memtables as above, until flushes bring
/// memory back under the budget. A database stops waiting when neither it nor any other database sharing the manager
/// has a flush to wait for (all memory in the mutable memtables of databases that do not write): memory another
/// database's idle memtables hold cannot be freed by waiting. Memtables still pinned by an iterator count until it is
/// disposed, as in RocksDB. The wait is counted in the database's stall time and its <c>lsm.stall-stops</c>.</para>
/// <para><b>Cost to cache.</b> Constructed with a <see cref="Lsm.Engine.BlockCache"/>, the manager also charges the memory
/// to that cache, in 1 MiB steps (<see cref="CacheReservationUnit"/>), as RocksDB inserts 1 MiB dummy entries: the
/// cache evicts blocks to make room, so the cache's capacity bounds blocks and memtables together. The reservation
/// grows to cover the memory at once and shrinks only when the memory falls below three quarters of it (RocksDB's
/// delayed decrease), so memory that rises and falls around a step does not churn the cache.
/// <see cref="MemoryBudget"/> builds a cache and a manager together this way, from one number.</para>
/// <para><b>Thread safety.</b> Every member is thread-safe. Charges and releases are interlocked (with cost to cache,
/// serialized under one lock with the reservation), so the counters may lag a concurrent writer by a chunk.</para>
/// <para><b>Invariants.</b> 0 ≤ <see cref="MutableMemtableMemoryUsage"/> ≤ <see cref="MemoryUsage"/>; with cost to
/// cache, <see cref="MemoryUsage"/> ≤ <see cref="CacheReservedBytes"/> &lt; <see cref="MemoryUsage"/> × 4/3 +
/// <see cref="CacheReservationUnit"/> after every update.</para>
/// </remarks>
public sealed class WriteBufferManager
{
    /// <summary>The step in which memtable memory is charged to the block cache: 1 MiB, as RocksDB's dummy entries.</summary>
    public const long CacheReservationUnit = CacheReservation.Unit;

    private readonly CacheReservation? _reservation;
    private readonly Lock _reservationLock = new();
    private long _memoryUsed;
    private long _mutableMemory;

    /// <summary>Creates a manager.</summary>
    /// <param name="bufferSize">
    /// The budget in bytes for the memtables of every database and family that share the manager; 0 turns off early
    /// flushes and stalls, leaving only the accounting (and the charge to <paramref name="blockCache"/>).
    /// </param>
    /// <param name="blockCache">
    /// A cache to charge the memtable memory to as well (cost to cache), or null. The manager does not own it.
    /// </param>
    /// <param name="allowStall">Whether writes wait while the budget is exceeded (see remarks). RocksDB's default: false.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is negative.</exception>
    public WriteBufferManager(long bufferSize, BlockCache? blockCache = null, bool allowStall = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bufferSize);
        BufferSize = bufferSize;
        BlockCache = blockCache;
        AllowStall = allowStall;
        if (blockCache is not null)
        {
            _reservation = new CacheReservation(blockCache);
        }
    }

    /// <summary>The budget in bytes; 0 when the manager only counts.</summary>
    public long BufferSize { get; }

    /// <summary>Whether the manager has a budget (<see cref="BufferSize"/> &gt; 0), so it flushes early and may stall.</summary>
    public bool Enabled => BufferSize > 0;

    /// <summary>The cache the memtable memory is also charged to, or null.</summary>
    public BlockCache? BlockCache { get; }

    /// <summary>Whether the memtable memory is charged to <see cref="BlockCache"/> (RocksDB's <c>cost_to_cache</c>).</summary>
    public bool CostToCache => _reservation is not null;

    /// <summary>Whether writes wait while the memory is at or above the budget.</summary>
    public bool AllowStall { get; }

    /// <summary>Memory of mutable memtables above which a flush is due: seven eighths of <see cref="BufferSize"/>.</summary>
    public long MutableLimit => BufferSize / 8 * 7 + (BufferSize % 8 * 7 / 8); // BufferSize × 7 / 8 without overflow

    /// <summary>Bytes held by every memtable charged to the manager, active and immutable (RocksDB's <c>memory_usage</c>).</summary>
    public long MemoryUsage => Volatile.Read(ref _memoryUsed);

    /// <summary>Bytes held by the memtables still taking writes (RocksDB's <c>mutable_memtable_memory_usage</c>).</summary>
    public long MutableMemtableMemoryUsage => Volatile.Read(ref _mutableMemory);

    /// <summary>Bytes reserved in <see cref="BlockCache"/> for the memtables: whole <see cref="CacheReservationUnit"/>s (RocksDB's <c>dummy_entries_in_cache_usage</c>).</summary>
    public long CacheReservedBytes => _reservation?.Reserved ?? 0;

    /// <summary>
    /// Whether a database should switch a memtable to immutable ahead of its write buffer size: mutable memory above
    /// <see cref="MutableLimit"/>, or all memory at or above <see cref="BufferSize"/> with mutable memory at least half of it.
    /// Always false when not <see cref="Enabled"/>.
    /// </summary>
    public bool ShouldFlush()
    {
        if (!Enabled)
        {
            return false;
        }

        long mutable = MutableMemtableMemoryUsage;
        return mutable > MutableLimit || (MemoryUsage >= BufferSize && mutable >= BufferSize / 2);
    }

    /// <summary>Whether writes should wait now: <see cref="AllowStall"/>, <see cref="Enabled"/>, and the memory at or above <see cref="BufferSize"/>.</summary>
    public bool ShouldStall() => AllowStall && Enabled && MemoryUsage >= BufferSize;

    /// <summary>Whether some charged memory belongs to immutable memtables: flushing, or held by readers, and so on its way out.</summary>
    internal bool HasImmutableMemory => MemoryUsage > MutableMemtableMemoryUsage;

    /// <inheritdoc/>
    public override string ToString() =>
        $"WriteBufferManager {MemoryUsage}/{BufferSize} bytes ({MutableMemtableMemoryUsage} mutable){(CostToCache ? $", {CacheReservedBytes} reserved in cache" : "")}";

    /// <summary>A tracker for one new memtable's arena: it charges the arena's chunks here (RocksDB's <c>AllocTracker</c>).</summary>
    internal MemtableMemoryTracker NewTracker() => new(this);

    /// <summary>Charges <paramref name="bytes"/> of a mutable memtable (RocksDB's <c>ReserveMem</c>).</summary>
    internal void Reserve(long bytes, bool mutable)
    {
        Debug.Assert(bytes >= 0, "negative charge");
        if (mutable)
        {
            Interlocked.Add(ref _mutableMemory, bytes);
        }

        UpdateUsed(bytes);
    }

    /// <summary>Moves <paramref name="bytes"/> from mutable to immutable: their memtable was switched (RocksDB's <c>ScheduleFreeMem</c>).</summary>
    internal void MarkImmutable(long bytes)
    {
        long mutable = Interlocked.Add(ref _mutableMemory, -bytes);
        Debug.Assert(mutable >= 0, "more mutable memory released than charged");
    }

    /// <summary>Returns <paramref name="bytes"/> of a memtable whose memory was freed (RocksDB's <c>FreeMem</c>).</summary>
    internal void Free(long bytes) => UpdateUsed(-bytes);

    /// <summary>Checks the invariants (see remarks); safe only while no memtable is charging or freeing.</summary>
    [Conditional("DEBUG")]
    internal void AssertInvariants()
    {
        long used = MemoryUsage;
        long mutable = MutableMemtableMemoryUsage;
        if (mutable < 0 || mutable > used)
        {
            throw new InvalidOperationException($"WriteBufferManager invariant violated: {mutable} mutable of {used} bytes.");
        }

        if (_reservation is not null && (_reservation.Reserved < used || _reservation.Reserved >= (used * 4 / 3) + CacheReservationUnit))
        {
            throw new InvalidOperationException($"WriteBufferManager invariant violated: {_reservation.Reserved} bytes reserved for {used} bytes used.");
        }
    }

    private void UpdateUsed(long delta)
    {
        if (_reservation is null)
        {
            long used = Interlocked.Add(ref _memoryUsed, delta);
            Debug.Assert(used >= 0, "more memory freed than charged");
            return;
        }

        // The reservation follows the total, so both change under one lock (RocksDB's cache_res_mgr_mu_).
        lock (_reservationLock)
        {
            long used = _memoryUsed + delta;
            Debug.Assert(used >= 0, "more memory freed than charged");
            Volatile.Write(ref _memoryUsed, used);
            _reservation.Update(used);
        }
    }
}
