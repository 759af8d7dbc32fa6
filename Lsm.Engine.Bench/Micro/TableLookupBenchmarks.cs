using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// Point lookups (<see cref="TableReader.TryGet"/>) in an in-memory table of 100,000 entries with a 10
/// bits/key Bloom filter: present keys (filter hit, index seek, data block read, verify, decompress,
/// block seek) and absent keys that fall between present ones (filter miss; ~1% go on to a block read); and
/// seekrandom's table part, a seek then 10 nexts on a reused iterator.
/// </summary>
/// <remarks>
/// <see cref="Cache"/> says where the data blocks come from: <c>none</c>, every present-key lookup reads and
/// decodes its block into the iterator's pooled block buffer; <c>hit</c>, a 64 MiB <see cref="BlockCache"/> that
/// holds the whole table (warmed in setup), so every block is a hit; <c>miss</c>, a 64 KiB cache (16 blocks of the
/// table's ~1,300), so nearly every lookup misses, reads the block into native memory, inserts it and evicts one.
/// After warm-up none of these allocates.
/// </remarks>
[MemoryDiagnoser]
public class TableLookupBenchmarks
{
    private const int Entries = 100_000;
    private const int Lookups = 1024;

    private TableReader _reader = null!;
    private BlockCache? _cache;
    private TableIterator _scratch = null!;
    private byte[][] _present = [];
    private byte[][] _absent = [];
    private byte[][] _seekTargets = [];

    [Params(CompressionType.Lz4, CompressionType.None)]
    public CompressionType Compression { get; set; }

    [Params("none", "hit", "miss")]
    public string Cache { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        byte[] pool = BenchData.ValuePool(seed: 3);
        var options = new TableOptions { Compression = Compression, BloomBitsPerKey = 10 };
        var output = new MemoryFile("bench.sst");
        using (var builder = new TableBuilder(output, options, TableBuilderContext.External("BENCHBENCHBENCHBENCH")))
        {
            byte[] key = new byte[BenchData.KeyLength + InternalKey.TrailerSize];
            for (int i = 0; i < Entries; i++)
            {
                BenchData.FormatKey(key, 2L * i);
                InternalKey.Write(key, key.AsSpan(0, BenchData.KeyLength), 0, ValueKind.Value);
                builder.Add(key, BenchData.ValueOf(pool, i));
            }

            builder.Finish();
        }

        _cache = Cache switch
        {
            "hit" => new BlockCache(64L << 20),
            "miss" => new BlockCache(64L << 10),
            _ => null,
        };
        _reader = TableReader.Open(new MemoryFile("bench.sst", output.ToArray()), ownsFile: true, new TableReaderOptions { BlockCache = _cache });
        _scratch = _reader.NewIterator();
        var random = new Random(11);
        _present = new byte[Lookups][];
        _absent = new byte[Lookups][];
        _seekTargets = new byte[Lookups][];
        for (int i = 0; i < Lookups; i++)
        {
            long n = random.Next(Entries);
            _present[i] = BenchData.Key(2 * n);
            _absent[i] = BenchData.Key((2 * n) + 1);
            _seekTargets[i] = InternalKey.Create(_absent[i], InternalKey.MaxSequence, InternalKey.KindForSeek);
        }

        if (Cache == "hit")
        {
            Probe(_present);
            Probe(_present);
        }

        Console.WriteLine($"// table: {_reader.FileSize} bytes, {_reader.Properties.NumDataBlocks} data blocks, compression {Compression}, cache {Cache}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scratch.Dispose();
        _reader.Dispose();
        _cache?.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int GetPresent() => Probe(_present);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int GetAbsent() => Probe(_absent);

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int SeekNext10()
    {
        int bytes = 0;
        foreach (byte[] target in _seekTargets)
        {
            _scratch.Seek(target);
            for (int i = 0; i < 10 && _scratch.Valid; i++)
            {
                bytes += _scratch.Value.Length;
                _scratch.Next();
            }
        }

        return bytes;
    }

    private int Probe(byte[][] keys)
    {
        int found = 0;
        foreach (byte[] key in keys)
        {
            if (_reader.TryGet(key, InternalKey.MaxSequence, _scratch, out _, out ReadOnlySpan<byte> value))
            {
                found += value.Length > 0 ? 1 : 0;
            }
        }

        return found;
    }
}
