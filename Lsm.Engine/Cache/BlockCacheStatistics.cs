namespace Lsm.Engine;

/// <summary>
/// A <see cref="BlockCache"/>'s figures at one moment (<see cref="BlockCache.GetStatistics"/>): its size and what
/// its lookups and inserts did since it was created, over every database and column family that shares it.
/// </summary>
public sealed record BlockCacheStatistics
{
    /// <summary>The capacity, in bytes.</summary>
    public long Capacity { get; init; }

    /// <summary>Bytes charged by the entries in the cache (and by blocks evicted while still referenced), reservations included.</summary>
    public long Usage { get; init; }

    /// <summary>Bytes charged by entries a reader holds (RocksDB's pinned usage).</summary>
    public long PinnedUsage { get; init; }

    /// <summary>Bytes reserved by write buffers charged to the cache (<c>WriteBufferManager</c>).</summary>
    public long ReservedBytes { get; init; }

    /// <summary>Native memory the cache has taken from the system for its slabs and large blocks.</summary>
    public long NativeBytes { get; init; }

    /// <summary>Entries in the cache.</summary>
    public long Entries { get; init; }

    /// <summary>Lookups that found their block.</summary>
    public long Hits { get; init; }

    /// <summary>Lookups that did not.</summary>
    public long Misses { get; init; }

    /// <summary>Blocks inserted.</summary>
    public long Inserts { get; init; }

    /// <summary>Inserts refused under <see cref="BlockCacheOptions.StrictCapacityLimit"/>.</summary>
    public long InsertFailures { get; init; }

    /// <summary>Entries evicted to make room.</summary>
    public long Evictions { get; init; }

    /// <summary>Hits on data blocks.</summary>
    public long DataHits { get; init; }

    /// <summary>Misses on data blocks.</summary>
    public long DataMisses { get; init; }

    /// <summary>Hits on index blocks.</summary>
    public long IndexHits { get; init; }

    /// <summary>Misses on index blocks.</summary>
    public long IndexMisses { get; init; }

    /// <summary>Hits on filter blocks.</summary>
    public long FilterHits { get; init; }

    /// <summary>Misses on filter blocks.</summary>
    public long FilterMisses { get; init; }
}
