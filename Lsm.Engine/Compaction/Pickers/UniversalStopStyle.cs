namespace Lsm.Engine;

/// <summary>
/// When universal compaction stops adding runs to a size-ratio merge (RocksDB
/// <c>CompactionStopStyle</c>; the values are RocksDB's).
/// </summary>
public enum UniversalStopStyle
{
    /// <summary>A run joins while it is not much larger than the last run picked, and the last not much larger than it.</summary>
    SimilarSize = 0,

    /// <summary>A run joins while it is not much larger than all the runs picked so far together. RocksDB's default, and ours.</summary>
    TotalSize = 1,
}
