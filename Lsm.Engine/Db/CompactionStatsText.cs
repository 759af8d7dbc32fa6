using System.Globalization;
using System.Text;

namespace Lsm.Engine.Db;

/// <summary>
/// The text of <c>rocksdb.stats</c>, <c>rocksdb.dbstats</c> and <c>rocksdb.cfstats</c>, laid out as RocksDB prints its
/// own (InternalStats::DumpDBStats and DumpCFStats), so that readers of RocksDB's logs find the same columns.
/// </summary>
/// <remarks>
/// Differences from RocksDB: no interval ("Int") row or figures, no CompMergeCPU and blob columns, stall counts for
/// the whole database rather than per family, and an amplification section that RocksDB does not print. Byte columns
/// are in GiB with one decimal as RocksDB's; exact numbers come from <see cref="LsmDb.GetStatistics"/>.
/// </remarks>
internal static class CompactionStatsText
{
    private const double MiB = 1 << 20;
    private const double GiB = 1 << 30;

    /// <summary>The column headings of the compaction-stats table.</summary>
    public const string Header =
        "Level    Files   Size     Score Read(GB)  Rn(GB) Rnp1(GB) Write(GB) Wnew(GB) Moved(GB) W-Amp Rd(MB/s) Wr(MB/s) Comp(sec) Comp(cnt) Avg(sec) KeyIn KeyDrop";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The database figures followed by every family's table (<c>rocksdb.stats</c>).</summary>
    public static string Format(DatabaseStatistics stats, long[]? stopsByCause, long[]? delaysByCause)
    {
        var text = new StringBuilder(FormatDatabase(stats, stopsByCause, delaysByCause));
        foreach (CompactionStatistics family in stats.ColumnFamilies)
        {
            text.Append(FormatColumnFamily(family, stats.Uptime));
        }

        return text.ToString();
    }

    /// <summary>The database figures (<c>rocksdb.dbstats</c>): writes, log, stalls, then amplification.</summary>
    public static string FormatDatabase(DatabaseStatistics stats, long[]? stopsByCause, long[]? delaysByCause)
    {
        double seconds = Math.Max(stats.Uptime.TotalSeconds, 1e-9);
        var text = new StringBuilder();
        text.Append(Invariant, $"\n** DB Stats **\nUptime(secs): {stats.Uptime.TotalSeconds:0.0} total\n");
        text.Append(Invariant,
            $"Cumulative writes: {Count(stats.Writes)} writes, {Count(stats.Keys)} keys, {Count(stats.WriteGroups)} commit groups, "
            + $"{(stats.WriteGroups == 0 ? 0 : (double)stats.Writes / stats.WriteGroups):0.0} writes per commit group, "
            + $"ingest: {stats.UserBytesWritten / GiB:0.00} GB, {stats.UserBytesWritten / MiB / seconds:0.00} MB/s\n");
        text.Append(Invariant,
            $"Cumulative WAL: written: {stats.WalBytesWritten / GiB:0.00} GB, {stats.WalBytesWritten / MiB / seconds:0.00} MB/s\n");
        TimeSpan stall = stats.StallTime;
        text.Append(Invariant,
            $"Cumulative stall: {(int)stall.TotalHours:00}:{stall.Minutes:00}:{stall.Seconds + (stall.Milliseconds / 1000.0):00.000} H:M:S, "
            + $"{100 * stall.TotalSeconds / seconds:0.0} percent\n");
        if (stopsByCause is not null && delaysByCause is not null)
        {
            // Indexed by WriteStallCause: None, MemtableLimit, L0FileCountLimit, PendingCompactionBytes.
            text.Append(Invariant,
                $"Stalls(count): {delaysByCause[(int)WriteStallCause.L0FileCountLimit]} level0_slowdown, "
                + $"{stopsByCause[(int)WriteStallCause.L0FileCountLimit]} level0_numfiles, "
                + $"{stopsByCause[(int)WriteStallCause.MemtableLimit]} memtable_compaction, "
                + $"{delaysByCause[(int)WriteStallCause.MemtableLimit]} memtable_slowdown, "
                + $"{delaysByCause[(int)WriteStallCause.PendingCompactionBytes]} pending_compaction_bytes slowdown, "
                + $"{stopsByCause[(int)WriteStallCause.PendingCompactionBytes]} pending_compaction_bytes stop\n");
        }

        text.Append(Invariant, $"\n** Amplification **\n");
        text.Append(Invariant,
            $"Write amplification: {stats.WriteAmplification:0.00} ((flush {stats.BytesFlushed} + compaction {stats.CompactionBytesWritten} bytes) / user {stats.UserBytesWritten} bytes), "
            + $"{stats.WriteAmplificationWithWal:0.00} with WAL ({stats.WalBytesWritten} bytes)\n");
        text.Append(Invariant,
            $"Space amplification: {stats.SpaceAmplification:0.00} (SST {stats.SstBytes} bytes / estimated live data {stats.LiveDataBytes} bytes)\n");
        text.Append(Invariant,
            $"Read amplification: {stats.ReadAmplification:0.00} tables probed per Get, {stats.TablesReadPerGet:0.00} tables read past the filter ({Count(stats.Gets)} Gets)\n");
        return text.ToString();
    }

