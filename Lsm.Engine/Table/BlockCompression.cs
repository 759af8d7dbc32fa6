using K4os.Compression.LZ4;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// Compresses and decompresses block contents in RocksDB's framing.
/// </summary>
/// <remarks>
/// LZ4 (and LZ4HC) blocks are <c>uncompressed size (varint32) | raw LZ4 block</c>. Snappy blocks are a
/// raw Snappy stream, which carries its own length. A compressed block is kept only when it is at most
/// 7/8 of the original (RocksDB's default max_compressed_bytes_per_kb of 896); otherwise the block is
/// stored uncompressed. See format-spec.md, "Compression".
/// </remarks>
internal static class BlockCompression
{
    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="output"/> (cleared first). Returns false, with
    /// <paramref name="output"/> unspecified, when compression does not save enough and the block should be stored raw.
    /// </summary>
    public static bool TryCompress(CompressionType type, ReadOnlySpan<byte> raw, ByteBuffer output)
    {
        if (type != CompressionType.Lz4)
        {
            throw new NotSupportedException($"Writing {type} blocks is not supported; use None or Lz4.");
        }

        output.Clear();
        output.AppendVarint32((uint)raw.Length);
        int headerLength = output.Length;
        int maxOutput = LZ4Codec.MaximumOutputSize(raw.Length);
        Span<byte> target = output.GetSpan(maxOutput)[..maxOutput];
        int written = LZ4Codec.Encode(raw, target, LZ4Level.L00_FAST);
        if (written <= 0)
        {
            return false;
        }

        output.Advance(written);
        long limit = (long)raw.Length * TableFormat.MaxCompressedBytesPerKb / 1024;
        return headerLength + written <= limit;
    }

    /// <summary>Decompresses a block into a new array of exactly its uncompressed size.</summary>
    /// <exception cref="CorruptionException">The data does not decompress to the size it declares.</exception>
    /// <exception cref="NotSupportedException">The compression type is not one this engine reads.</exception>
    public static byte[] Decompress(CompressionType type, ReadOnlySpan<byte> compressed, string file, long offset, int maxSize)
    {
        int length = UncompressedLength(type, compressed, file, offset, maxSize);
        byte[] result = new byte[length];
        DecompressInto(type, compressed, result, file, offset);
        return result;
    }

    /// <summary>The uncompressed size a compressed block declares in its header, checked against <paramref name="maxSize"/>.</summary>
    /// <exception cref="CorruptionException">The header is malformed or declares more than <paramref name="maxSize"/>.</exception>
    /// <exception cref="NotSupportedException">The compression type is not one this engine reads.</exception>
    public static int UncompressedLength(CompressionType type, ReadOnlySpan<byte> compressed, string file, long offset, int maxSize)
    {
        // LZ4 (RocksDB's framing) and Snappy (its own) both open with the uncompressed size as a varint32.
        ThrowIfUnsupported(type, file, offset);
        int n = Coding.ReadVarint32(compressed, out uint size);
        if (n == 0 || size > (uint)maxSize)
        {
            throw new CorruptionException($"bad uncompressed size in {(type == CompressionType.Snappy ? "Snappy" : "LZ4")} block", file, offset);
        }

        return (int)size;
    }

    /// <summary>
    /// Decompresses a block into <paramref name="destination"/>, whose length must be the block's
    /// <see cref="UncompressedLength"/>; the whole destination is written.
    /// </summary>
    /// <exception cref="CorruptionException">The data does not decompress to exactly the destination's length.</exception>
    /// <exception cref="NotSupportedException">The compression type is not one this engine reads.</exception>
    public static void DecompressInto(CompressionType type, ReadOnlySpan<byte> compressed, Span<byte> destination, string file, long offset)
    {
        ThrowIfUnsupported(type, file, offset);
        int n = Coding.ReadVarint32(compressed, out uint size);
        if (n == 0 || size != (uint)destination.Length)
        {
            throw new CorruptionException("uncompressed size does not match the destination", file, offset);
        }

        if (type == CompressionType.Snappy)
        {
            SnappyDecoder.DecodeInto(compressed[n..], destination, file, offset);
            return;
        }

        int decoded;
        try
        {
            decoded = LZ4Codec.Decode(compressed[n..], destination);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new CorruptionException("LZ4 block does not decode", file, offset, e);
        }

        if (decoded != destination.Length)
        {
            throw new CorruptionException("LZ4 block decodes to the wrong size", file, offset);
        }
    }

    private static void ThrowIfUnsupported(CompressionType type, string file, long offset)
    {
        if (type is not (CompressionType.Lz4 or CompressionType.Lz4HC or CompressionType.Snappy))
        {
            throw new NotSupportedException(
                $"Block at offset {offset} in {file} uses {type} compression, which this engine does not read (it reads None, Snappy, LZ4 and LZ4HC).");
        }
    }
}
