using System.Diagnostics;

namespace Lsm.Engine.Db;

/// <summary>
/// Whole-database write counters behind the amplification figures: what users wrote (the denominator of write
/// amplification) and what went to the write-ahead log. Point lookups are counted in the database's striped
/// <see cref="Tickers"/> instead, so that readers on different cores never share a counter's cache line.
/// </summary>
/// <remarks>
/// Thread safety: updated by the write-group leader under the database mutex; read under it, or without it by the
/// metrics callbacks (each counter is one aligned long, read whole; two counters may be one group apart).
/// </remarks>
internal sealed class DbCounters
{
    private readonly long _openedTimestamp = Stopwatch.GetTimestamp();
    private long _writes;
    private long _keys;
    private long _groups;
    private long _userBytes;
    private long _walRecords;
    private long _walBytes;

    /// <summary>Time since the database opened.</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_openedTimestamp);

    /// <summary>Write batches committed (RocksDB's "writes").</summary>
    public long Writes => Volatile.Read(ref _writes);

    /// <summary>Entries (puts, deletes, merges, range deletions) committed (RocksDB's <c>rocksdb.number.keys.written</c>).</summary>
    public long Keys => Volatile.Read(ref _keys);

    /// <summary>Write groups committed: each one log record.</summary>
    public long Groups => Volatile.Read(ref _groups);

    /// <summary>
    /// Bytes of user data committed: the write batches' sizes, header included (RocksDB's "ingest" and its
    /// <c>rocksdb.bytes.written</c>).
    /// </summary>
    public long UserBytes => Volatile.Read(ref _userBytes);

    /// <summary>Write-ahead log records written (groups that did not disable the log).</summary>
    public long WalRecords => Volatile.Read(ref _walRecords);

    /// <summary>Bytes of log record payload written.</summary>
    public long WalBytes => Volatile.Read(ref _walBytes);

    /// <summary>Records a committed write group. REQUIRES: the database mutex.</summary>
    /// <param name="batches">The batches in the group.</param>
    /// <param name="entries">The entries in the group.</param>
    /// <param name="userBytes">The batches' total size.</param>
    /// <param name="walBytes">The log record's payload size; 0 when the group skipped the log.</param>
    public void RecordWriteGroup(int batches, long entries, long userBytes, long walBytes)
    {
        Volatile.Write(ref _writes, _writes + batches);
        Volatile.Write(ref _keys, _keys + entries);
        Volatile.Write(ref _groups, _groups + 1);
        Volatile.Write(ref _userBytes, _userBytes + userBytes);
        if (walBytes > 0)
        {
            Volatile.Write(ref _walRecords, _walRecords + 1);
            Volatile.Write(ref _walBytes, _walBytes + walBytes);
        }
    }
}
