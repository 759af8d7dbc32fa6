namespace Lsm.Engine;

/// <summary>
/// What recovery does with a damaged write-ahead log: RocksDB's <c>WALRecoveryMode</c>, with its names,
/// values and semantics.
/// </summary>
/// <remarks>
/// <para>Two kinds of damage are told apart (format-spec.md, section 14.1):</para>
/// <list type="bullet">
/// <item><description>
/// A <b>torn tail</b>: the log's last record is cut short by the end of the file (a partial header, a
/// partial payload, or the fragments of a record without its last one). This is what a crash in the
/// middle of a write leaves; the record was never acknowledged as durable, so nothing is lost.
/// </description></item>
/// <item><description>
/// <b>Corruption</b>: a whole record fails its checksum, has an impossible length or an unknown type,
/// a fragment arrives out of sequence, or padding holds data. Acknowledged writes may be lost.
/// </description></item>
/// </list>
/// <para>
/// This engine's default is <see cref="TolerateCorruptedTailRecords"/>, stricter than RocksDB's default
/// (<see cref="PointInTimeRecovery"/>): a record that is whole but fails its checksum stops the open with
/// a <see cref="CorruptionException"/> naming the file and offset, at the tail as anywhere else. Zeros
/// where a record would start (preallocated space) are padding, not damage, in every mode.
/// </para>
/// </remarks>
public enum WalRecoveryMode
{
    /// <summary>
    /// A torn tail ends the log cleanly (in any log, not only the last); any corruption fails recovery
    /// with a <see cref="CorruptionException"/>. RocksDB's <c>kTolerateCorruptedTailRecords</c>; this engine's default.
    /// </summary>
    /// <remarks>
    /// Not for logs in the recyclable format (RocksDB <c>recycle_log_file_num</c> &gt; 0): after the last
    /// record of a reused file come the leftovers of its previous use, which cannot be told from corruption.
    /// RocksDB 11 therefore turns recycling off in this mode and in <see cref="AbsoluteConsistency"/>; such
    /// logs are read with <see cref="PointInTimeRecovery"/>, which stops where the leftovers begin.
    /// </remarks>
    TolerateCorruptedTailRecords = 0,

    /// <summary>
    /// Any damage, a torn tail included, fails recovery with a <see cref="CorruptionException"/>: for logs
    /// known to have been closed cleanly. RocksDB's <c>kAbsoluteConsistency</c>.
    /// </summary>
    AbsoluteConsistency = 1,

    /// <summary>
    /// Recovery replays records up to the first damage (torn tail or corruption) and stops there: the
    /// database opens in the consistent state it had just before. RocksDB's <c>kPointInTimeRecovery</c>
    /// (RocksDB's default).
    /// </summary>
    PointInTimeRecovery = 2,

    /// <summary>
    /// Damaged records are skipped and counted, and replay continues after them: a last resort that can
    /// lose writes from the middle of the history. RocksDB's <c>kSkipAnyCorruptedRecords</c>.
    /// </summary>
    SkipAnyCorruptedRecords = 3,
}
