namespace Lsm.Engine.Table;

/// <summary>
/// Keys of the properties block, as RocksDB names them, plus this engine's own under <c>lsm.</c>.
/// </summary>
/// <remarks>
/// Written to disk: never rename. Numbers are varint64 unless noted. See format-spec.md, "Properties block".
/// </remarks>
internal static class TablePropertyNames
{
    public const string DataSize = "rocksdb.data.size";
    public const string IndexSize = "rocksdb.index.size";
    public const string IndexPartitions = "rocksdb.index.partitions";
    public const string TopLevelIndexSize = "rocksdb.top-level.index.size";
    public const string IndexKeyIsUserKey = "rocksdb.index.key.is.user.key";
    public const string IndexValueIsDeltaEncoded = "rocksdb.index.value.is.delta.encoded";
    public const string FilterSize = "rocksdb.filter.size";
    public const string RawKeySize = "rocksdb.raw.key.size";
    public const string RawValueSize = "rocksdb.raw.value.size";
    public const string NumDataBlocks = "rocksdb.num.data.blocks";
    public const string NumEntries = "rocksdb.num.entries";
    public const string NumFilterEntries = "rocksdb.num.filter_entries";
    public const string DeletedKeys = "rocksdb.deleted.keys";
    public const string MergeOperands = "rocksdb.merge.operands";
    public const string NumRangeDeletions = "rocksdb.num.range-deletions";
    public const string NumUniformBlocks = "rocksdb.num.uniform.blocks";
    public const string FilterPolicy = "rocksdb.filter.policy";
    public const string FormatVersion = "rocksdb.format.version";
    public const string FixedKeyLength = "rocksdb.fixed.key.length";
    public const string ColumnFamilyId = "rocksdb.column.family.id";
    public const string ColumnFamilyName = "rocksdb.column.family.name";
    public const string Comparator = "rocksdb.comparator";
    public const string MergeOperator = "rocksdb.merge.operator";
    public const string PrefixExtractorName = "rocksdb.prefix.extractor.name";
    public const string PropertyCollectors = "rocksdb.property.collectors";
    public const string Compression = "rocksdb.compression";
    public const string CompressionOptions = "rocksdb.compression_options";
    public const string CreationTime = "rocksdb.creation.time";
    public const string OldestKeyTime = "rocksdb.oldest.key.time";
    public const string NewestKeyTime = "rocksdb.newest.key.time";
    public const string FileCreationTime = "rocksdb.file.creation.time";
    public const string OriginalFileNumber = "rocksdb.original.file.number";
    public const string DbId = "rocksdb.creating.db.identity";
    public const string DbSessionId = "rocksdb.creating.session.identity";
    public const string DbHostId = "rocksdb.creating.host.identity";
    public const string TailStartOffset = "rocksdb.tail.start.offset";
    public const string KeyLargestSeqno = "rocksdb.key.largest.seqno";
    public const string KeySmallestSeqno = "rocksdb.key.smallest.seqno";
    public const string DataBlockRestartInterval = "rocksdb.data.block.restart.interval";
    public const string IndexBlockRestartInterval = "rocksdb.index.block.restart.interval";
    public const string SeparateKeyValueInDataBlock = "rocksdb.separate.key.value.in.data.block";

    // Block-based table collector: index type is fixed32, the filtering flags are "0" or "1".
    public const string IndexType = "rocksdb.block.based.table.index.type";
    public const string WholeKeyFiltering = "rocksdb.block.based.table.whole.key.filtering";
    public const string PrefixFiltering = "rocksdb.block.based.table.prefix.filtering";

    // External files (SstFileWriter): version is fixed32 (2), global sequence number fixed64.
    public const string ExternalSstFileVersion = "rocksdb.external_sst_file.version";
    public const string ExternalSstFileGlobalSeqno = "rocksdb.external_sst_file.global_seqno";

    // This engine's own: smallest and largest internal key, raw bytes.
    public const string SmallestKey = "lsm.smallest.key";
    public const string LargestKey = "lsm.largest.key";

    /// <summary>The names whose values are varint64 numbers (everything else is text or fixed-width).</summary>
    public static bool IsVarint(string name) => name switch
    {
        DataSize or IndexSize or IndexPartitions or TopLevelIndexSize or IndexKeyIsUserKey
            or IndexValueIsDeltaEncoded or FilterSize or RawKeySize or RawValueSize or NumDataBlocks
            or NumEntries or NumFilterEntries or DeletedKeys or MergeOperands or NumRangeDeletions
            or NumUniformBlocks or FormatVersion or FixedKeyLength or ColumnFamilyId or CreationTime
            or OldestKeyTime or NewestKeyTime or FileCreationTime or OriginalFileNumber or TailStartOffset
            or KeyLargestSeqno or KeySmallestSeqno or DataBlockRestartInterval or IndexBlockRestartInterval
            or SeparateKeyValueInDataBlock or "rocksdb.num.data.blocks.compression.rejected"
            or "rocksdb.num.data.blocks.compression.bypassed" or "rocksdb.sample_for_compression.slow.data.size"
            or "rocksdb.sample_for_compression.fast.data.size" or "rocksdb.user.defined.timestamps.persisted"
            or "rocksdb.udi.is.primary.index" or "rocksdb.uncompressed.data.size"
            or "rocksdb.slow.compression.estimated.data.size" or "rocksdb.fast.compression.estimated.data.size" => true,
        _ => false,
    };
}
