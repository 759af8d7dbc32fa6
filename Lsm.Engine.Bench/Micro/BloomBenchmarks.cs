using BenchmarkDotNet.Attributes;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The FastLocalBloom full filter at 10 bits/key over 100,000 16-byte keys: adding keys (hash and
/// append), building the filter (add + finish), and probing present and absent keys.
/// </summary>
/// <remarks>Per-operation times are per key (OperationsPerInvoke = key count).</remarks>
[MemoryDiagnoser]
public class BloomBenchmarks
{
    private const int Keys = 100_000;

    private byte[] _present = [];
    private byte[] _absent = [];
    private FullFilterBuilder _builder = null!;
    private FilterReader _reader = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Keys packed back to back, so the loop measures the filter, not pointer chasing.
        _present = new byte[Keys * BenchData.KeyLength];
        _absent = new byte[Keys * BenchData.KeyLength];
        for (int i = 0; i < Keys; i++)
        {
            BenchData.FormatKey(_present.AsSpan(i * BenchData.KeyLength), 2L * i);
            BenchData.FormatKey(_absent.AsSpan(i * BenchData.KeyLength), (2L * i) + 1);
        }

        _builder = new FullFilterBuilder(10);
        AddAll();
        _reader = FilterReader.Create(_builder.Finish());
    }

    /// <summary>FullFilterBuilder.AddKey: one XXPH3 hash and an append to the hash list.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int AddKey()
    {
        _builder.Reset();
        AddAll();
        return _builder.KeyCount;
    }

    /// <summary>AddKey for every key, then Finish: sets the probe bits and allocates the filter block.</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int AddKeysAndFinish()
    {
        AddAll();
        return _builder.Finish().Length;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int KeyMayMatchPresent() => Probe(_present);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int KeyMayMatchAbsent() => Probe(_absent);

    private void AddAll()
    {
        ReadOnlySpan<byte> keys = _present;
        FullFilterBuilder builder = _builder;
        for (int offset = 0; offset < keys.Length; offset += BenchData.KeyLength)
        {
            builder.AddKey(keys.Slice(offset, BenchData.KeyLength));
        }
    }

    private int Probe(ReadOnlySpan<byte> keys)
    {
        int matches = 0;
        FilterReader reader = _reader;
        for (int offset = 0; offset < keys.Length; offset += BenchData.KeyLength)
        {
            matches += reader.KeyMayMatch(keys.Slice(offset, BenchData.KeyLength)) ? 1 : 0;
        }

        return matches;
    }
}
