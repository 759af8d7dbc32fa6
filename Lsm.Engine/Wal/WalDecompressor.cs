using ZstdSharp;

namespace Lsm.Engine.Wal;

/// <summary>
/// Decompresses the records of a log written with RocksDB's <c>wal_compression</c> (ZSTD, the only streaming
/// compression RocksDB offers for logs).
/// </summary>
/// <remarks>
/// After the log's first record, a <see cref="LogRecordType.SetCompressionType"/> naming ZSTD, the payload of every
/// data record is compressed: the writer compresses each logical record as one complete ZSTD frame
/// (<c>ZSTD_e_end</c>) and cuts the frame into fragments like any payload, so the concatenated fragments of a
/// record are exactly one frame, independent of every other record. Only recovery and inspection read logs, so
/// this favours simplicity over allocation-free decoding. Not thread-safe.
/// </remarks>
internal sealed class WalDecompressor
{
    /// <summary>RocksDB's compression type byte for ZSTD (kZSTD).</summary>
    public const uint ZstdType = 7;

    private byte[] _output = new byte[LogFormat.BlockSize];

    /// <summary>Decompresses one record's frame; false when it is not a valid ZSTD frame.</summary>
    /// <param name="source">The array holding the compressed record.</param>
    /// <param name="start">Where it starts in <paramref name="source"/>.</param>
    /// <param name="length">Its length.</param>
    /// <param name="output">The array holding the record afterwards (reused by the next call).</param>
    /// <param name="outputLength">The record's length.</param>
    public bool TryDecompress(byte[] source, int start, int length, out byte[] output, out int outputLength)
    {
        output = _output;
        outputLength = 0;
        if (length == 0)
        {
            return true; // RocksDB compresses an empty record into no bytes at all
        }

        try
        {
            using var input = new MemoryStream(source, start, length, writable: false);
            using var stream = new DecompressionStream(input);
            while (true)
            {
                if (outputLength == _output.Length)
                {
                    Array.Resize(ref _output, _output.Length * 2);
                }

                int n = stream.Read(_output, outputLength, _output.Length - outputLength);
                if (n == 0)
                {
                    break;
                }

                outputLength += n;
            }

            output = _output;
            return input.Position == input.Length; // nothing after the frame
        }
        catch (ZstdException)
        {
            return false;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }
}
