using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The memtable (skip list in a native-memory arena) with 100,000 entries of 16-byte keys and 100-byte
/// values: filling one in random and in ascending key order, seeking, point lookups of present and
/// absent keys, and a full forward scan. Times and allocations are per entry or per lookup.
/// </summary>
/// <remarks>
/// The fill benchmarks create and free a memtable per invocation (100 chunks of 1 MiB, amortized over
/// 100,000 adds); the MemoryDiagnoser column shows managed allocations only, so it is 0 for everything
/// but that per-invocation setup: entries live in native memory.
/// </remarks>
[MemoryDiagnoser]
public class MemtableBenchmarks
{
    private const int Entries = 100_000;
    private const int Lookups = 1024;

    private byte[][] _randomOrder = [];
    private byte[][] _ascending = [];
    private byte[] _pool = [];
    private MemTable _table = null!;
    private MemTableIterator _iterator = null!;
    private byte[][] _seekTargets = [];
    private byte[][] _present = [];
    private byte[][] _absent = [];

    [GlobalSetup]
    public void Setup()
    {
        _pool = BenchData.ValuePool(seed: 5);
        _ascending = new byte[Entries][];
        for (int i = 0; i < Entries; i++)
        {
            _ascending[i] = BenchData.Key(2L * i);
        }

        var random = new Random(17);
        _randomOrder = (byte[][])_ascending.Clone();
        random.Shuffle(_randomOrder);

        _table = new MemTable(InternalKeyComparator.Bytewise);
        Fill(_table, _randomOrder);
        _iterator = _table.NewIterator();

        _seekTargets = new byte[Lookups][];
        _present = new byte[Lookups][];
        _absent = new byte[Lookups][];
        for (int i = 0; i < Lookups; i++)
        {
            long n = random.Next(Entries);
            _present[i] = BenchData.Key(2 * n);
            _absent[i] = BenchData.Key((2 * n) + 1);
            byte[] target = new byte[BenchData.KeyLength + InternalKey.TrailerSize];
            InternalKey.Write(target, _present[i], InternalKey.MaxSequence, InternalKey.KindForSeek);
            _seekTargets[i] = target;
        }

        Console.WriteLine($"// memtable: {Entries} entries, {_table.ApproximateMemoryUsage} bytes reserved");
    }

    [GlobalCleanup]
    public void Cleanup() => _table.Dispose();

    /// <summary>MemTable.Add in random key order: search, node allocation, encode, link.</summary>
    [Benchmark(OperationsPerInvoke = Entries)]
    public long AddRandomOrder()
    {
        using var table = new MemTable(InternalKeyComparator.Bytewise);
        Fill(table, _randomOrder);
        return table.NumEntries;
    }

    /// <summary>MemTable.Add in ascending key order, as a bulk load or a sequential-key workload does.</summary>
    [Benchmark(OperationsPerInvoke = Entries)]
    public long AddAscending()
    {
        using var table = new MemTable(InternalKeyComparator.Bytewise);
        Fill(table, _ascending);
        return table.NumEntries;
    }

    /// <summary>MemTableIterator.Seek to the newest version of a random present key.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Seek()
    {
        int valid = 0;
        MemTableIterator iterator = _iterator;
        foreach (byte[] target in _seekTargets)
        {
            iterator.Seek(target);
            valid += iterator.Valid ? 1 : 0;
        }

        return valid;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int GetPresent() => Probe(_present);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int GetAbsent() => Probe(_absent);

    /// <summary>SeekToFirst, then Next over every entry, reading key and value.</summary>
    [Benchmark(OperationsPerInvoke = Entries)]
    public long ScanForward()
    {
        long bytes = 0;
        MemTableIterator iterator = _iterator;
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            bytes += iterator.Key.Length + iterator.Value.Length;
        }

        return bytes;
    }

    private void Fill(MemTable table, byte[][] keys)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            table.Add((ulong)i + 1, ValueKind.Value, keys[i], BenchData.ValueOf(_pool, i));
        }
    }

    private int Probe(byte[][] keys)
    {
        int found = 0;
        foreach (byte[] key in keys)
        {
            if (_table.TryGetEntry(key, InternalKey.MaxSequence, out _, out ReadOnlySpan<byte> value, out _))
            {
                found += value.Length > 0 ? 1 : 0;
            }
        }

        return found;
    }
}
