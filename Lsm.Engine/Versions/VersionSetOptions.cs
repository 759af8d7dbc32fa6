using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>What a <see cref="VersionSet"/> needs to know that the MANIFEST does not say.</summary>
internal sealed record VersionSetOptions
{
    /// <summary>RocksDB's default <c>num_levels</c>.</summary>
    public const int DefaultNumLevels = 7;

    /// <summary>RocksDB's default <c>max_manifest_file_size</c>: 1 GiB.</summary>
    public const long DefaultMaxManifestFileSize = 1L << 30;

    /// <summary>RocksDB's default <c>max_manifest_space_amp_pct</c>.</summary>
    public const int DefaultMaxManifestSpaceAmpPercent = 500;

    /// <summary>
    /// The user comparator of every column family not named in <see cref="ColumnFamilyComparators"/>. Its name
    /// must match the one the MANIFEST records. Default: <see cref="BytewiseComparator.Instance"/>.
    /// </summary>
    public KeyComparator Comparator { get; init; } = BytewiseComparator.Instance;

    /// <summary>Comparators of column families that do not use <see cref="Comparator"/>, by column family name. Default: none.</summary>
    public IReadOnlyDictionary<string, KeyComparator> ColumnFamilyComparators { get; init; } = new Dictionary<string, KeyComparator>();

    /// <summary>Levels per column family (RocksDB <c>num_levels</c>). Default: <see cref="DefaultNumLevels"/>.</summary>
    public int NumLevels { get; init; } = DefaultNumLevels;

    /// <summary>
    /// The MANIFEST is rewritten (a snapshot in a new file, then CURRENT switched) once it reaches
    /// max(this, its size after its last snapshot × (100 + <see cref="MaxManifestSpaceAmpPercent"/>) / 100).
    /// Small values bound recovery time at the cost of more rewrites. Default: <see cref="DefaultMaxManifestFileSize"/>.
    /// </summary>
    public long MaxManifestFileSize { get; init; } = DefaultMaxManifestFileSize;

    /// <summary>See <see cref="MaxManifestFileSize"/>. Default: <see cref="DefaultMaxManifestSpaceAmpPercent"/>.</summary>
    public int MaxManifestSpaceAmpPercent { get; init; } = DefaultMaxManifestSpaceAmpPercent;

    /// <summary>The database id <see cref="VersionSet.Create"/> records; null generates one (a random UUID, as RocksDB does). Default: null.</summary>
    public string? DbId { get; init; }

    /// <summary>
    /// Whether recovery checks that every table file of every version exists with the recorded size, as
    /// RocksDB does when it opens them (<c>paranoid_checks</c>). Default: true.
    /// </summary>
    public bool VerifyTableFiles { get; init; } = true;

    /// <summary>The comparator of the column family named <paramref name="name"/>.</summary>
    public KeyComparator ComparatorFor(string name) =>
        ColumnFamilyComparators.TryGetValue(name, out KeyComparator? c) ? c : Comparator;

    /// <summary>Throws <see cref="ArgumentException"/> for an out-of-range value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Comparator);
        ArgumentNullException.ThrowIfNull(ColumnFamilyComparators);
        if (NumLevels is < 1 or > 100)
        {
            throw new ArgumentException($"NumLevels must be between 1 and 100, not {NumLevels}.", nameof(NumLevels));
        }

        if (MaxManifestFileSize < 1)
        {
            throw new ArgumentException("MaxManifestFileSize must be positive.", nameof(MaxManifestFileSize));
        }

        if (MaxManifestSpaceAmpPercent < 0)
        {
            throw new ArgumentException("MaxManifestSpaceAmpPercent cannot be negative.", nameof(MaxManifestSpaceAmpPercent));
        }
    }
}
