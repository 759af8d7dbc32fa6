using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// The fixed-size record at the end of every table: how to find the metaindex and index blocks, the
/// checksum type, the format version and the magic number.
/// </summary>
/// <remarks>
/// Layout (53 bytes, format version 1 and later; see format-spec.md, "Footer"):
/// <code>
/// checksum type           u8
/// part 2                  40 bytes
///   version &lt;= 5:         metaindex handle, index handle (varints), zero padding
///   version &gt;= 6:         extended magic 3e 00 7a 00, footer checksum u32, base context checksum u32,
///                         metaindex size u32, 24 zero bytes (the last 8 must be zero)
/// format version          u32
/// magic number            u64  (0x88e241b785f4cff7)
/// </code>
/// From version 6 the index handle lives in the metaindex under <c>rocksdb.index</c>, and the
/// metaindex block ends right where the footer begins.
/// </remarks>
internal readonly record struct Footer(
    ChecksumType ChecksumType,
    int FormatVersion,
    BlockHandle MetaindexHandle,
    BlockHandle IndexHandle,
    uint BaseContextChecksum,
    ulong FooterOffset)
{
    /// <summary>Serializes a footer that will start at <paramref name="footerOffset"/> in the file.</summary>
    /// <remarks>REQUIRES: for version 6+, the metaindex block (plus trailer) ends at <paramref name="footerOffset"/>.</remarks>
    public static byte[] Encode(
        ChecksumType checksumType,
        int formatVersion,
        BlockHandle metaindex,
        BlockHandle index,
        uint baseContextChecksum,
        ulong footerOffset)
    {
        byte[] footer = new byte[TableFormat.FooterLength];
        Span<byte> span = footer;
        span[0] = (byte)checksumType;
        Span<byte> part2 = span.Slice(1, TableFormat.FooterPart2Length);
        if (formatVersion >= 6)
        {
            if (metaindex.Offset + metaindex.Size + TableFormat.BlockTrailerSize != footerOffset)
            {
                throw new InvalidOperationException("The metaindex block must immediately precede the footer.");
            }

            TableFormat.ExtendedMagic.CopyTo(part2);
            Coding.WriteFixed32(part2[8..], baseContextChecksum);
            Coding.WriteFixed32(part2[12..], checked((uint)metaindex.Size));
        }
        else
        {
            int n = metaindex.EncodeTo(part2);
            index.EncodeTo(part2[n..]);
        }

        Coding.WriteFixed32(span[41..], (uint)formatVersion);
        Coding.WriteFixed64(span[45..], TableFormat.BlockBasedTableMagicNumber);
        if (formatVersion >= 6)
        {
            uint checksum = BlockChecksum.ComputeWhole(checksumType, span)
                + BlockChecksum.ContextModifier(baseContextChecksum, footerOffset);
            Coding.WriteFixed32(part2[4..], checksum);
        }

        return footer;
    }

    /// <summary>Decodes the footer from the last <see cref="TableFormat.FooterLength"/> bytes of a file.</summary>
    /// <exception cref="CorruptionException">The footer is malformed, fails its checksum or names an unsupported format.</exception>
    public static Footer Decode(ReadOnlySpan<byte> footer, ulong footerOffset, string file)
    {
        if (footer.Length != TableFormat.FooterLength)
        {
            throw new CorruptionException("file is too short to be a table", file, 0);
        }

        long at = (long)footerOffset;
        ulong magic = Coding.ReadFixed64(footer[45..]);
        if (magic == TableFormat.LegacyBlockBasedTableMagicNumber)
        {
            throw new NotSupportedException(
                $"{file} is a legacy block-based table (format version 0 or 1), which neither this engine nor RocksDB 11 reads.");
        }

        if (magic != TableFormat.BlockBasedTableMagicNumber)
        {
            throw new CorruptionException($"bad table magic number 0x{magic:x16}", file, at + 45);
        }

        uint version = Coding.ReadFixed32(footer[41..]);
        if (version < TableFormat.MinReadableFormatVersion || version > TableFormat.MaxReadableFormatVersion)
        {
            throw new CorruptionException($"corrupt or unsupported format version {version}", file, at + 41);
        }

        byte checksumByte = footer[0];
        if (!BlockChecksum.IsKnown(checksumByte))
        {
            throw new CorruptionException($"corrupt or unsupported checksum type {checksumByte}", file, at);
        }

        var checksumType = (ChecksumType)checksumByte;
        ReadOnlySpan<byte> part2 = footer.Slice(1, TableFormat.FooterPart2Length);
        if (version >= 6)
        {
            return DecodeVersion6(footer, part2, checksumType, (int)version, footerOffset, file);
        }

        int n = BlockHandle.TryDecode(part2, out BlockHandle metaindex);
        int m = n == 0 ? 0 : BlockHandle.TryDecode(part2[n..], out _);
        if (n == 0 || m == 0)
        {
            throw new CorruptionException("bad block handle in footer", file, at + 1);
        }

        BlockHandle.TryDecode(part2[n..], out BlockHandle index);
        return new Footer(checksumType, (int)version, metaindex, index, 0, footerOffset);
    }

    private static Footer DecodeVersion6(
        ReadOnlySpan<byte> footer,
        ReadOnlySpan<byte> part2,
        ChecksumType checksumType,
        int version,
        ulong footerOffset,
        string file)
    {
        long at = (long)footerOffset;
        if (!part2[..4].SequenceEqual(TableFormat.ExtendedMagic))
        {
            throw new CorruptionException("bad extended magic number in footer", file, at + 1);
        }

        uint stored = Coding.ReadFixed32(part2[4..]);
        uint baseContext = Coding.ReadFixed32(part2[8..]);
        uint metaindexSize = Coding.ReadFixed32(part2[12..]);
        if (BlockChecksum.ContextModifier(baseContext, 0) == 0)
        {
            throw new CorruptionException("invalid base context checksum in footer", file, at + 9);
        }

        // Checked even for checksum type None (whose checksum is 0 plus the context modifier), as RocksDB does:
        // otherwise one flipped bit in the type byte would switch off every check in the file.
        Span<byte> copy = stackalloc byte[TableFormat.FooterLength];
        footer.CopyTo(copy);
        Coding.WriteFixed32(copy[5..], 0);
        uint computed = BlockChecksum.ComputeWhole(checksumType, copy)
            + BlockChecksum.ContextModifier(baseContext, footerOffset);
        if (computed != stored)
        {
            throw new CorruptionException("footer checksum mismatch", file, at);
        }

        if (Coding.ReadFixed64(part2[32..]) != 0)
        {
            throw new NotSupportedException($"{file} uses a table feature newer than this engine (reserved footer bytes are set).");
        }

        ulong metaindexEnd = footerOffset - TableFormat.BlockTrailerSize;
        if (footerOffset < TableFormat.BlockTrailerSize || metaindexSize > metaindexEnd)
        {
            throw new CorruptionException("metaindex size in footer exceeds the file", file, at + 13);
        }

        var metaindex = new BlockHandle(metaindexEnd - metaindexSize, metaindexSize);
        return new Footer(checksumType, version, metaindex, BlockHandle.Null, baseContext, footerOffset);
    }
}
