using System.Diagnostics;

namespace Lsm.Engine.Db;

/// <summary>
/// Whole-database counters behind the amplification figures: what users wrote (the denominator of write
/// amplification), what went to the write-ahead log, and how many tables each point lookup probed (read amplification).
/// </summary>
/// <remarks>
/// Thread safety: the write counters are updated by the write-group leader under the database mutex and read under
/// it; the lookup counters are updated with <see cref="Interlocked"/> by concurrent readers and read without a lock
/// (a reading may mix two lookups' updates, which a statistic tolerates).
/// </remarks>
internal sealed class DbCounters
{
    private readonly long _openedTimestamp = Stopwatch.GetTimestamp();
    private long _gets;
    private long _tablesProbed;
    private long _tablesRead;

    /// <summary>Time since the database opened.</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_openedTimestamp);

    /// <summary>Write batches committed (RocksDB's "writes").</summary>
    public long Writes { get; private set; }

    /// <summary>Entries (puts, deletes, merges, range deletions) committed.</summary>
    public long Keys { get; private set; }

    /// <summary>Write groups committed: each one log record.</summary>
    public long Groups { get; private set; }

    /// <summary>Bytes of user data committed: the write batches' sizes, header included (RocksDB's "ingest").</summary>
    public long UserBytes { get; private set; }

    /// <summary>Write-ahead log records written (groups that did not disable the log).</summary>
    public long WalRecords { get; private set; }

    /// <summary>Bytes of log record payload written.</summary>
    public long WalBytes { get; private set; }

    /// <summary>Point lookups that reached the tables' levels or stopped before (every Get counts).</summary>
    public long Gets => Volatile.Read(ref _gets);

    /// <summary>Tables whose key range held the key of a Get, so the lookup consulted them (filter included).</summary>
    public long TablesProbed => Volatile.Read(ref _tablesProbed);

    /// <summary>Tables whose filter did not rule the key out, so the lookup read their blocks.</summary>
    public long TablesRead => Volatile.Read(ref _tablesRead);

    /// <summary>Records a committed write group. REQUIRES: the database mutex.</summary>
    /// <param name="batches">The batches in the group.</param>
    /// <param name="entries">The entries in the group.</param>
    /// <param name="userBytes">The batches' total size.</param>
    /// <param name="walBytes">The log record's payload size; 0 when the group skipped the log.</param>
    public void RecordWriteGroup(int batches, long entries, long userBytes, long walBytes)
    {
        Writes += batches;
        Keys += entries;
        Groups++;
        UserBytes += userBytes;
        if (walBytes > 0)
        {
            WalRecords++;
            WalBytes += walBytes;
        }
    }

    /// <summary>Records one point lookup; safe from any thread.</summary>
    /// <param name="probed">Tables consulted.</param>
    /// <param name="read">Tables among them whose blocks were read.</param>
    public void RecordGet(int probed, int read)
    {
        Interlocked.Increment(ref _gets);
        if (probed > 0)
        {
            Interlocked.Add(ref _tablesProbed, probed);
            Interlocked.Add(ref _tablesRead, read);
        }
    }
}
