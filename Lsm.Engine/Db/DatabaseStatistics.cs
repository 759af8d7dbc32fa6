namespace Lsm.Engine;

/// <summary>
/// Whole-database statistics since the database opened: user writes, the write-ahead log, write stalls, and the write,
/// space and read amplification measured by the engine itself, with each column family's compaction statistics.
/// </summary>
/// <remarks>Counters start at zero at every open; table sizes and live data are those of the tree now.</remarks>
public sealed record DatabaseStatistics
{
    /// <summary>Time since the database opened.</summary>
    public required TimeSpan Uptime { get; init; }

    /// <summary>Write batches committed (single-key writes count as one batch each).</summary>
    public required long Writes { get; init; }

    /// <summary>Entries (puts, deletes, merges, range deletions) committed.</summary>
    public required long Keys { get; init; }

    /// <summary>Write groups committed; each is one log record.</summary>
    public required long WriteGroups { get; init; }

    /// <summary>Bytes of user data committed: the batches' sizes, headers included (RocksDB's ingest).</summary>
    public required long UserBytesWritten { get; init; }

    /// <summary>Bytes of write-ahead log record payload written.</summary>
    public required long WalBytesWritten { get; init; }

    /// <summary>Bytes of tables written by flushes, all families.</summary>
    public required long BytesFlushed { get; init; }

    /// <summary>Bytes of tables written by compactions, all families.</summary>
    public required long CompactionBytesWritten { get; init; }

    /// <summary>Bytes of tables read by compactions, all families.</summary>
    public required long CompactionBytesRead { get; init; }

    /// <summary>Bytes of all tables now.</summary>
    public required long SstBytes { get; init; }

    /// <summary>Estimated live data bytes, summed over the families (<see cref="CompactionStatistics.LiveDataBytes"/>).</summary>
    public required long LiveDataBytes { get; init; }

    /// <summary>Point lookups served.</summary>
    public required long Gets { get; init; }

    /// <summary>Tables the lookups consulted: those whose key range held the key (a filter probe at least).</summary>
    public required long TablesProbed { get; init; }

    /// <summary>Tables whose blocks the lookups read: the filter did not rule the key out.</summary>
    public required long TablesRead { get; init; }

    /// <summary>Time writers spent stopped or delayed by write stalls.</summary>
    public required TimeSpan StallTime { get; init; }

    /// <summary>Times a column family stopped writes.</summary>
    public required long WriteStops { get; init; }

    /// <summary>Times a column family started delaying writes.</summary>
    public required long WriteDelays { get; init; }

    /// <summary>Every column family's compaction statistics.</summary>
    public required IReadOnlyList<CompactionStatistics> ColumnFamilies { get; init; }

    /// <summary>(<see cref="BytesFlushed"/> + <see cref="CompactionBytesWritten"/>) / <see cref="UserBytesWritten"/>; 0 before any write.</summary>
    public double WriteAmplification => Ratio(BytesFlushed + CompactionBytesWritten, UserBytesWritten);

    /// <summary>As <see cref="WriteAmplification"/>, with the log's bytes counted as written.</summary>
    public double WriteAmplificationWithWal => Ratio(BytesFlushed + CompactionBytesWritten + WalBytesWritten, UserBytesWritten);

    /// <summary><see cref="SstBytes"/> / <see cref="LiveDataBytes"/>; 0 for an empty tree.</summary>
    public double SpaceAmplification => Ratio(SstBytes, LiveDataBytes);

    /// <summary>Tables consulted per Get (<see cref="TablesProbed"/> / <see cref="Gets"/>); 0 before any Get.</summary>
    public double ReadAmplification => Ratio(TablesProbed, Gets);

    /// <summary>Tables whose blocks were read per Get (<see cref="TablesRead"/> / <see cref="Gets"/>).</summary>
    public double TablesReadPerGet => Ratio(TablesRead, Gets);

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}
