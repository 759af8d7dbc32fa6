using System.Collections.ObjectModel;

namespace Lsm.Engine;

/// <summary>
/// The properties block of a table: counts, sizes and the names of the policies it was written with,
/// under RocksDB's property names.
/// </summary>
/// <remarks>
/// Numbers absent from a table read as 0 (or null where absence means something). Every property,
/// including ones this type has no field for, is in <see cref="Raw"/>.
/// </remarks>
public sealed class TableProperties
{
    /// <summary>Bytes of all data blocks including their trailers (<c>rocksdb.data.size</c>).</summary>
    public ulong DataSize { get; init; }

    /// <summary>Bytes of the index block including its trailer (<c>rocksdb.index.size</c>).</summary>
    public ulong IndexSize { get; init; }

    /// <summary>Bytes of the filter block, excluding its trailer (<c>rocksdb.filter.size</c>).</summary>
    public ulong FilterSize { get; init; }

    /// <summary>Sum of internal key lengths (<c>rocksdb.raw.key.size</c>).</summary>
    public ulong RawKeySize { get; init; }

    /// <summary>Sum of value lengths (<c>rocksdb.raw.value.size</c>).</summary>
    public ulong RawValueSize { get; init; }

    /// <summary>Number of data blocks (<c>rocksdb.num.data.blocks</c>).</summary>
    public ulong NumDataBlocks { get; init; }

    /// <summary>Number of entries, of every kind (<c>rocksdb.num.entries</c>).</summary>
    public ulong NumEntries { get; init; }

    /// <summary>Number of keys added to the filter (<c>rocksdb.num.filter_entries</c>).</summary>
    public ulong NumFilterEntries { get; init; }

    /// <summary>Number of deletions and single deletions (<c>rocksdb.deleted.keys</c>).</summary>
    public ulong NumDeletions { get; init; }

    /// <summary>Number of merge operands (<c>rocksdb.merge.operands</c>).</summary>
    public ulong NumMergeOperands { get; init; }

    /// <summary>Number of range tombstones (<c>rocksdb.num.range-deletions</c>).</summary>
    public ulong NumRangeDeletions { get; init; }

    /// <summary>The block-based table format version, from the footer (RocksDB also records it as <c>rocksdb.format.version</c>).</summary>
    public int FormatVersion { get; init; }

    /// <summary>Column family id (<c>rocksdb.column.family.id</c>); 2147483647 when unknown, as for external files.</summary>
    public ulong ColumnFamilyId { get; init; }

    /// <summary>Column family name (<c>rocksdb.column.family.name</c>); empty for external files.</summary>
    public string ColumnFamilyName { get; init; } = "";

    /// <summary>Name of the user key comparator (<c>rocksdb.comparator</c>).</summary>
    public string ComparatorName { get; init; } = "";

    /// <summary>Name of the merge operator, or <c>nullptr</c> (<c>rocksdb.merge.operator</c>).</summary>
    public string MergeOperatorName { get; init; } = "";

    /// <summary>Name of the filter policy, empty when the table has no filter (<c>rocksdb.filter.policy</c>).</summary>
    public string FilterPolicyName { get; init; } = "";

    /// <summary>Name of the prefix extractor, or <c>nullptr</c> (<c>rocksdb.prefix.extractor.name</c>).</summary>
    public string PrefixExtractorName { get; init; } = "";

    /// <summary>The compression in use (<c>rocksdb.compression</c>), in the encoding of the format version.</summary>
    public string CompressionName { get; init; } = "";

    /// <summary>Compression options text (<c>rocksdb.compression_options</c>).</summary>
    public string CompressionOptions { get; init; } = "";

    /// <summary>Unix seconds of the oldest data, 0 when unknown (<c>rocksdb.creation.time</c>).</summary>
    public ulong CreationTime { get; init; }

    /// <summary>Unix seconds at which the file was written, 0 when unknown (<c>rocksdb.file.creation.time</c>).</summary>
    public ulong FileCreationTime { get; init; }

    /// <summary>Whether index keys are user keys without a sequence (<c>rocksdb.index.key.is.user.key</c>).</summary>
    public bool IndexKeyIsUserKey { get; init; }

    /// <summary>Whether index values are delta encoded (<c>rocksdb.index.value.is.delta.encoded</c>).</summary>
    public bool IndexValueIsDeltaEncoded { get; init; }

    /// <summary>Index type from the block-based table collector: 0 binary search, 1 hash, 2 partitioned, 3 binary search with first key.</summary>
    public int IndexType { get; init; }

    /// <summary>Whether whole keys were added to the filter (<c>rocksdb.block.based.table.whole.key.filtering</c>).</summary>
    public bool WholeKeyFiltering { get; init; } = true;

    /// <summary>Smallest sequence number of any key, or null when not recorded (<c>rocksdb.key.smallest.seqno</c>).</summary>
    public ulong? SmallestSequence { get; init; }

    /// <summary>Largest sequence number of any key, or null when not recorded (<c>rocksdb.key.largest.seqno</c>).</summary>
    public ulong? LargestSequence { get; init; }

    /// <summary>For files made by an SST file writer: the external file version (2), else null.</summary>
    public int? ExternalFileVersion { get; init; }

    /// <summary>For external files: the global sequence number every key takes, 0 when none.</summary>
    public ulong ExternalFileGlobalSequence { get; init; }

    /// <summary>The smallest internal key, when the writer recorded it (<c>lsm.smallest.key</c>).</summary>
    public ReadOnlyMemory<byte> SmallestKey { get; init; }

    /// <summary>The largest internal key, when the writer recorded it (<c>lsm.largest.key</c>).</summary>
    public ReadOnlyMemory<byte> LargestKey { get; init; }

    /// <summary>Every property as stored: name to raw value bytes.</summary>
    public IReadOnlyDictionary<string, ReadOnlyMemory<byte>> Raw { get; init; } =
        ReadOnlyDictionary<string, ReadOnlyMemory<byte>>.Empty;
}
