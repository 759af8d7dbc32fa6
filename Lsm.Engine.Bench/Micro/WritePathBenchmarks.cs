using BenchmarkDotNet.Attributes;
using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Bench.Micro;

/// <summary>
/// The write path's two per-key costs, each alone: the skip-list insert of random keys into a memtable the
/// size of a 64 MiB write buffer (with and without huge-page arena regions), and a whole single-key
/// <see cref="LsmDb.Put(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> (WAL on, not synced) whose allocated
/// column must read 0.
/// </summary>
/// <remarks>
/// The insert benchmark fills a fresh arena per invocation with <see cref="Entries"/> entries of 16-byte
/// keys and 100-byte values (about 60 MiB: larger than the last-level cache, as a full write buffer is),
/// so every hop of a search is a cache miss and, without huge pages, usually a TLB miss too.
/// </remarks>
[MemoryDiagnoser]
public class WritePathBenchmarks
{
    private const int Entries = 400_000;
    private const int Puts = 10_000;

    private byte[][] _internalKeys = [];
    private byte[] _pool = [];
    private string _dbPath = "";
    private LsmDb _db = null!;
    private long _next;

    /// <summary>Whether the arena carves chunks from 2 MiB huge-page regions.</summary>
    [Params(false, true)]
    public bool HugePages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _pool = BenchData.ValuePool(seed: 9);
        var random = new Random(23);
        _internalKeys = new byte[Entries][];
        for (int i = 0; i < Entries; i++)
        {
            _internalKeys[i] = BenchData.InternalKeyOf(random.NextInt64(1_000_000_000), (ulong)i + 1);
        }

        _dbPath = Path.Combine(Path.GetTempPath(), "lsm-writepath-" + Environment.ProcessId);
        _db = LsmDb.Open(_dbPath, new DbOptions { CreateIfMissing = true });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.Dispose();
        Directory.Delete(_dbPath, recursive: true);
    }

    /// <summary>SkipList insert (search, node allocation, copy, link) of random keys, per entry.</summary>
    [Benchmark(OperationsPerInvoke = Entries)]
    public long SkipListInsertRandom()
    {
        using var arena = new Arena(Arena.DefaultChunkSize, HugePages);
        var list = new SkipList(arena, InternalKeyComparator.Bytewise);
        byte[][] keys = _internalKeys;
        for (int i = 0; i < keys.Length; i++)
        {
            list.Insert(keys[i], BenchData.ValueOf(_pool, i));
        }

        return list.Count;
    }

    /// <summary>LsmDb.Put of one key (validation, group commit, WAL append and write(), memtable insert), per call.</summary>
    [Benchmark(OperationsPerInvoke = Puts)]
    public long DbPut()
    {
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        long n = _next;
        for (int i = 0; i < Puts; i++, n++)
        {
            BenchData.FormatKey(key, n % 1_000_000);
            _db.Put(key, BenchData.ValueOf(_pool, (int)n));
        }

        _next = n;
        return n;
    }
}
