namespace Lsm.Engine;

/// <summary>One block of a table, as the inspection API lists it.</summary>
/// <param name="Kind">"data", "index", "metaindex", or the meta block's name (e.g. <c>rocksdb.properties</c>).</param>
/// <param name="Offset">Byte offset of the block in the file.</param>
/// <param name="Size">Stored size, excluding the 5-byte trailer.</param>
/// <param name="Compression">How the block is stored.</param>
/// <param name="UncompressedSize">Size after decompression.</param>
/// <param name="Entries">Number of entries, for blocks of entries; 0 for filter blocks.</param>
public readonly record struct SstBlockInfo(
    string Kind,
    long Offset,
    long Size,
    CompressionType Compression,
    long UncompressedSize,
    int Entries);
