namespace Lsm.Engine;

/// <summary>
/// The checksum that protects each block of a table, named as RocksDB names it and stored in the footer.
/// </summary>
/// <remarks>Written to disk: never renumber. See format-spec.md, "Block trailer".</remarks>
public enum ChecksumType : byte
{
    /// <summary>No checksum (kNoChecksum). Readable, never written by this engine.</summary>
    None = 0,

    /// <summary>Masked CRC-32C (kCRC32c).</summary>
    Crc32C = 1,

    /// <summary>32-bit xxHash (kxxHash).</summary>
    XxHash32 = 2,

    /// <summary>Low 32 bits of 64-bit xxHash (kxxHash64).</summary>
    XxHash64 = 3,

    /// <summary>Low 32 bits of XXH3-64 with RocksDB's last-byte mixing (kXXH3); RocksDB's default.</summary>
    Xxh3 = 4,
}
