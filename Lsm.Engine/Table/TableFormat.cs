namespace Lsm.Engine.Table;

/// <summary>
/// Constants of RocksDB's block-based table format.
/// </summary>
/// <remarks>
/// Written to disk: never renumber or rename. Each constant is described in format-spec.md,
/// section "SST files (block-based table)".
/// </remarks>
internal static class TableFormat
{
    /// <summary>The last 8 bytes of every block-based table, little-endian.</summary>
    public const ulong BlockBasedTableMagicNumber = 0x88e241b785f4cff7UL;

    /// <summary>The magic of block-based tables older than format version 2, which are refused.</summary>
    public const ulong LegacyBlockBasedTableMagicNumber = 0xdb4775248b80fb57UL;

    /// <summary>Every block is followed by one compression-type byte and a 32-bit checksum.</summary>
    public const int BlockTrailerSize = 5;

    /// <summary>Footer length for format versions 1 and later: checksum type, 40-byte part 2, version, magic.</summary>
    public const int FooterLength = 1 + 40 + 4 + 8;

    /// <summary>Bytes of the footer's middle part: two padded block handles, or the version 6 fields.</summary>
    public const int FooterPart2Length = 40;

    /// <summary>Marks a format version 6+ footer's part 2: 0x3e 0x00 0x7a 0x00.</summary>
    public static ReadOnlySpan<byte> ExtendedMagic => [0x3e, 0x00, 0x7a, 0x00];

    public const int MinReadableFormatVersion = 2;
    public const int MaxReadableFormatVersion = 7;

    /// <summary>Format versions this engine can write.</summary>
    public const int MinWritableFormatVersion = 5;
    public const int MaxWritableFormatVersion = 6;

    // Metaindex keys.
    public const string PropertiesBlockName = "rocksdb.properties";
    public const string IndexBlockName = "rocksdb.index";
    public const string RangeDelBlockName = "rocksdb.range_del";
    public const string CompressionDictBlockName = "rocksdb.compression_dict";
    public const string FullFilterBlockPrefix = "fullfilter.";
    public const string PartitionedFilterBlockPrefix = "partitionedfilter.";
    public const string ObsoleteFilterBlockPrefix = "filter.";

    /// <summary>Column family id recorded when a table is not written for a particular column family.</summary>
    public const uint UnknownColumnFamily = int.MaxValue;

    /// <summary>Data block footer bit: a hash index follows the restart array.</summary>
    public const uint DataBlockHashIndexBit = 1u << 31;

    /// <summary>Data block footer bit that no released format uses yet; a block with it set is refused.</summary>
    public const uint DataBlockReservedBit = 1u << 30;

    /// <summary>Data block footer bit: restart keys are uniformly distributed (a search hint only).</summary>
    public const uint DataBlockUniformBit = 1u << 29;

    /// <summary>Data block footer bit: keys and values are stored in separate sections.</summary>
    public const uint DataBlockSeparatedKvBit = 1u << 28;

    /// <summary>The low 28 bits of a data block footer count restart points.</summary>
    public const uint DataBlockMaxRestarts = (1u << 28) - 1;

    /// <summary>Compression must shrink a block to at most 7/8 of its size to be kept (RocksDB's max_compressed_bytes_per_kb = 896).</summary>
    public const int MaxCompressedBytesPerKb = 896;
}
