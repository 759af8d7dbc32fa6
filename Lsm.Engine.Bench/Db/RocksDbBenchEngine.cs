using System.Globalization;
using System.Runtime.CompilerServices;
using RocksDbSharp;

namespace Lsm.Engine.Bench.Db;

using RocksDbOptions = RocksDbSharp.DbOptions;
using RocksReadOptions = RocksDbSharp.ReadOptions;
using RocksWriteBatch = RocksDbSharp.WriteBatch;
using RocksWriteOptions = RocksDbSharp.WriteOptions;

/// <summary>
/// Native RocksDB through its .NET binding (RocksDbSharp), set up as much like <see cref="LsmBenchEngine"/> as
/// the engines allow: same write buffer size and count, 4 KiB blocks, full Bloom filter of 10 bits/key, LZ4,
/// XXH3 checksums, format version 6, WAL on (synced only when asked), the compaction style of <c>--compaction</c>
/// with RocksDB's defaults (ours has the same), statistics on, an LRU block cache of <c>--cache-mb</c> (none when 0)
/// with index and filter blocks in it only with <c>--cache-index-and-filter</c>. The hot paths call the C API directly (pinned gets,
/// raw iterators) so the binding adds no managed allocation per operation.
/// </summary>
internal sealed class RocksDbBenchEngine : IBenchEngine
{
    private const int ChecksumXxh3 = 4;

    private readonly string _path;
    private readonly DbBenchOptions _settings;
    private readonly RocksDbOptions _options;
    private readonly BlockBasedTableOptions _table;
    private readonly RocksDbSharp.Cache? _cache;
    private readonly IntPtr _writeBufferManager; // with --memory-mb; destroyed with the engine
    private RocksDb? _db;

