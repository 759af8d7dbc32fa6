using Lsm.Engine.Db;

namespace Lsm.Engine.Table;

/// <summary>How a <see cref="TableReader"/> reads: its key order, and the block cache its blocks go through.</summary>
internal sealed record TableReaderOptions
{
    /// <summary>Options for a table read straight from its file, caching nothing (tools, tests).</summary>
    public static readonly TableReaderOptions Uncached = new();

    /// <summary>The order of user keys. Default: bytewise.</summary>
    public KeyComparator Comparator { get; init; } = BytewiseComparator.Instance;

    /// <summary>The cache data blocks (and, with <see cref="CacheIndexAndFilterBlocks"/>, index and filter blocks) go through; null reads every block from the file.</summary>
    public BlockCache? BlockCache { get; init; }

    /// <summary>Keep the index and filter in <see cref="BlockCache"/> rather than in the reader (<see cref="TableOptions.CacheIndexAndFilterBlocks"/>).</summary>
    public bool CacheIndexAndFilterBlocks { get; init; }

    /// <summary>Insert index and filter blocks with high priority.</summary>
    public bool HighPriorityIndexAndFilter { get; init; } = true;

    /// <summary>Hold the cached index and filter blocks for the reader's lifetime (level-0 tables with <see cref="TableOptions.PinL0FilterAndIndexBlocksInCache"/>).</summary>
    public bool PinIndexAndFilter { get; init; }

    /// <summary>Where cache hits, misses and bytes read are counted; null counts nothing.</summary>
    public Tickers? Tickers { get; init; }
}
