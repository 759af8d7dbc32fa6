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
}
