namespace Lsm.Engine;

/// <summary>
/// How a column family merges its table files (RocksDB <c>compaction_style</c>; the values are RocksDB's, as
/// the OPTIONS file records them).
/// </summary>
public enum CompactionStyle
{
    /// <summary>
    /// Leveled: L1 and up each hold one sorted run of non-overlapping files, each level about
    /// <see cref="ColumnFamilyOptions.MaxBytesForLevelMultiplier"/> times larger than the one above. Lowest
    /// read and space amplification, highest write amplification. RocksDB's default, and ours.
    /// </summary>
    Level = 0,

    /// <summary>
    /// Universal (tiered): sorted runs of similar size are merged as a whole, newest first. Lower write
    /// amplification, higher read and (transiently, up to a full compaction) space amplification.
    /// </summary>
    Universal = 1,
}
