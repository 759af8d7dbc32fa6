using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// LZ4 block compression in RocksDB's framing (<see cref="BlockCompression.TryCompress"/> and
/// <see cref="BlockCompression.Decompress"/>) over 1 MiB of real data blocks: 16-byte keys, 100-byte values
/// that compress to about half (db_bench's default data), at two block sizes. One operation processes the
/// whole MiB, block by block; see the MB/s column.
/// </summary>
[MemoryDiagnoser]
public class Lz4Benchmarks
{
    private byte[][] _blocks = [];
    private byte[][] _compressed = [];
    private ByteBuffer _output = null!;

    /// <summary>Uncompressed bytes per operation: the blocks add up to exactly this.</summary>
    [Params(1 << 20)]
    public int Size { get; set; }

    [Params(4096, 16384)]
    public int BlockSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] pool = BenchData.ValuePool(seed: 9);
        var blocks = new List<byte[]>();
        using var builder = new BlockBuilder(TableOptions.DefaultBlockRestartInterval);
        long n = 0;
        int total = 0;
        while (total < Size)
        {
            byte[] key = BenchData.InternalKeyOf(2 * n, 0);
            ReadOnlySpan<byte> value = BenchData.ValueOf(pool, n);
            if (!builder.IsEmpty && builder.EstimateSizeAfter(key.Length, value.Length) > BlockSize)
            {
                byte[] block = builder.Finish().ToArray();
                if (total + block.Length > Size)
                {
                    block = block[..(Size - total)]; // the last block is cut to make exactly Size bytes
                }

                blocks.Add(block);
                total += block.Length;
                builder.Reset();
            }

            builder.Add(key, value);
            n++;
        }

        _blocks = [.. blocks];
        _output = new ByteBuffer(2 * BlockSize);
        _compressed = new byte[_blocks.Length][];
        long compressedBytes = 0;
        for (int i = 0; i < _blocks.Length; i++)
        {
            if (!BlockCompression.TryCompress(CompressionType.Lz4, _blocks[i], _output))
            {
                throw new InvalidOperationException("benchmark data does not compress");
            }

            _compressed[i] = _output.WrittenSpan.ToArray();
            compressedBytes += _compressed[i].Length;
        }

        Console.WriteLine($"// {_blocks.Length} blocks, {total} bytes -> {compressedBytes} bytes ({100.0 * compressedBytes / total:0.0}%)");
    }

    [GlobalCleanup]
    public void Cleanup() => _output.Dispose();

    [Benchmark]
    public long Compress()
    {
        long bytes = 0;
        ByteBuffer output = _output;
        foreach (byte[] block in _blocks)
        {
            BlockCompression.TryCompress(CompressionType.Lz4, block, output);
            bytes += output.Length;
        }

        return bytes;
    }

    [Benchmark]
    public long Decompress()
    {
        long bytes = 0;
        foreach (byte[] block in _compressed)
        {
            bytes += BlockCompression.Decompress(CompressionType.Lz4, block, "bench", 0, 1 << 30).Length;
        }

        return bytes;
    }
}
