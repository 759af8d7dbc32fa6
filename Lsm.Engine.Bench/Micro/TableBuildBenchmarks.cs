using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Writing a table with <see cref="TableBuilder"/> into memory: 100,000 entries (16-byte keys, 100-byte
/// values), LZ4, 10 bits/key Bloom filter, XXH3 checksums, format 6 (the defaults). Times and allocations
/// are per entry; the output goes to one reused, preallocated buffer, so both are the builder's own.
/// </summary>
[MemoryDiagnoser]
public class TableBuildBenchmarks
{
    private const int Entries = 100_000;

    private byte[][] _keys = [];
    private byte[][] _values = [];
    private ReusableWritableFile _file = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] pool = BenchData.ValuePool(seed: 13);
        _keys = new byte[Entries][];
        _values = new byte[Entries][];
        for (int i = 0; i < Entries; i++)
        {
            _keys[i] = BenchData.InternalKeyOf(2L * i, 0);
            _values[i] = BenchData.ValueOf(pool, i).ToArray();
        }

        _file = new ReusableWritableFile(16 << 20);
    }

    [Benchmark(OperationsPerInvoke = Entries)]
    public ulong BuildTable()
    {
        _file.Rewind();
        using var builder = new TableBuilder(_file, new TableOptions(), TableBuilderContext.External("BENCHBENCHBENCHBENCH"));
        for (int i = 0; i < _keys.Length; i++)
        {
            builder.Add(_keys[i], _values[i]);
        }

        builder.Finish();
        return builder.FileSize;
    }
}
