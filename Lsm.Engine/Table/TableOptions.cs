namespace Lsm.Engine;

/// <summary>
/// How tables are written: block size, key compression, filter, checksum, compression and format version.
/// </summary>
/// <remarks>
/// Reading needs no options: everything a reader needs is recorded in the file. Call <see cref="Validate"/>
/// (the writers do) to reject out-of-range values before any byte is written.
/// </remarks>
public sealed record TableOptions
{
    /// <summary>Default for <see cref="BlockSize"/>: 4 KiB, RocksDB's default.</summary>
    public const int DefaultBlockSize = 4 * 1024;

    /// <summary>Default for <see cref="BlockRestartInterval"/>: 16.</summary>
    public const int DefaultBlockRestartInterval = 16;

    /// <summary>Default for <see cref="BloomBitsPerKey"/>: 10, about a 1% false-positive rate.</summary>
    public const double DefaultBloomBitsPerKey = 10;

    /// <summary>Default for <see cref="FormatVersion"/>: 6.</summary>
    public const int DefaultFormatVersion = 6;

    /// <summary>
    /// Target uncompressed size of a data block. Larger blocks compress better and make the index smaller;
    /// smaller blocks make point reads cheaper. Default: 4096.
    /// </summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>
    /// Keys stored whole every this many entries; the others share a prefix with their predecessor. Larger
    /// intervals save space and cost longer scans after the binary search. Default: 16.
    /// </summary>
    public int BlockRestartInterval { get; init; } = DefaultBlockRestartInterval;

    /// <summary>
    /// Bits of Bloom filter per key; 0 writes no filter. 10 gives about 1% false positives, 16 about 0.1%.
    /// Default: 10.
    /// </summary>
    public double BloomBitsPerKey { get; init; } = DefaultBloomBitsPerKey;

    /// <summary>
    /// Block checksum. XXH3 needs RocksDB 6.27 or later to read; CRC32C is read by every version.
    /// Default: <see cref="ChecksumType.Xxh3"/>, RocksDB's default and the faster of the two (measured in the README's benchmark section).
    /// </summary>
    public ChecksumType Checksum { get; init; } = ChecksumType.Xxh3;

    /// <summary>
    /// Data block compression: <see cref="CompressionType.None"/>, <see cref="CompressionType.Lz4"/> (fast) or
    /// <see cref="CompressionType.Zstd"/> (smaller, slower to write and read; at RocksDB's default level, 3; RocksDB
    /// reads it when built with ZSTD, as its release builds are). Default: LZ4.
    /// </summary>
    public CompressionType Compression { get; init; } = CompressionType.Lz4;

    /// <summary>
    /// Block-based table format version: 5 (readable by RocksDB 6.6 and later, with a CRC32C checksum) or 6
    /// (RocksDB 8.6 and later; adds a footer checksum and checksums that depend on each block's place in the
    /// file, so a misplaced block is caught). Default: 6.
    /// </summary>
    public int FormatVersion { get; init; } = DefaultFormatVersion;

    /// <summary>The order of user keys. Default: <see cref="BytewiseComparator.Instance"/>.</summary>
    public KeyComparator Comparator { get; init; } = BytewiseComparator.Instance;

    /// <summary>
    /// The cache of uncompressed blocks that reads of these tables go through; one cache may be shared by several
    /// families and databases. Null: the database creates one cache of <see cref="DefaultBlockCacheCapacity"/> shared by
    /// its families that set none (RocksDB creates a 32 MiB cache when none is given). Ignored with
    /// <see cref="NoBlockCache"/>. Default: null.
    /// </summary>
    public BlockCache? BlockCache { get; init; }

    /// <summary>Capacity of the cache a database creates when <see cref="BlockCache"/> is null: 32 MiB.</summary>
    public const long DefaultBlockCacheCapacity = 32L << 20;

    /// <summary>Read every block from the file, caching none (RocksDB's <c>no_block_cache</c>). Default: false.</summary>
    public bool NoBlockCache { get; init; }

    /// <summary>
    /// Keep index and filter blocks in the block cache, charged to its capacity and evictable, instead of in each
    /// table reader's memory for as long as the table is open (RocksDB's <c>cache_index_and_filter_blocks</c>; Flink
    /// turns it on so that managed memory bounds them). Default: false.
    /// </summary>
    public bool CacheIndexAndFilterBlocks { get; init; }

    /// <summary>
    /// With <see cref="CacheIndexAndFilterBlocks"/>, insert index and filter blocks with high priority, into the
    /// cache's high-priority pool (<see cref="BlockCacheOptions.HighPriorityPoolRatio"/>). Default: true, as RocksDB.
    /// </summary>
    public bool CacheIndexAndFilterBlocksWithHighPriority { get; init; } = true;

    /// <summary>
    /// With <see cref="CacheIndexAndFilterBlocks"/>, keep the index and filter blocks of level-0 tables referenced
    /// while the table is open, so they are never evicted (RocksDB's <c>pin_l0_filter_and_index_blocks_in_cache</c>).
    /// Default: false.
    /// </summary>
    public bool PinL0FilterAndIndexBlocksInCache { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> if any option is out of range.</summary>
    public void Validate()
    {
        if (BlockSize < 64 || BlockSize > 256 * 1024 * 1024)
        {
            throw new ArgumentException($"BlockSize must be between 64 bytes and 256 MiB, not {BlockSize}.", nameof(BlockSize));
        }

        if (BlockRestartInterval < 1)
        {
            throw new ArgumentException("BlockRestartInterval must be at least 1.", nameof(BlockRestartInterval));
        }

        if (double.IsNaN(BloomBitsPerKey) || BloomBitsPerKey < 0 || BloomBitsPerKey > 100)
        {
            throw new ArgumentException("BloomBitsPerKey must be between 0 and 100.", nameof(BloomBitsPerKey));
        }

        if (Checksum is ChecksumType.None || !Enum.IsDefined(Checksum))
        {
            throw new ArgumentException("Checksum must be Crc32C, XxHash32, XxHash64 or Xxh3.", nameof(Checksum));
        }

        if (Compression is not (CompressionType.None or CompressionType.Lz4 or CompressionType.Zstd))
        {
            throw new ArgumentException("Compression must be None, Lz4 or Zstd.", nameof(Compression));
        }

        if (FormatVersion is < 5 or > 6)
        {
            throw new ArgumentException("FormatVersion must be 5 or 6.", nameof(FormatVersion));
        }

        ArgumentNullException.ThrowIfNull(Comparator);
    }
}
