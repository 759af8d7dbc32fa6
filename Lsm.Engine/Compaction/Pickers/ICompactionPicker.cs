using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// Decides what a column family compacts next: pure decision logic over a <see cref="Version"/>, with no I/O
/// (RocksDB's <c>CompactionPicker</c>). One picker per column family, made by
/// <see cref="CompactionPickerFactory.Create"/> from the family's <see cref="ColumnFamilyOptions"/>.
/// </summary>
/// <remarks>
/// <para>
/// Contract: every method reads the version and the running compactions and returns a decision; none changes
/// the version, the files or the picker. The caller (the database, under its mutex) marks the chosen files busy
/// by adding the plan to its running set (or setting <see cref="Versions.FileMetadata.BeingCompacted"/>)
/// before it releases the mutex, runs the plan, installs the result, and drops the plan from the running set.
/// Every plan satisfies the invariants listed on <see cref="CompactionPlan"/>. Implementations are stateless
/// apart from their options, hence thread-safe.
/// </para>
/// <para>
/// Adding a third style: (1) add a value to <see cref="CompactionStyle"/> and, if it needs tuning, an options
/// record beside <see cref="UniversalCompactionOptions"/>, a property for it in the compaction block of
/// <see cref="ColumnFamilyOptions"/> and its checks in <c>ValidateCompaction</c>; (2) write an
/// <c>internal sealed class</c> implementing this interface in this folder, building plans with the helpers of
/// <see cref="FileRanges"/> (overlap, clean cuts, bottommost) and respecting <see cref="CompactionsInProgress"/>;
/// (3) return it from <see cref="CompactionPickerFactory.Create"/>; (4) run the picker contract tests
/// (<c>CompactionPickerContractTests</c>) over it by adding its options to their style list, and add
/// data-driven cases for its own rules. The interface stays internal because a plan names the engine's
/// internal file metadata; a picker from outside the assembly would need that surface made public first.
/// </para>
/// </remarks>
internal interface ICompactionPicker
{
    /// <summary>The style this picker implements.</summary>
    CompactionStyle Style { get; }

    /// <summary>
    /// The compaction score of every level (index = level). A score of 1 or more asks for a compaction; levels that
    /// are never compaction inputs score 0. Universal reports its single sorted-run score at index 0.
    /// </summary>
    /// <param name="version">The column family's current files.</param>
    /// <param name="running">The compactions already running; their inputs do not count.</param>
    /// <returns>One score per level.</returns>
    double[] LevelScores(Version version, IReadOnlyCollection<CompactionPlan> running);

    /// <summary>Whether some level scores 1 or more (a background compaction should be scheduled).</summary>
    /// <param name="version">The column family's current files.</param>
    /// <param name="running">The compactions already running.</param>
    /// <returns>True when a compaction is due.</returns>
    bool NeedsCompaction(Version version, IReadOnlyCollection<CompactionPlan> running);

    /// <summary>
    /// Picks the next automatic compaction, or null when none is due or every due one conflicts with
    /// <paramref name="running"/>.
    /// </summary>
    /// <param name="version">The column family's current files.</param>
    /// <param name="running">The compactions already running: their inputs are never picked again, and no plan
    /// writes into a key range of a level that a running one writes to.</param>
    /// <returns>The plan, or null.</returns>
    CompactionPlan? PickCompaction(Version version, IReadOnlyCollection<CompactionPlan> running);

    /// <summary>
    /// Picks the next step of a manual compaction of the user keys [<paramref name="begin"/>, <paramref name="end"/>]
    /// (null bounds are unbounded). Leveled: the shallowest level from <paramref name="fromLevel"/> on with files in
    /// the range compacts them into the next level (L0 into the base level), down to the deepest level holding
    /// data (dynamic targets: the last level). Universal: every file, whatever the range, into the last level.
    /// </summary>
    /// <remarks>
    /// Drive it as a loop: start with <paramref name="fromLevel"/> 0; after running a plan, call again with the
    /// new version and <see cref="CompactionPlan.NextManualLevel"/>; stop at null. When
    /// <paramref name="conflict"/> comes back true, the step's files are busy: wait for a running compaction to
    /// finish and retry with the same level.
    /// </remarks>
    /// <param name="version">The column family's current files.</param>
    /// <param name="running">The compactions already running.</param>
    /// <param name="begin">The smallest user key to compact, or null for the first key.</param>
    /// <param name="end">The largest user key to compact, or null for the last key.</param>
    /// <param name="fromLevel">The shallowest level to consider.</param>
    /// <param name="conflict">True when a step is due but its files are busy (the result is then null).</param>
    /// <returns>The plan, or null when nothing is left to do (or on conflict).</returns>
    CompactionPlan? PickRange(Version version, IReadOnlyCollection<CompactionPlan> running, byte[]? begin, byte[]? end, int fromLevel, out bool conflict);

    /// <summary>
    /// The estimated bytes compaction still has to rewrite to bring the tree into shape, which the write
    /// controller compares with the pending-compaction-bytes limits (RocksDB
    /// <c>estimated_compaction_needed_bytes</c>).
    /// </summary>
    /// <param name="version">The column family's current files.</param>
    /// <returns>The estimate in bytes.</returns>
    ulong EstimatePendingCompactionBytes(Version version);
}
