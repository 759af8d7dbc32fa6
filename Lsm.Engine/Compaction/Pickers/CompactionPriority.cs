namespace Lsm.Engine;

/// <summary>
/// Which file of an over-full level a leveled compaction starts from (RocksDB <c>compaction_pri</c>; the
/// values are RocksDB's). Only the two policies RocksDB recommends are offered.
/// </summary>
public enum CompactionPriority
{
    /// <summary>
    /// The file whose overlap with the next level is smallest relative to its own size, so that each
    /// compaction rewrites the fewest next-level bytes per byte it pushes down. RocksDB's default, and ours.
    /// </summary>
    MinOverlappingRatio = 3,

    /// <summary>
    /// The file at the level's compaction cursor, then the next ones in key order, wrapping around: every
    /// key range is compacted in turn, and a compaction may take several consecutive files.
    /// </summary>
    RoundRobin = 4,
}
