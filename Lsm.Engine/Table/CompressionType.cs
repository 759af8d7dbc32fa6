namespace Lsm.Engine;

/// <summary>
/// How a block's bytes are compressed, as RocksDB numbers it in each block trailer.
/// </summary>
/// <remarks>
/// Written to disk: never renumber. This engine writes <see cref="None"/>, <see cref="Lz4"/> and <see cref="Zstd"/>,
/// and reads those plus <see cref="Snappy"/> and <see cref="Lz4HC"/>; a block in any other compression is refused
/// with a clear error.
/// </remarks>
public enum CompressionType : byte
{
    /// <summary>Stored as is.</summary>
    None = 0x0,

    /// <summary>Snappy, RocksDB's default when it is built with it; read only.</summary>
    Snappy = 0x1,

    /// <summary>zlib; not supported.</summary>
    Zlib = 0x2,

    /// <summary>bzip2; not supported.</summary>
    BZip2 = 0x3,

    /// <summary>LZ4 block format, prefixed by the uncompressed size as a varint32.</summary>
    Lz4 = 0x4,

    /// <summary>LZ4 high-compression; the same block format as <see cref="Lz4"/>, so readable.</summary>
    Lz4HC = 0x5,

    /// <summary>Microsoft Xpress; not supported.</summary>
    Xpress = 0x6,

    /// <summary>Zstandard: one ZSTD frame, prefixed by the uncompressed size as a varint32 (no dictionary).</summary>
    Zstd = 0x7,
}
