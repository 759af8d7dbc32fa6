using K4os.Compression.LZ4;
using Lsm.Engine.Encoding;
using ZstdSharp;

namespace Lsm.Engine.Table;

/// <summary>
/// Compresses and decompresses block contents in RocksDB's framing.
/// </summary>
/// <remarks>
/// LZ4 (and LZ4HC) blocks are <c>uncompressed size (varint32) | raw LZ4 block</c>, ZSTD blocks
/// <c>uncompressed size (varint32) | one ZSTD frame</c> (RocksDB's compress_format_version 2, used by every
/// table format version from 2 on). Snappy blocks are a raw Snappy stream, which carries its own length.
/// A compressed block is kept only when it is at most 7/8 of the original (RocksDB's default
/// max_compressed_bytes_per_kb of 896); otherwise the block is stored uncompressed. Thread-safe: the ZSTD
/// contexts are per thread. See format-spec.md, "Compression".
/// </remarks>
internal static class BlockCompression
{
    /// <summary>The ZSTD level data blocks are written with: RocksDB's default (kDefaultCompressionLevel maps to ZSTD_CLEVEL_DEFAULT, 3).</summary>
    public const int ZstdLevel = 3;

    /// <summary>
    /// The most a ZSTD frame can expand: every ZSTD block (at most 128 KiB of output) takes at least 4 stored
    /// bytes (an RLE block: 3-byte header and the repeated byte).
    /// </summary>
    private const int ZstdMaxRatio = 32 * 1024;

    /// <summary>The most LZ4 and Snappy can expand (neither reaches 256 times), plus room for tiny blocks.</summary>
    private const int Lz4SnappyMaxRatio = 256;

    /// <summary>ZSTD_getFrameContentSize's answers for a frame that does not record its size, and for a bad header.</summary>
    private const ulong ZstdContentSizeUnknown = ulong.MaxValue;

    private const ulong ZstdContentSizeError = ulong.MaxValue - 1;

    [ThreadStatic]
    private static Decompressor? t_zstdDecompressor;

    [ThreadStatic]
    private static Compressor? t_zstdCompressor;

    /// <summary>
    /// Compresses <paramref name="raw"/> into <paramref name="output"/> (cleared first). Returns false, with
    /// <paramref name="output"/> unspecified, when compression does not save enough and the block should be stored raw.
    /// </summary>
    public static bool TryCompress(CompressionType type, ReadOnlySpan<byte> raw, ByteBuffer output)
    {
        if (type is not (CompressionType.Lz4 or CompressionType.Zstd))
        {
            throw new NotSupportedException($"Writing {type} blocks is not supported; use None, Lz4 or Zstd.");
        }

        output.Clear();
        output.AppendVarint32((uint)raw.Length);
        int headerLength = output.Length;
        long limit = (long)raw.Length * TableFormat.MaxCompressedBytesPerKb / 1024;
        if (type == CompressionType.Zstd)
        {
            // As RocksDB does: the compressor gets only the room a block worth keeping may take, and running
            // out of it means the block is stored raw.
            int room = (int)limit - headerLength;
            if (room <= 0)
            {
                return false;
            }

            Compressor compressor = t_zstdCompressor ??= new Compressor(ZstdLevel);
            if (!compressor.TryWrap(raw, output.GetSpan(room)[..room], out int compressed))
            {
                return false;
            }

            output.Advance(compressed);
            return true;
        }

        int maxOutput = LZ4Codec.MaximumOutputSize(raw.Length);
        Span<byte> target = output.GetSpan(maxOutput)[..maxOutput];
        int written = LZ4Codec.Encode(raw, target, LZ4Level.L00_FAST);
        if (written <= 0)
        {
            return false;
        }

        output.Advance(written);
        return headerLength + written <= limit;
    }

    /// <summary>
    /// The most a block of <paramref name="storedSize"/> stored bytes may declare uncompressed: what its compression
    /// can expand to at best, and never more than 1 GiB. A larger declared size is corruption, refused before anything
    /// is allocated for it.
    /// </summary>
    public static int MaxUncompressedSize(CompressionType type, int storedSize)
    {
        long ratio = type == CompressionType.Zstd ? ZstdMaxRatio : Lz4SnappyMaxRatio;
        return (int)Math.Min(1L << 30, ((long)storedSize * ratio) + 1024);
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
        // LZ4 and ZSTD (RocksDB's framing) and Snappy (its own) all open with the uncompressed size as a varint32.
        ThrowIfUnsupported(type, file, offset);
        int n = Coding.ReadVarint32(compressed, out uint size);
        if (n == 0 || size > (uint)maxSize)
        {
            throw new CorruptionException($"bad uncompressed size in {Name(type)} block", file, offset);
        }

        if (type == CompressionType.Zstd)
        {
            // The frame header usually records the content size too (RocksDB's ZSTD_compress2 writes it); when it
            // does, the two must agree.
            ulong frameSize = ZstdFrameContentSize(compressed[n..]);
            if (frameSize == ZstdContentSizeError || (frameSize != ZstdContentSizeUnknown && frameSize != size))
            {
                throw new CorruptionException(
                    frameSize == ZstdContentSizeError
                        ? "ZSTD block does not start with a valid frame header"
                        : $"ZSTD frame declares {frameSize} bytes, the block header {size}",
                    file,
                    offset);
            }
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

        switch (type)
        {
            case CompressionType.Snappy:
                SnappyDecoder.DecodeInto(compressed[n..], destination, file, offset);
                return;
            case CompressionType.Zstd:
                ZstdDecodeInto(compressed[n..], destination, file, offset);
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

    /// <summary>The content size a ZSTD frame header declares, <see cref="ZstdContentSizeUnknown"/> or <see cref="ZstdContentSizeError"/>.</summary>
    private static unsafe ulong ZstdFrameContentSize(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            return ZstdSharp.Unsafe.Methods.ZSTD_getFrameContentSize(p, (nuint)frame.Length);
        }
    }

    /// <summary>
    /// Decodes the ZSTD frame(s) of a block with this thread's reusable context, as RocksDB's ZSTD_decompressDCtx
    /// does: all of <paramref name="frame"/> must decode, to exactly <paramref name="destination"/>'s length.
    /// </summary>
    private static void ZstdDecodeInto(ReadOnlySpan<byte> frame, Span<byte> destination, string file, long offset)
    {
        Decompressor decompressor = t_zstdDecompressor ??= new Decompressor();
        int decoded;
        try
        {
            decoded = decompressor.Unwrap(frame, destination);
        }
        catch (ZstdException e)
        {
            throw new CorruptionException($"ZSTD block does not decode ({e.Message})", file, offset, e);
        }

        if (decoded != destination.Length)
        {
            throw new CorruptionException($"ZSTD block decodes to {decoded} bytes, not the {destination.Length} it declares", file, offset);
        }
    }

    private static string Name(CompressionType type) => type switch
    {
        CompressionType.Snappy => "Snappy",
        CompressionType.Zstd => "ZSTD",
        _ => "LZ4",
    };

    private static void ThrowIfUnsupported(CompressionType type, string file, long offset)
    {
        if (type is not (CompressionType.Lz4 or CompressionType.Lz4HC or CompressionType.Snappy or CompressionType.Zstd))
        {
            throw new NotSupportedException(
                $"Block at offset {offset} in {file} uses {type} compression, which this engine does not read (it reads None, Snappy, LZ4, LZ4HC and ZSTD).");
        }
    }
}
