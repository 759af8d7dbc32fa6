using System.Globalization;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Db;
using Lsm.Engine.Memtable;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>RocksDB-named properties and statistics tickers.</summary>
public sealed partial class LsmDb
{
    /// <summary>The name of <c>rocksdb.num-files-at-level&lt;N&gt;</c> without its level.</summary>
    internal const string LevelFilesPrefix = "rocksdb.num-files-at-level";

    private readonly DbCounters _counters = new();

    /// <summary>
    /// Memtables an iterator pinned when it was created, with their family: once flushed they still hold memory until
    /// the iterator is disposed, which <c>rocksdb.size-all-mem-tables</c> counts. Pruned of released ones as it grows.
    /// Guarded by <see cref="_iteratorMemTablesLock"/>, not the database mutex, so that creating an iterator never
    /// waits for it; a caller holding both takes the mutex first.
    /// </summary>
    private readonly List<(uint ColumnFamily, MemTable Mem)> _iteratorMemTables = [];

    private readonly Lock _iteratorMemTablesLock = new();

    /// <summary>
    /// Returns a property by its RocksDB name, or null for an unknown name (or one that does not apply, as the block
    /// cache figures of a family read without a cache). Numbers, as text:
    /// <list type="bullet">
    /// <item>memtables: <c>rocksdb.num-immutable-mem-table</c>, <c>rocksdb.mem-table-flush-pending</c>,
    /// <c>rocksdb.cur-size-active-mem-table</c> (the active memtable's bytes), <c>rocksdb.cur-size-all-mem-tables</c>
    /// (active and unflushed immutable memtables), <c>rocksdb.size-all-mem-tables</c> (those, plus flushed memtables
    /// still pinned by an open iterator);</item>
    /// <item>tables: <c>rocksdb.num-files-at-level&lt;N&gt;</c>, <c>rocksdb.total-sst-files-size</c>,
    /// <c>rocksdb.live-sst-files-size</c>, <c>rocksdb.estimate-live-data-size</c>, <c>rocksdb.estimate-num-keys</c>;</item>
    /// <item>block cache of the family (its own, or the database's): <c>rocksdb.block-cache-capacity</c>,
    /// <c>rocksdb.block-cache-usage</c>, <c>rocksdb.block-cache-pinned-usage</c> (null with
    /// <see cref="TableOptions.NoBlockCache"/>; a cache shared by several families or databases shows whole in each);</item>
    /// <item>background work: <c>rocksdb.background-errors</c>, <c>rocksdb.num-running-flushes</c>,
    /// <c>rocksdb.num-running-compactions</c>, <c>rocksdb.compaction-pending</c>,
    /// <c>rocksdb.estimate-pending-compaction-bytes</c>, <c>rocksdb.is-write-stopped</c>,
    /// <c>rocksdb.actual-delayed-write-rate</c>, <c>rocksdb.num-snapshots</c>;</item>
    /// <item>engine-specific: <c>lsm.stall-micros</c>, <c>lsm.stall-stops</c>, <c>lsm.stall-delays</c> (time writers
    /// spent stalled, times writes were stopped and delayed, since the open), <c>lsm.wal-recovery-dropped-records</c> /
    /// <c>lsm.wal-recovery-dropped-bytes</c> (what a tolerant recovery mode skipped); <c>lsm.write-buffer-manager-usage</c>
    /// and <c>lsm.write-buffer-manager-buffer-size</c> (the memtable memory charged to the database's
    /// <see cref="WriteBufferManager"/>, shared with whatever else uses it, and its budget; null without one) and
    /// <c>lsm.write-buffer-manager-flushes</c> (memtables switched early because it was full).</item>
    /// </list>
    /// Text reports: <c>rocksdb.stats</c> (database figures, then every family's compaction-stats table),
    /// <c>rocksdb.dbstats</c> (the database figures: writes, log, stalls, amplification), <c>rocksdb.cfstats</c> (the
    /// family's table), whose numbers <see cref="GetStatistics"/> returns as a structure, and
    /// <c>rocksdb.options-statistics</c> (every statistics ticker, one <c>name COUNT : n</c> line each, as RocksDB prints
    /// them; see <see cref="GetTickerCount"/>).
    /// </summary>
    /// <param name="name">The property name.</param>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <returns>The value as text, or null.</returns>
    public string? GetProperty(string name, ColumnFamilyHandle? columnFamily = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_mutex)
        {
            ThrowIfDisposed();
            ColumnFamilyData cf = Resolve(columnFamily);
            switch (name)
            {
                case "rocksdb.stats":
                    return CompactionStatsText.Format(GetStatisticsLocked(), _writeController?.Stops, _writeController?.Delays);
                case "rocksdb.dbstats":
                    return CompactionStatsText.FormatDatabase(GetStatisticsLocked(), _writeController?.Stops, _writeController?.Delays);
                case "rocksdb.cfstats":
                    return CompactionStatsText.FormatColumnFamily(GetCompactionStatisticsLocked(cf), _counters.Uptime);
                case "rocksdb.options-statistics":
                    return FormatTickersLocked();
            }

            return TryGetIntPropertyLocked(name, cf, out long value) ? value.ToString(CultureInfo.InvariantCulture) : null;
        }
    }

    /// <summary>
    /// Reads a numeric property (every one <see cref="GetProperty"/> answers with a number) without formatting it, as
    /// RocksDB's <c>GetIntProperty</c>.
    /// </summary>
    /// <param name="name">The property name, such as <c>rocksdb.estimate-num-keys</c>.</param>
    /// <param name="value">The value; 0 when the result is false.</param>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <returns>False for an unknown or text-only property, or one that does not apply.</returns>
    public bool TryGetIntProperty(string name, out long value, ColumnFamilyHandle? columnFamily = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_mutex)
        {
            ThrowIfDisposed();
            return TryGetIntPropertyLocked(name, Resolve(columnFamily), out value);
        }
    }

    /// <summary>
    /// Returns a statistics ticker's count since the database opened, by its RocksDB name: <c>rocksdb.block.cache.hit</c>,
    /// <c>rocksdb.block.cache.miss</c> (and <c>.index</c>, <c>.filter</c>, <c>.data</c> of each), <c>rocksdb.bloom.filter.useful</c>,
    /// <c>rocksdb.number.keys.read</c>, <c>rocksdb.stall.micros</c>, ... (<c>rocksdb.options-statistics</c> lists them all).
    /// </summary>
    /// <remarks>
    /// Counted per database (RocksDB counts per <c>Statistics</c> object, usually one per database). Lock-free for the
    /// counted tickers; the derived ones (<c>rocksdb.stall.micros</c>, <c>rocksdb.compact.read.bytes</c>,
    /// <c>rocksdb.compact.write.bytes</c>, <c>rocksdb.flush.write.bytes</c>) are computed from the database's state.
    /// </remarks>
    /// <param name="name">The ticker's RocksDB name.</param>
    /// <returns>The count.</returns>
    /// <exception cref="ArgumentException">No ticker has that name.</exception>
    public long GetTickerCount(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!TickerNames.TryParse(name, out Ticker ticker))
        {
            throw new ArgumentException($"'{name}' is not a statistics ticker (rocksdb.options-statistics lists them).", nameof(name));
        }

        lock (_mutex)
        {
            ThrowIfDisposed();
            return TickerCountLocked(ticker);
        }
    }

    /// <summary>A ticker's count for the metrics: false once the database is disposed.</summary>
    internal bool TryReadTicker(Ticker ticker, out long count)
    {
        lock (_mutex)
        {
            count = _disposed ? 0 : TickerCountLocked(ticker);
            return !_disposed;
        }
    }

    /// <summary>A numeric property for the metrics: false once the database is disposed or the family dropped.</summary>
    internal bool TryReadIntProperty(string name, ColumnFamilyHandle? columnFamily, out long value)
    {
        lock (_mutex)
        {
            value = 0;
            ColumnFamilyData? cf = columnFamily is null ? _columnFamilies.GetValueOrDefault(0u) : _columnFamilies.GetValueOrDefault(columnFamily.Id);
            return !_disposed && cf is not null && !cf.Handle.IsDropped && TryGetIntPropertyLocked(name, cf, out value);
        }
    }

    /// <summary>The live families' handles for the metrics; empty once the database is disposed.</summary>
    internal ColumnFamilyHandle[] LiveColumnFamilies()
    {
        lock (_mutex)
        {
            if (_disposed)
            {
                return [];
            }

            var handles = new List<ColumnFamilyHandle>(_columnFamilies.Count);
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                if (!cf.Handle.IsDropped)
                {
                    handles.Add(cf.Handle);
                }
            }

            return [.. handles];
        }
    }

    private bool TryGetIntPropertyLocked(string name, ColumnFamilyData cf, out long value)
    {
        Version version = cf.State.Current;
        long? result = name switch
        {
            "rocksdb.estimate-num-keys" => EstimateNumKeys(cf, version),
            "rocksdb.num-immutable-mem-table" => cf.Imm.Count,
            "rocksdb.mem-table-flush-pending" => cf.Imm.Count > 0 ? 1 : 0,
            "rocksdb.cur-size-active-mem-table" => cf.Mem.ApproximateMemoryUsage,
            "rocksdb.cur-size-all-mem-tables" => MemtableBytes(cf),
            "rocksdb.size-all-mem-tables" => MemtableBytes(cf) + IteratorPinnedMemtableBytes(cf),
            "rocksdb.block-cache-capacity" => BlockCacheFigure(cf.Options.Table, static c => c.Capacity, TableOptions.DefaultBlockCacheCapacity),
            "rocksdb.block-cache-usage" => BlockCacheFigure(cf.Options.Table, static c => c.Usage, 0),
            "rocksdb.block-cache-pinned-usage" => BlockCacheFigure(cf.Options.Table, static c => c.PinnedUsage, 0),
            "rocksdb.total-sst-files-size" or "rocksdb.live-sst-files-size" => TotalFileSize(version),
            "rocksdb.background-errors" => _backgroundErrorCount,
            "rocksdb.num-running-flushes" => _runningFlushes,
            "rocksdb.num-running-compactions" => _runningCompactions,
            "rocksdb.compaction-pending" => cf.Picker.NeedsCompaction(version, cf.RunningCompactions) ? 1 : 0,
            "rocksdb.estimate-pending-compaction-bytes" => (long)Math.Min(cf.Picker.EstimatePendingCompactionBytes(version), long.MaxValue),
            "rocksdb.is-write-stopped" => _writeController?.IsStopped == true ? 1 : 0,
            "rocksdb.actual-delayed-write-rate" => _writeController?.NeedsDelay == true ? _writeController.DelayedWriteRate : 0,
            "rocksdb.num-snapshots" => _snapshots.Count,
            "rocksdb.estimate-live-data-size" => EstimateLiveDataBytes(version, cf.Options.Table.Comparator),
            "lsm.stall-micros" => _writeController?.StalledMicros ?? 0,
            "lsm.stall-stops" => _writeController?.Stops.Sum() ?? 0,
            "lsm.stall-delays" => _writeController?.Delays.Sum() ?? 0,
            "lsm.write-buffer-manager-usage" => MemtableBudget?.MemoryUsage,
            "lsm.write-buffer-manager-buffer-size" => MemtableBudget?.BufferSize,
            "lsm.write-buffer-manager-flushes" => WriteBufferManagerFlushes,
            "lsm.wal-recovery-dropped-records" => _recoveryDroppedRecords,
            "lsm.wal-recovery-dropped-bytes" => _recoveryDroppedBytes,
            _ => null,
        };
        if (result is null && name.StartsWith(LevelFilesPrefix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(LevelFilesPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int level)
            && level >= 0 && level < version.NumLevels)
        {
            result = version.Files(level).Count;
        }

        value = result ?? 0;
        return result is not null;
    }

    /// <summary>
    /// A figure of the block cache the family reads through; null when it reads without one (RocksDB then has no such
    /// property). The database's own cache is created when a table is first read: until then it is empty, and
    /// <paramref name="beforeCreation"/> is its figure.
    /// </summary>
    private long? BlockCacheFigure(TableOptions table, Func<BlockCache, long> figure, long beforeCreation)
    {
        if (table.NoBlockCache)
        {
            return null;
        }

        BlockCache? cache = table.BlockCache ?? _defaultBlockCache;
        return cache is null ? beforeCreation : figure(cache);
    }

    /// <summary>A ticker's count. REQUIRES: the mutex (for the derived ones).</summary>
    private long TickerCountLocked(Ticker ticker)
    {
        switch (ticker)
        {
            case Ticker.NumberKeysRead:
                return PointLookups();
            case Ticker.NumberKeysWritten:
                return _counters.Keys;
            case Ticker.BytesWritten:
                return _counters.UserBytes;
            case Ticker.StallMicros:
                return _writeController?.StalledMicros ?? 0;
            case Ticker.CompactReadBytes or Ticker.CompactWriteBytes or Ticker.FlushWriteBytes:
                long bytes = 0;
                foreach (ColumnFamilyData cf in _columnFamilies.Values)
                {
                    bytes += ticker == Ticker.FlushWriteBytes ? cf.BytesFlushed : 0;
                    foreach (LevelCompactionStats level in cf.CompactionStats)
                    {
                        bytes += ticker == Ticker.CompactWriteBytes ? level.BytesWritten
                            : ticker == Ticker.CompactReadBytes ? level.BytesReadFromAbove + level.BytesReadFromLevel
                            : 0;
                    }
                }

                return bytes;
            default:
                return _tickers.Get(ticker);
        }
    }

    /// <summary>Point lookups: each is a memtable hit or a miss, so the Get path counts one ticker fewer.</summary>
    private long PointLookups() => _tickers.Get(Ticker.MemtableHit) + _tickers.Get(Ticker.MemtableMiss);

    /// <summary>Every ticker as RocksDB's <c>Statistics::ToString</c> prints it: <c>name COUNT : n</c>, one a line.</summary>
    private string FormatTickersLocked()
    {
        var text = new System.Text.StringBuilder();
        foreach (Ticker ticker in TickerNames.All)
        {
            text.Append(CultureInfo.InvariantCulture, $"{TickerNames.Name(ticker)} COUNT : {TickerCountLocked(ticker)}\n");
        }

        return text.ToString();
    }

    /// <summary>Notes the memtables an iterator's view pins (under the list's own lock, not the database mutex).</summary>
    private void NoteIteratorMemTables(SuperVersion view)
    {
        lock (_iteratorMemTablesLock)
        {
            _iteratorMemTables.RemoveAll(static entry => entry.Mem.IsReleased);
            NoteIteratorMemTable(view.ColumnFamily.Id, view.Mem);
            foreach (MemTable imm in view.Imm)
            {
                NoteIteratorMemTable(view.ColumnFamily.Id, imm);
            }
        }
    }

    private void NoteIteratorMemTable(uint columnFamily, MemTable mem)
    {
        foreach ((uint _, MemTable noted) in _iteratorMemTables)
        {
            if (ReferenceEquals(noted, mem))
            {
                return;
            }
        }

        _iteratorMemTables.Add((columnFamily, mem));
    }

    /// <summary>
    /// Bytes of the family's memtables that left it (flushed) but an open iterator still pins. REQUIRES: the mutex
    /// (taken before the list's lock, the order every caller keeps).
    /// </summary>
    private long IteratorPinnedMemtableBytes(ColumnFamilyData cf)
    {
        lock (_iteratorMemTablesLock)
        {
            _iteratorMemTables.RemoveAll(static entry => entry.Mem.IsReleased);
            long bytes = 0;
            foreach ((uint family, MemTable mem) in _iteratorMemTables)
            {
                if (family == cf.Id && !ReferenceEquals(mem, cf.Mem) && !cf.Imm.Exists(imm => ReferenceEquals(imm.Mem, mem)))
                {
                    bytes += mem.ApproximateMemoryUsage;
                }
            }

            return bytes;
        }
    }

    /// <summary>
    /// Returns the whole database's statistics since it opened: writes, log bytes, stalls, write, space and read
    /// amplification, and every column family's compaction statistics (the numbers of <c>rocksdb.stats</c>).
    /// </summary>
    /// <returns>A snapshot of the figures; later work does not change it.</returns>
    public DatabaseStatistics GetStatistics()
    {
        lock (_mutex)
        {
            ThrowIfDisposed();
            return GetStatisticsLocked();
        }
    }

    /// <summary>Returns a column family's compaction statistics: one row per level and the sum (the numbers of <c>rocksdb.cfstats</c>).</summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <returns>A snapshot of the figures.</returns>
    public CompactionStatistics GetCompactionStatistics(ColumnFamilyHandle? columnFamily = null)
    {
        lock (_mutex)
        {
            ThrowIfDisposed();
            return GetCompactionStatisticsLocked(Resolve(columnFamily));
        }
    }

    private DatabaseStatistics GetStatisticsLocked()
    {
        var families = new List<CompactionStatistics>();
        long flushed = 0;
        long compactionWritten = 0;
        long compactionRead = 0;
        long sst = 0;
        long live = 0;
        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            if (cf.Handle.IsDropped)
            {
                continue;
            }

            CompactionStatistics stats = GetCompactionStatisticsLocked(cf);
            families.Add(stats);
            flushed += stats.BytesFlushed;
            compactionWritten += stats.Sum.BytesWritten - stats.BytesFlushed;
            compactionRead += stats.Sum.BytesRead;
            sst += stats.Sum.SizeBytes;
            live += stats.LiveDataBytes;
        }

        return new DatabaseStatistics
        {
            Uptime = _counters.Uptime,
            Writes = _counters.Writes,
            Keys = _counters.Keys,
            WriteGroups = _counters.Groups,
            UserBytesWritten = _counters.UserBytes,
            WalBytesWritten = _counters.WalBytes,
            BytesFlushed = flushed,
            CompactionBytesWritten = compactionWritten,
            CompactionBytesRead = compactionRead,
            SstBytes = sst,
            LiveDataBytes = live,
            Gets = PointLookups(),
            TablesProbed = _tickers.Get(Ticker.GetTablesProbed),
            TablesRead = _tickers.Get(Ticker.GetTablesRead),
            StallTime = TimeSpan.FromMicroseconds(_writeController?.StalledMicros ?? 0),
            WriteStops = _writeController?.Stops.Sum() ?? 0,
            WriteDelays = _writeController?.Delays.Sum() ?? 0,
            ColumnFamilies = families,
        };
    }

    private static CompactionStatistics GetCompactionStatisticsLocked(ColumnFamilyData cf)
    {
        Version version = cf.State.Current;
        var busy = new HashSet<ulong>();
        foreach (CompactionPlan plan in cf.RunningCompactions)
        {
            foreach (CompactionInputLevel input in plan.Inputs)
            {
                foreach (FileMetadata file in input.Files)
                {
                    busy.Add(file.FileNumber);
                }
            }
        }

        double[] scores = cf.Picker.LevelScores(version, cf.RunningCompactions);
        var levels = new LevelCompactionStatistics[version.NumLevels];
        for (int level = 0; level < levels.Length; level++)
        {
            LevelCompactionStats counters = cf.CompactionStats[Math.Min(level, cf.CompactionStats.Length - 1)];
            long size = 0;
            int beingCompacted = 0;
            foreach (FileMetadata file in version.Files(level))
            {
                size += (long)file.FileSize;
                beingCompacted += busy.Contains(file.FileNumber) ? 1 : 0;
            }

            long written = counters.BytesWritten + (level == 0 ? cf.BytesFlushed : 0);
            long cameIn = level == 0 ? cf.BytesFlushed : counters.BytesReadFromAbove;
            levels[level] = new LevelCompactionStatistics
            {
                Level = level,
                Files = version.Files(level).Count,
                FilesBeingCompacted = beingCompacted,
                SizeBytes = size,
                Score = level < scores.Length ? scores[level] : 0,
                BytesReadFromInputLevels = counters.BytesReadFromAbove,
                BytesReadFromOutputLevel = counters.BytesReadFromLevel,
                BytesWritten = written,
                BytesMoved = counters.BytesMoved,
                WriteAmplification = cameIn == 0 ? 0 : (double)written / cameIn,
                CompactionTime = counters.Time,
                Compactions = counters.Compactions + (level == 0 ? cf.NumFlushes : 0),
                RecordsIn = counters.RecordsIn,
                RecordsDropped = counters.RecordsDropped,
            };
        }

        long sumWritten = levels.Sum(l => l.BytesWritten);
        var sum = new LevelCompactionStatistics
        {
            Level = -1,
            Files = levels.Sum(l => l.Files),
            FilesBeingCompacted = levels.Sum(l => l.FilesBeingCompacted),
            SizeBytes = levels.Sum(l => l.SizeBytes),
            Score = 0,
            BytesReadFromInputLevels = levels.Sum(l => l.BytesReadFromInputLevels),
            BytesReadFromOutputLevel = levels.Sum(l => l.BytesReadFromOutputLevel),
            BytesWritten = sumWritten,
            BytesMoved = levels.Sum(l => l.BytesMoved),
            WriteAmplification = cf.BytesFlushed == 0 ? 0 : (double)sumWritten / cf.BytesFlushed,
            CompactionTime = TimeSpan.FromTicks(levels.Sum(l => l.CompactionTime.Ticks)),
            Compactions = levels.Sum(l => l.Compactions),
            RecordsIn = levels.Sum(l => l.RecordsIn),
            RecordsDropped = levels.Sum(l => l.RecordsDropped),
        };
        return new CompactionStatistics
        {
            ColumnFamily = cf.Handle.Name,
            Levels = levels,
            Sum = sum,
            BytesFlushed = cf.BytesFlushed,
            Flushes = cf.NumFlushes,
            LiveDataBytes = EstimateLiveDataBytes(version, cf.Options.Table.Comparator),
        };
    }

    /// <summary>
    /// RocksDB's live data estimate: from the last level up, adds the size of each file whose user-key range overlaps
    /// no file already counted (the counted ranges are disjoint and kept sorted).
    /// </summary>
    private static long EstimateLiveDataBytes(Version version, KeyComparator comparator)
    {
        var counted = new List<FileMetadata>();
        long bytes = 0;
        for (int level = version.NumLevels - 1; level >= 0; level--)
        {
            foreach (FileMetadata file in version.Files(level))
            {
                // The first counted range ending at or after the file's start; it overlaps unless it starts after the file ends.
                int lo = 0;
                int hi = counted.Count;
                while (lo < hi)
                {
                    int mid = (lo + hi) >>> 1;
                    if (comparator.Compare(counted[mid].LargestUserKey, file.SmallestUserKey) < 0)
                    {
                        lo = mid + 1;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                if (lo < counted.Count && comparator.Compare(counted[lo].SmallestUserKey, file.LargestUserKey) <= 0)
                {
                    continue;
                }

                counted.Insert(lo, file);
                bytes += (long)file.FileSize;
            }
        }

        return bytes;
    }

    private static long MemtableBytes(ColumnFamilyData cf)
    {
        long bytes = cf.Mem.ApproximateMemoryUsage;
        foreach (ImmutableMemTable imm in cf.Imm)
        {
            bytes += imm.Mem.ApproximateMemoryUsage;
        }

        return bytes;
    }

    private static long TotalFileSize(Version version)
    {
        long bytes = 0;
        foreach ((int _, FileMetadata file) in version.AllFiles())
        {
            bytes += (long)file.FileSize;
        }

        return bytes;
    }

    /// <summary>As RocksDB estimates: entries minus deletions in memtables and tables (overwrites counted twice).</summary>
    private long EstimateNumKeys(ColumnFamilyData cf, Version version)
    {
        long keys = cf.Mem.NumEntries - (2 * cf.Mem.NumDeletes);
        foreach (ImmutableMemTable imm in cf.Imm)
        {
            keys += imm.Mem.NumEntries - (2 * imm.Mem.NumDeletes);
        }

        foreach ((int _, FileMetadata file) in version.AllFiles())
        {
            TableProperties p = _tables.Get(file, cf.Options.Table).Properties;
            keys += (long)p.NumEntries - (2 * (long)p.NumDeletions);
        }

        return Math.Max(0, keys);
    }
}
