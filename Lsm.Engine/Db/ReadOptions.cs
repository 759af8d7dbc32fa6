namespace Lsm.Engine;

/// <summary>Options of a read or an iterator.</summary>
public sealed record ReadOptions
{
    /// <summary>Shared default options: latest state, no bounds.</summary>
    public static ReadOptions Default { get; } = new();

    /// <summary>Read the state as of this snapshot instead of the latest. Default: null (latest).</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Iterators see no key below this one (inclusive bound). Default: null.</summary>
    public byte[]? LowerBound { get; init; }

    /// <summary>Iterators see no key at or above this one (exclusive bound). Default: null.</summary>
    public byte[]? UpperBound { get; init; }

    /// <summary>
    /// Whether the blocks an iterator reads from tables are inserted into the block cache. Set it to false for a long
    /// scan that should not push the working set out of the cache (blocks already cached are still used). Point
    /// lookups always fill the cache. Default: true, as RocksDB's <c>fill_cache</c>.
    /// </summary>
    public bool FillCache { get; init; } = true;
}
