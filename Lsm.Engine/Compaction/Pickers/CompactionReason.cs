namespace Lsm.Engine.Compaction.Pickers;

/// <summary>Why a compaction was picked (the subset of RocksDB's <c>CompactionReason</c> our pickers produce).</summary>
internal enum CompactionReason
{
    /// <summary>Leveled: level 0 reached its file-count (or size) trigger (RocksDB <c>kLevelL0FilesNum</c>).</summary>
    LevelL0FileCount,

    /// <summary>Leveled: a level of L1 and up is over its target size (RocksDB <c>kLevelMaxLevelSize</c>).</summary>
    LevelMaxLevelSize,

    /// <summary>Universal: the newer runs together outgrew the oldest run by the size-amplification limit.</summary>
    UniversalSizeAmplification,

    /// <summary>Universal: consecutive runs of similar size were merged (RocksDB <c>kUniversalSizeRatio</c>).</summary>
    UniversalSizeRatio,

    /// <summary>Universal: runs were merged regardless of size to bring their number down (RocksDB <c>kUniversalSortedRunNum</c>).</summary>
    UniversalSortedRunNum,

    /// <summary>A manual compaction of a key range (CompactRange).</summary>
    Manual,
}
