using System.Globalization;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Db;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>RocksDB-named properties.</summary>
public sealed partial class LsmDb
{
    private const string LevelFilesPrefix = "rocksdb.num-files-at-level";

    private readonly DbCounters _counters = new();

    /// <summary>
    /// Returns a property by its RocksDB name, or null for an unknown name. Supported:
    /// <c>rocksdb.estimate-num-keys</c>, <c>rocksdb.num-immutable-mem-table</c>, <c>rocksdb.mem-table-flush-pending</c>,
    /// <c>rocksdb.cur-size-active-mem-table</c>, <c>rocksdb.cur-size-all-mem-tables</c>, <c>rocksdb.num-files-at-level&lt;N&gt;</c>,
    /// <c>rocksdb.total-sst-files-size</c>, <c>rocksdb.live-sst-files-size</c>, <c>rocksdb.background-errors</c>,
    /// <c>rocksdb.num-running-flushes</c>, <c>rocksdb.num-running-compactions</c>, <c>rocksdb.compaction-pending</c>,
    /// <c>rocksdb.estimate-pending-compaction-bytes</c>, <c>rocksdb.is-write-stopped</c>,
    /// <c>rocksdb.actual-delayed-write-rate</c>, <c>rocksdb.estimate-live-data-size</c>, <c>rocksdb.num-snapshots</c>;
    /// the text reports <c>rocksdb.stats</c> (database figures, then every family's compaction-stats table),
    /// <c>rocksdb.dbstats</c> (the database figures: writes, log, stalls, amplification) and <c>rocksdb.cfstats</c> (the
    /// family's table), whose numbers <see cref="GetStatistics"/> returns as a structure;
    /// <c>lsm.stall-micros</c>, <c>lsm.stall-stops</c>, <c>lsm.stall-delays</c> (time writers spent stalled, times writes
    /// were stopped and delayed, since the open);
    /// and <c>lsm.wal-recovery-dropped-records</c> / <c>lsm.wal-recovery-dropped-bytes</c> (what a tolerant recovery mode skipped).
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
            Version version = cf.State.Current;
            switch (name)
            {
                case "rocksdb.stats":
                    return CompactionStatsText.Format(GetStatisticsLocked(), _writeController?.Stops, _writeController?.Delays);
                case "rocksdb.dbstats":
                    return CompactionStatsText.FormatDatabase(GetStatisticsLocked(), _writeController?.Stops, _writeController?.Delays);
                case "rocksdb.cfstats":
                    return CompactionStatsText.FormatColumnFamily(GetCompactionStatisticsLocked(cf), _counters.Uptime);
            }

            long? value = name switch
            {
                "rocksdb.estimate-num-keys" => EstimateNumKeys(cf, version),
                "rocksdb.num-immutable-mem-table" => cf.Imm.Count,
                "rocksdb.mem-table-flush-pending" => cf.Imm.Count > 0 ? 1 : 0,
                "rocksdb.cur-size-active-mem-table" => cf.Mem.ApproximateMemoryUsage,
                "rocksdb.cur-size-all-mem-tables" => MemtableBytes(cf),
                "rocksdb.size-all-mem-tables" => MemtableBytes(cf),
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
                "lsm.wal-recovery-dropped-records" => _recoveryDroppedRecords,
                "lsm.wal-recovery-dropped-bytes" => _recoveryDroppedBytes,
                _ => null,
            };
            if (value is null && name.StartsWith(LevelFilesPrefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(LevelFilesPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int level)
                && level >= 0 && level < version.NumLevels)
            {
                value = version.Files(level).Count;
            }

            return value?.ToString(CultureInfo.InvariantCulture);
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
            Gets = _counters.Gets,
            TablesProbed = _counters.TablesProbed,
            TablesRead = _counters.TablesRead,
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
            TableProperties p = _tables.Get(file.FileNumber, cf.Options.Table).Properties;
            keys += (long)p.NumEntries - (2 * (long)p.NumDeletions);
        }

        return Math.Max(0, keys);
    }
}
