using System.Globalization;
using Lsm.Engine.Db;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>RocksDB-named properties.</summary>
public sealed partial class LsmDb
{
    private const string LevelFilesPrefix = "rocksdb.num-files-at-level";

    /// <summary>
    /// Returns a property by its RocksDB name, or null for an unknown name. Supported:
    /// <c>rocksdb.estimate-num-keys</c>, <c>rocksdb.num-immutable-mem-table</c>, <c>rocksdb.mem-table-flush-pending</c>,
    /// <c>rocksdb.cur-size-active-mem-table</c>, <c>rocksdb.cur-size-all-mem-tables</c>, <c>rocksdb.num-files-at-level&lt;N&gt;</c>,
    /// <c>rocksdb.total-sst-files-size</c>, <c>rocksdb.live-sst-files-size</c>, <c>rocksdb.background-errors</c>,
    /// <c>rocksdb.num-running-flushes</c>, <c>rocksdb.num-snapshots</c>,
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
            TableProperties p = _tables.Get(file.FileNumber, cf.Options.Table.Comparator).Properties;
            keys += (long)p.NumEntries - (2 * (long)p.NumDeletions);
        }

        return Math.Max(0, keys);
    }
}
