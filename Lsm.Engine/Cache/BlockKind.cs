namespace Lsm.Engine.Cache;

/// <summary>What a cached block holds, for the per-kind counters (RocksDB's cache entry roles for tables).</summary>
internal enum BlockKind
{
    /// <summary>A data block: the table's entries.</summary>
    Data,

    /// <summary>The index block: one entry per data block.</summary>
    Index,

    /// <summary>The filter block: the Bloom filter of the table's keys.</summary>
    Filter,

    /// <summary>Any other block (range deletions, properties, metaindex).</summary>
    Other,

    /// <summary>No block: memory reserved in the cache for memtables (<see cref="BlockCache.Reserve"/>).</summary>
    Reservation,
}