    /// <summary>One family's compaction-stats table and its flush and compaction totals (<c>rocksdb.cfstats</c>).</summary>
    public static string FormatColumnFamily(CompactionStatistics stats, TimeSpan uptime)
    {
        var text = new StringBuilder();
        text.Append(Invariant, $"\n** Compaction Stats [{stats.ColumnFamily}] **\n");
        text.Append(Header).Append('\n');
        text.Append('-', Header.Length).Append('\n');
        foreach (LevelCompactionStatistics level in stats.Levels)
        {
            if (level.Files > 0 || level.Compactions > 0 || level.BytesMoved > 0)
            {
                AppendRow(text, $"L{level.Level}", level);
            }
        }

        AppendRow(text, "Sum", stats.Sum);
        double seconds = Math.Max(uptime.TotalSeconds, 1e-9);
        long compactionWritten = stats.Sum.BytesWritten - stats.BytesFlushed;
        double compactionSeconds = stats.Sum.CompactionTime.TotalSeconds;
        text.Append(Invariant, $"\nUptime(secs): {uptime.TotalSeconds:0.0} total\n");
        text.Append(Invariant, $"Flush(GB): cumulative {stats.BytesFlushed / GiB:0.000}\n");
        text.Append(Invariant,
            $"Cumulative compaction: {compactionWritten / GiB:0.00} GB write, {compactionWritten / MiB / seconds:0.00} MB/s write, "
            + $"{stats.Sum.BytesRead / GiB:0.00} GB read, {stats.Sum.BytesRead / MiB / seconds:0.00} MB/s read, {compactionSeconds:0.0} seconds\n");
        text.Append(Invariant,
            $"Estimated live data: {stats.LiveDataBytes} bytes, space amplification {stats.SpaceAmplification:0.00}\n");
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string name, LevelCompactionStatistics level)
    {
        double seconds = level.CompactionTime.TotalSeconds;
        int compactions = level.Compactions;
        text.Append(Invariant, $"{name,4} {level.Files,6}/{level.FilesBeingCompacted,-3} {Size(level.SizeBytes),8} {level.Score,5:0.0} ");
        text.Append(Invariant,
            $"{level.BytesRead / GiB,8:0.0} {level.BytesReadFromInputLevels / GiB,7:0.0} {level.BytesReadFromOutputLevel / GiB,8:0.0} "
            + $"{level.BytesWritten / GiB,9:0.0} {level.NewBytesWritten / GiB,8:0.0} {level.BytesMoved / GiB,9:0.0} {level.WriteAmplification,5:0.0} ");
        text.Append(Invariant,
            $"{(seconds > 0 ? level.BytesRead / MiB / seconds : 0),8:0.0} {(seconds > 0 ? level.BytesWritten / MiB / seconds : 0),8:0.0} "
            + $"{seconds,9:0.00} {compactions,9} {(compactions > 0 ? seconds / compactions : 0),8:0.000} {Count(level.RecordsIn),5} {Count(level.RecordsDropped),7}\n");
    }

    /// <summary>A byte count as RocksDB's BytesToHumanString prints it ("1.23 MB").</summary>
    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 40 => string.Create(Invariant, $"{bytes / (double)(1L << 40):0.00} TB"),
        >= 1L << 30 => string.Create(Invariant, $"{bytes / GiB:0.00} GB"),
        >= 1L << 20 => string.Create(Invariant, $"{bytes / MiB:0.00} MB"),
        >= 1L << 10 => string.Create(Invariant, $"{bytes / 1024.0:0.00} KB"),
        _ => string.Create(Invariant, $"{bytes:0} B"),
    };

    /// <summary>A count as RocksDB's NumberToHumanString prints it (exact below 10,000, then K, M, B).</summary>
    internal static string Count(long n) => n switch
    {
        < 10_000 => n.ToString(Invariant),
        < 10_000_000 => string.Create(Invariant, $"{n / 1000}K"),
        < 10_000_000_000 => string.Create(Invariant, $"{n / 1_000_000}M"),
        _ => string.Create(Invariant, $"{n / 1_000_000_000}B"),
    };
}
