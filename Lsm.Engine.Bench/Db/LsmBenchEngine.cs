using System.Globalization;

namespace Lsm.Engine.Bench.Db;

/// <summary>The engine under test, <see cref="LsmDb"/>, configured from the benchmark options.</summary>
internal sealed class LsmBenchEngine : IBenchEngine
{
    private readonly string _path;
    private readonly DbOptions _options;
    private readonly DbOptions _freshOptions;
    private readonly bool _usePut;
    private readonly bool _compacting;
    private readonly BlockCache? _cache;
    private LsmDb? _db;

    public LsmBenchEngine(string path, DbBenchOptions options)
    {
        _path = path;
        _usePut = options.WriteApi == WriteApi.Put;
        _compacting = options.Compaction != BenchCompaction.None;
        // One cache for the run's database, kept across its reopens as RocksDB keeps the cache its options hold.
        _cache = options.CacheMb > 0 && options.MemoryMb == 0 ? new BlockCache(options.CacheMb * 1024L * 1024) : null;
        _options = new DbOptions
        {
            CreateIfMissing = true,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions
            {
                WriteBufferSize = options.WriteBufferMb * 1024L * 1024,
                MaxWriteBufferNumber = 2,
                CompactionStyle = options.Compaction == BenchCompaction.Universal ? CompactionStyle.Universal : CompactionStyle.Level,
                DisableAutoCompactions = options.Compaction == BenchCompaction.None,
                Table = new TableOptions
                {
                    BlockSize = 4096,
                    BloomBitsPerKey = 10,
                    Compression = CompressionType.Lz4,
                    BlockCache = _cache,
                    NoBlockCache = _cache is null,
                    CacheIndexAndFilterBlocks = options.CacheIndexAndFilter,
                },
            },
        };
        if (options.MemoryMb > 0)
        {
            // Flink's managed memory: one budget derives the cache, the write buffer manager and the write buffers.
            _budget = new MemoryBudget(options.MemoryMb * 1024L * 1024);
            _options = _budget.ApplyTo(_options with
            {
                DefaultColumnFamilyOptions = _options.DefaultColumnFamilyOptions with
                {
                    Table = _options.DefaultColumnFamilyOptions.Table with { BlockCache = null, NoBlockCache = false },
                },
            });
        }

        _freshOptions = _options with { ErrorIfExists = true };
    }

    /// <summary>The one-number budget of <c>--memory-mb</c>, or null.</summary>
    private readonly MemoryBudget? _budget;

    public string Name => "lsm";

    public bool IsOpen => _db is not null;

    private LsmDb Db => _db ?? throw new InvalidOperationException("No database is open.");

    public void OpenFresh()
    {
        Close();
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }

        _db = LsmDb.Open(_path, _freshOptions);
    }

    public void EnsureOpen() => _db ??= LsmDb.Open(_path, _options);

    public void Reopen()
    {
        EnsureOpen();
        Db.Flush();
        Close();
        _db = LsmDb.Open(_path, _options);
    }

    public bool WaitForBackgroundWork(TimeSpan timeout)
    {
        if (_compacting)
        {
            // WaitForCompactions asks the picker, so it ends when nothing would be picked even if compaction-pending says 1.
            LsmDb db = Db;
            return Task.Run(db.WaitForCompactions).Wait(timeout);
        }

        var deadline = DateTime.UtcNow + timeout;
        while (Property("rocksdb.num-immutable-mem-table") + Property("rocksdb.num-running-flushes") > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    public EngineCounters Counters()
    {
        DatabaseStatistics s = Db.GetStatistics();
        return new EngineCounters(
            s.UserBytesWritten, s.BytesFlushed, s.CompactionBytesWritten, s.WalBytesWritten, (long)s.StallTime.TotalMicroseconds,
            s.Gets, s.TablesProbed, s.SstBytes, s.LiveDataBytes, CacheTickers.Read(Db.GetTickerCount), Property("rocksdb.block-cache-usage"));
    }

    public EngineState State()
    {
        int files = 0;
        for (int level = 0; level < 7; level++)
        {
            files += (int)Property(FormattableString.Invariant($"rocksdb.num-files-at-level{level}"));
        }

        return new EngineState(
            (int)Property("rocksdb.num-files-at-level0"),
            files,
            Property("rocksdb.cur-size-all-mem-tables"),
            Property("rocksdb.total-sst-files-size"));
    }

    public IBenchSession NewSession(bool sync) => new Session(Db, new WriteOptions { Sync = sync }, _usePut);

    public void Dispose()
    {
        Close();
        _cache?.Dispose();
        _budget?.Dispose();
    }

    private void Close()
    {
        _db?.Dispose();
        _db = null;
    }

    private long Property(string name) =>
        Db.GetProperty(name) is string text ? long.Parse(text, CultureInfo.InvariantCulture) : 0;

    private sealed class Session(LsmDb db, WriteOptions writeOptions, bool usePut) : IBenchSession
    {
        private readonly WriteBatch _batch = new();
        private LsmIterator? _cursor;

        public bool CursorValid => _cursor!.Valid;

        public ReadOnlySpan<byte> CursorKey => _cursor!.Key;

        public ReadOnlySpan<byte> CursorValue => _cursor!.Value;

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            if (usePut)
            {
                db.Put(null, key, value, writeOptions);
                return;
            }

            _batch.Clear();
            _batch.Put(key, value);
            db.Write(_batch, writeOptions);
        }

        public bool Get(ReadOnlySpan<byte> key, Span<byte> value, out int valueLength) =>
            db.TryGet(key, value, out valueLength);

        public void CursorSeek(ReadOnlySpan<byte> start)
        {
            _cursor = db.NewIterator();
            if (start.IsEmpty)
            {
                _cursor.SeekToFirst();
            }
            else
            {
                _cursor.Seek(start);
            }
        }

        public void CursorNext() => _cursor!.Next();

        public void CursorClose()
        {
            _cursor?.Dispose();
            _cursor = null;
        }

        public void Dispose() => CursorClose();
    }
}
