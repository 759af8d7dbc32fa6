using BenchmarkDotNet.Attributes;
using Lsm.Engine.Table;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Block checksums as the table writer and reader compute them (<see cref="BlockChecksum.Compute"/>: data
/// plus the compression-type byte), on a 4 KiB block and on a 1 MiB buffer. See the MB/s column.
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _data = [];

    [Params(4096, 1 << 20)]
    public int Size { get; set; }

    [Params(ChecksumType.Crc32C, ChecksumType.XxHash32, ChecksumType.XxHash64, ChecksumType.Xxh3)]
    public ChecksumType Type { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(5).NextBytes(_data);
    }

    [Benchmark]
    public uint Compute() => BlockChecksum.Compute(Type, _data, (byte)CompressionType.Lz4);
}
