namespace Lsm.Engine;

/// <summary>What a table's footer says: its format, checksum type and where its metaindex and index blocks are.</summary>
/// <param name="FormatVersion">The block-based table format version (2 to 7).</param>
/// <param name="Checksum">The checksum type protecting every block.</param>
/// <param name="MetaindexOffset">Offset of the metaindex block.</param>
/// <param name="MetaindexSize">Size of the metaindex block, excluding its trailer.</param>
/// <param name="IndexOffset">Offset of the index block.</param>
/// <param name="IndexSize">Size of the index block, excluding its trailer.</param>
/// <param name="BaseContextChecksum">The per-file value mixed into every block checksum from format version 6; 0 before.</param>
/// <param name="FooterOffset">Where the 53-byte footer starts.</param>
public readonly record struct SstFooterInfo(
    int FormatVersion,
    ChecksumType Checksum,
    long MetaindexOffset,
    long MetaindexSize,
    long IndexOffset,
    long IndexSize,
    uint BaseContextChecksum,
    long FooterOffset);