    public RocksDbBenchEngine(string path, DbBenchOptions settings)
    {
        _path = path;
        _settings = settings;
        _table = new BlockBasedTableOptions()
            .SetBlockSize(4096)
            .SetFormatVersion(6)
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false));
        Native.Instance.rocksdb_block_based_options_set_checksum(_table.Handle, (char)ChecksumXxh3);
        ulong writeBufferSize = (ulong)settings.WriteBufferMb * 1024 * 1024;
        if (settings.MemoryMb > 0)
        {
            // The numbers of our MemoryBudget (Flink's split), so both engines run under the same budget.
            using var budget = new MemoryBudget(settings.MemoryMb * 1024L * 1024);
            _cache = RocksDbSharp.Cache.CreateLru((ulong)budget.BlockCache.Capacity);
            _table.SetBlockCache(_cache);
            _table.SetCacheIndexAndFilterBlocks(true);
            Native.Instance.rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(_table.Handle, 1);
            _writeBufferManager = Native.Instance.rocksdb_write_buffer_manager_create_with_cache(
                checked((UIntPtr)(ulong)budget.WriteBufferManager.BufferSize), _cache.Handle, 0);
            writeBufferSize = Math.Min(writeBufferSize, (ulong)budget.WriteBufferSizeFor(1, 2));
        }
        else if (settings.CacheMb > 0)
        {
            // LRU, high-priority pool ratio 0.5 (RocksDB's default, and ours).
            _cache = RocksDbSharp.Cache.CreateLru((ulong)settings.CacheMb * 1024 * 1024);
            _table.SetBlockCache(_cache);
            if (settings.CacheIndexAndFilter)
            {
                _table.SetCacheIndexAndFilterBlocks(true);
                Native.Instance.rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(_table.Handle, 1);
            }
        }
        else
        {
            _table.SetNoBlockCache(true);
        }

        _options = new RocksDbOptions()
            .SetCreateIfMissing(true)
            .SetWriteBufferSize(writeBufferSize)
            .SetMaxWriteBufferNumber(2)
            .SetCompression(Compression.Lz4)
            .SetBlockBasedTableFactory(_table)
            .SetDisableAutoCompactions(settings.Compaction == BenchCompaction.None ? 1 : 0)
            .SetCompactionStyle(settings.Compaction == BenchCompaction.Universal ? RocksDbSharp.Compaction.Universal : RocksDbSharp.Compaction.Level);
        _options.EnableStatistics(); // the tickers behind the amplification figures
        if (_writeBufferManager != IntPtr.Zero)
        {
            Native.Instance.rocksdb_options_set_write_buffer_manager(_options.Handle, _writeBufferManager);
        }
    }

    public string Name => "rocksdb";

    public bool IsOpen => _db is not null;

    private RocksDb Db => _db ?? throw new InvalidOperationException("No database is open.");

    /// <summary>Whether the native library loads; the reason when it does not.</summary>
    public static bool TryLoad(out string? error)
    {
        try
        {
            Probe();
            error = null;
            return true;
        }
#pragma warning disable CA1031 // any failure to load the native library means: run without RocksDB
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e.GetBaseException().Message;
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Probe()
    {
        var options = new RocksWriteOptions();
        GC.KeepAlive(options.Handle);
    }

    /// <summary>The RocksDB version the native library reports, or null.</summary>
    public static string? Version()
    {
        try
        {
            return typeof(RocksDb).Assembly.GetName().Version?.ToString();
        }
#pragma warning disable CA1031
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    public void OpenFresh()
    {
        Close();
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }

        Directory.CreateDirectory(_path);
        _db = RocksDb.Open(_options, _path);
    }

    public void EnsureOpen()
    {
        if (_db is null)
        {
            Directory.CreateDirectory(_path);
            _db = RocksDb.Open(_options, _path);
        }
    }

    public void Reopen()
    {
        EnsureOpen();
        Db.Flush(new FlushOptions().SetWaitForFlush(true));

        Close();
        _db = RocksDb.Open(_options, _path);
    }

    public bool WaitForBackgroundWork(TimeSpan timeout)
    {
        if (_settings.Compaction != BenchCompaction.None)
        {
            // RocksDB's WaitForCompact: compaction-pending can stay 1 while the picker has nothing to do (universal
            // below its size ratio), so polling it would wait for ever.
            IntPtr options = Native.Instance.rocksdb_wait_for_compact_options_create();
            try
            {
                Native.Instance.rocksdb_wait_for_compact_options_set_timeout(options, (ulong)timeout.TotalMicroseconds);
                Native.Instance.rocksdb_wait_for_compact(Db.Handle, options, out IntPtr error);
                if (error != IntPtr.Zero)
                {
                    Native.Instance.rocksdb_free(error);
                    return false; // timed out
                }

                return true;
            }
            finally
            {
                Native.Instance.rocksdb_wait_for_compact_options_destroy(options);
            }
        }

        var deadline = DateTime.UtcNow + timeout;
        // With automatic compaction off, compaction-pending can stay 1 for ever (level 0 over its trigger): ignore it then.
        while (Property("rocksdb.num-immutable-mem-table") + Property("rocksdb.num-running-flushes")
            + Property("rocksdb.num-running-compactions") > 0)
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
        Dictionary<string, long> tickers = Tickers(_options.GetStatisticsString());
        long Ticker(string name) => tickers.GetValueOrDefault(name);
        return new EngineCounters(
            Ticker("rocksdb.bytes.written"),
            Ticker("rocksdb.flush.write.bytes"),
            Ticker("rocksdb.compact.write.bytes"),
            Ticker("rocksdb.wal.bytes"),
            Ticker("rocksdb.stall.micros"),
            Ticker("rocksdb.number.keys.read"),
            // Every table whose range holds the key has its full filter probed: ruled out (useful) or not (positive).
            Ticker("rocksdb.bloom.filter.useful") + Ticker("rocksdb.bloom.filter.full.positive"),
            Property("rocksdb.live-sst-files-size"),
            Property("rocksdb.estimate-live-data-size"),
            CacheTickers.Read(Ticker),
            Property("rocksdb.block-cache-usage"));
    }

    /// <summary>The tickers of RocksDB's statistics text: lines <c>rocksdb.name COUNT : n</c>.</summary>
    internal static Dictionary<string, long> Tickers(string? text)
    {
        var tickers = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in (text ?? "").Split('\n'))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 4 && parts[1] == "COUNT" && parts[2] == ":"
                && long.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out long count))
            {
                tickers[parts[0]] = count;
            }
        }

        return tickers;
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

    public IBenchSession NewSession(bool sync) => new Session(Db, sync, _settings.WriteApi == WriteApi.Put);

    public void Dispose()
    {
        // The options, table options and cache free their native halves in their finalizers.
        Close();
        if (_writeBufferManager != IntPtr.Zero)
        {
            Native.Instance.rocksdb_write_buffer_manager_destroy(_writeBufferManager);
        }

        GC.KeepAlive(_table);
        GC.KeepAlive(_cache);
        GC.KeepAlive(_options);
    }

    private void Close()
    {
        _db?.Dispose();
        _db = null;
    }

    private long Property(string name) =>
        Db.GetProperty(name) is string text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : 0;

    private sealed unsafe class Session : IBenchSession
    {
        private readonly RocksDb _db;
        private readonly IntPtr _handle;
        private readonly RocksWriteOptions _writeOptions;
        private readonly RocksReadOptions _readOptions = new();
        private readonly RocksWriteBatch _batch = new();
        private readonly bool _usePut;
        private IntPtr _cursor;

        public Session(RocksDb db, bool sync, bool usePut)
        {
            _db = db;
            _handle = db.Handle;
            _writeOptions = new RocksWriteOptions().SetSync(sync);
            _usePut = usePut;
        }

        public bool CursorValid => Native.Instance.rocksdb_iter_valid(_cursor) != 0;

        public ReadOnlySpan<byte> CursorKey
        {
            get
            {
                IntPtr key = Native.Instance.rocksdb_iter_key(_cursor, out UIntPtr length);
                return new ReadOnlySpan<byte>((void*)key, (int)length);
            }
        }

        public ReadOnlySpan<byte> CursorValue
        {
            get
            {
                IntPtr value = Native.Instance.rocksdb_iter_value(_cursor, out UIntPtr length);
                return new ReadOnlySpan<byte>((void*)value, (int)length);
            }
        }

        public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                if (_usePut)
                {
                    Native.Instance.rocksdb_put(_handle, _writeOptions.Handle, k, (UIntPtr)key.Length, v, (UIntPtr)value.Length);
                    return;
                }

                Native.Instance.rocksdb_writebatch_clear(_batch.Handle);
                Native.Instance.rocksdb_writebatch_put(_batch.Handle, k, (UIntPtr)key.Length, v, (UIntPtr)value.Length);
                Native.Instance.rocksdb_write(_handle, _writeOptions.Handle, _batch.Handle);
            }
        }

        public bool Get(ReadOnlySpan<byte> key, Span<byte> value, out int valueLength)
        {
            IntPtr slice;
            fixed (byte* k = key)
            {
                slice = Native.Instance.rocksdb_get_pinned(_handle, _readOptions.Handle, k, (UIntPtr)key.Length);
            }

            if (slice == IntPtr.Zero)
            {
                valueLength = 0;
                return false;
            }

            IntPtr data = Native.Instance.rocksdb_pinnableslice_value(slice, out UIntPtr length);
            valueLength = (int)length;
            if (valueLength <= value.Length)
            {
                new ReadOnlySpan<byte>((void*)data, valueLength).CopyTo(value);
            }

            Native.Instance.rocksdb_pinnableslice_destroy(slice);
            return true;
        }

        public void CursorSeek(ReadOnlySpan<byte> start)
        {
            _cursor = Native.Instance.rocksdb_create_iterator(_handle, _readOptions.Handle);
            if (start.IsEmpty)
            {
                Native.Instance.rocksdb_iter_seek_to_first(_cursor);
                return;
            }

            fixed (byte* k = start)
            {
                Native.Instance.rocksdb_iter_seek(_cursor, k, (UIntPtr)start.Length);
            }
        }

        public void CursorNext() => Native.Instance.rocksdb_iter_next(_cursor);

        public void CursorClose()
        {
            if (_cursor != IntPtr.Zero)
            {
                Native.Instance.rocksdb_iter_destroy(_cursor);
                _cursor = IntPtr.Zero;
            }
        }

        public void Dispose()
        {
            CursorClose();
            _batch.Dispose();
            GC.KeepAlive(_writeOptions);
            GC.KeepAlive(_readOptions);
            GC.KeepAlive(_db);
        }
    }
}
