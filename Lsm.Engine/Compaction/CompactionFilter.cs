namespace Lsm.Engine;

/// <summary>
/// Decides, during compaction, whether a key's value is kept, removed or replaced: the hook behind time-to-live and
/// other application-defined garbage collection (RocksDB's <c>CompactionFilter</c>, its <c>FilterV2</c> restricted to
/// plain values). Set it per column family with <see cref="ColumnFamilyOptions.CompactionFilter"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>What the filter is shown.</b> For each user key of a compaction, at most once: its newest version among the
/// compaction's inputs, provided that version is a value (never a deletion or a merge operand), is not deleted by a
/// range deletion, and is visible to every live snapshot (its sequence number is at most the oldest snapshot's).
/// A newer value that some snapshot cannot see is left alone until a later compaction, after those snapshots are
/// released; so a filter never changes a version one snapshot sees while another snapshot sees an older one.
/// RocksDB shows the filter a key's newest version whatever the snapshots; this engine keeps snapshots repeatable.
/// Values produced by merging operands are not shown to the filter.
/// </para>
/// <para>
/// <b>Threading.</b> One instance serves every compaction of its column family, possibly several at once on
/// different threads: implementations must be thread-safe, and should be fast and deterministic. An exception
/// thrown by <see cref="Filter"/> fails the compaction, which then leaves the database as it was.
/// </para>
/// </remarks>
public abstract class CompactionFilter
{
    /// <summary>The filter's name, for logs and diagnostics (RocksDB's <c>CompactionFilter::Name</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Decides what becomes of one value.</summary>
    /// <param name="level">The level the compaction reads from: the smallest of its input levels, as RocksDB passes.</param>
    /// <param name="key">The user key.</param>
    /// <param name="existingValue">The value the key has, visible to every live snapshot.</param>
    /// <param name="newValue">With <see cref="CompactionDecision.ChangeValue"/>, the replacement value; otherwise ignored (set it to null).</param>
    /// <returns>Keep the value, remove the key, or replace the value by <paramref name="newValue"/>.</returns>
    public abstract CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue);
}
