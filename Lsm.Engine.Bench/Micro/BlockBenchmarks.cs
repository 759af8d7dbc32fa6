using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Data blocks of internal keys (16-byte user keys, 100-byte values, restart interval 16): building one
/// 4 KiB block, and seeking random keys in a built one.
/// </summary>
[MemoryDiagnoser]
public class BlockBenchmarks
{
    private const int BlockSize = TableOptions.DefaultBlockSize;
    private const int Seeks = 1024;

    private byte[][] _keys = [];
    private byte[][] _values = [];
    private BlockBuilder _builder = null!;
    private Block _block;
    private BlockIterator _iterator = null!;
    private byte[][] _targets = [];

    [GlobalSetup]
    public void Setup()
    {
        byte[] pool = BenchData.ValuePool(seed: 1);
        _keys = new byte[BlockSize / BenchData.ValueLength * 2][];
        _values = new byte[_keys.Length][];
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i] = BenchData.InternalKeyOf(1_000_000 + i, sequence: (ulong)(5000 + i));
            _values[i] = BenchData.ValueOf(pool, i).ToArray();
        }

        _builder = new BlockBuilder(TableOptions.DefaultBlockRestartInterval);
        int entries = FillBlock();
        byte[] contents = _builder.Finish().ToArray();
        _builder.Reset();
        _block = Block.Parse(contents, contents.Length, "bench", 0);
        _iterator = new BlockIterator();
        _iterator.Reset(_block, InternalKeyComparator.Bytewise);

        // Seek targets: the user keys of random entries, as point lookups make them (newest first).
        var random = new Random(7);
        _targets = new byte[Seeks][];
        for (int i = 0; i < Seeks; i++)
        {
            byte[] target = new byte[BenchData.KeyLength + InternalKey.TrailerSize];
            InternalKey.Write(target, InternalKey.UserKey(_keys[random.Next(entries)]), InternalKey.MaxSequence, InternalKey.KindForSeek);
            _targets[i] = target;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _builder.Dispose();

    /// <summary>Adds entries until the block reaches 4 KiB (the table builder's rule), finishes and resets it.</summary>
    [Benchmark]
    public int BuildBlock()
    {
        FillBlock();
        int length = _builder.Finish().Length;
        _builder.Reset();
        return length;
    }

    /// <summary>One <see cref="BlockIterator.Seek"/> to a random present key: restart binary search plus linear scan.</summary>
    [Benchmark(OperationsPerInvoke = Seeks)]
    public int SeekBlock()
    {
        int valid = 0;
        BlockIterator iterator = _iterator;
        foreach (byte[] target in _targets)
        {
            iterator.Seek(target);
            valid += iterator.Valid ? 1 : 0;
        }

        return valid;
    }

    private int FillBlock()
    {
        int i = 0;
        while (i < _keys.Length
            && (_builder.IsEmpty || _builder.EstimateSizeAfter(_keys[i].Length, _values[i].Length) <= BlockSize))
        {
            _builder.Add(_keys[i], _values[i]);
            i++;
        }

        return i;
    }
}
