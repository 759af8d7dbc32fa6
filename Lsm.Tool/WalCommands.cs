using System.CommandLine;
using System.Globalization;
using System.Text;
using Lsm.Engine;
using static Lsm.Tool.Output;

namespace Lsm.Tool;

/// <summary>
/// The <c>wal</c> subject: <c>dump</c> of one write-ahead log file, LsmEngine's or RocksDB's, through the
/// engine's public inspection API (<see cref="WalFile"/>) only.
/// </summary>
internal static class WalCommands
{
    private const int DefaultMaxValue = 32;

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var wal = new Command("wal", "Inspect write-ahead log files (LsmEngine's or RocksDB's).");
        wal.Subcommands.Add(BuildDump(stdout, stderr));
        return wal;
    }

    // ---- dump ----------------------------------------------------------------------------------

    private static Command BuildDump(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "The write-ahead log file (e.g. 000012.log)." };
        Option<int> maxValue = IntOption("--max-value", "Show at most N bytes of each value (0: all).", DefaultMaxValue, 0, int.MaxValue);
        Option<int> maxKey = IntOption("--max-key", "Show at most N bytes of each key (0: all).", 0, 0, int.MaxValue);
        var recordsOnly = new Option<bool>("--records-only")
        {
            Description = "List the records and problems only, not each batch's operations.",
        };

        var command = new Command(
            "dump",
            "List every record of a log with its offset and length, each write batch's sequence, count and operations, "
            + "and every problem (torn tail, corruption). Exit 0: clean (a torn tail is a clean end); 1: corruption found; "
            + "2: missing or unreadable; 3: unsupported (compressed log).")
        {
            file, maxValue, maxKey, recordsOnly,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var options = new DumpOptions(parse.GetValue(maxValue), parse.GetValue(maxKey), !parse.GetValue(recordsOnly));
            return LsmCli.RequireFile(stderr, path)
                ? LsmCli.Guard(stderr, path, () => Dump(stdout, stderr, path, options))
                : ExitCodes.Usage;
        });
        return command;
    }

    private sealed record DumpOptions(int MaxValue, int MaxKey, bool Operations);

    private static int Dump(TextWriter o, TextWriter stderr, string path, DumpOptions options)
    {
        IEnumerable<WalRecord> records = WalFile.Read(path);
        WritePairs(o, 0, [("file", path), ("size", Size(new FileInfo(path).Length))]);
        o.WriteLine();

        long batches = 0;
        long operations = 0;
        long metadata = 0;
        long corruptions = 0;
        ulong? firstSequence = null;
        ulong? lastSequence = null;
        WalRecord? tornTail = null;
        foreach (WalRecord record in records)
        {
            switch (record.Kind)
            {
                case WalRecordKind.Batch when record.Batch is WalBatch batch:
                    batches++;
                    operations += batch.Operations.Count;
                    if (batch.Count > 0)
                    {
                        ulong last = batch.Sequence + batch.Count - 1;
                        firstSequence = firstSequence is ulong f ? Math.Min(f, batch.Sequence) : batch.Sequence;
                        lastSequence = lastSequence is ulong l ? Math.Max(l, last) : last;
                    }

                    WriteBatch(o, record, batch, options);
                    break;
                case WalRecordKind.Metadata:
                    metadata++;
                    o.WriteLine(Invariant($"@{record.Offset}  metadata, {record.Length} bytes: {record.Detail}"));
                    break;
                case WalRecordKind.TornTail:
                    tornTail = record;
                    o.WriteLine(Invariant($"@{record.Offset}  torn tail: {record.Length} bytes dropped: {record.Detail}"));
                    break;
                default:
                    corruptions++;
                    o.WriteLine(Invariant(
                        $"@{record.Offset}  CORRUPTION ({ProblemName(record.Problem)}): {record.Length} bytes skipped: {record.Detail}"));
                    stderr.WriteLine(Invariant($"corruption: {path} at offset {record.Offset}: {record.Detail ?? ProblemName(record.Problem)}"));
                    break;
            }
        }

        if (batches + metadata + corruptions == 0 && tornTail is null)
        {
            o.WriteLine("(no records)");
        }

        o.WriteLine();
        var summary = new StringBuilder();
        summary.Append(CultureInfo.InvariantCulture, $"{batches} batches, {operations} operations");
        if (firstSequence is ulong first && lastSequence is ulong end)
        {
            summary.Append(CultureInfo.InvariantCulture, $", sequences {first}..{end}");
        }

        summary.Append(CultureInfo.InvariantCulture, $", {metadata} metadata records, {corruptions} corruptions");
        summary.Append(tornTail is null ? ", no torn tail" : Invariant($", torn tail at offset {tornTail.Offset}"));
        o.WriteLine(summary.ToString());
        return corruptions > 0 ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static void WriteBatch(TextWriter o, WalRecord record, WalBatch batch, DumpOptions options)
    {
        o.WriteLine(Invariant(
            $"@{record.Offset}  batch, {record.Length} bytes: sequence {batch.Sequence}, count {batch.Count}, {batch.Operations.Count} records"));
        if (!options.Operations)
        {
            return;
        }

        int seqWidth = 1;
        int kindWidth = 1;
        foreach (WalOperation op in batch.Operations)
        {
            seqWidth = Math.Max(seqWidth, SequenceText(op).Length);
            kindWidth = Math.Max(kindWidth, OperationName(op.Kind).Length);
        }

        foreach (WalOperation op in batch.Operations)
        {
            string line = "  " + SequenceText(op).PadLeft(seqWidth) + "  " + OperationName(op.Kind).PadRight(kindWidth)
                + "  cf " + op.ColumnFamilyId.ToString(CultureInfo.InvariantCulture) + "  " + OperationText(op, options);
            o.WriteLine(line.TrimEnd());
        }
    }

    private static string SequenceText(WalOperation op) =>
        op.Sequence is ulong s ? "#" + s.ToString(CultureInfo.InvariantCulture) : "-";

    /// <summary>The operation's key and value as RocksDB's <c>ldb dump_wal</c> would show them.</summary>
    private static string OperationText(WalOperation op, DumpOptions options)
    {
        string key = FormatUserKey(op.Key.Span, options.MaxKey);
        string value = FormatBytes(op.Value.Span, options.MaxValue);
        return op.Kind switch
        {
            WalOperationKind.Delete or WalOperationKind.SingleDelete => key,
            WalOperationKind.DeleteRange => "[" + key + ", " + FormatUserKey(op.Value.Span, options.MaxKey) + ")",
            WalOperationKind.LogData => value,
            WalOperationKind.Noop => "",
            WalOperationKind.BeginPrepare or WalOperationKind.EndPrepare or WalOperationKind.Rollback => "xid " + key,
            WalOperationKind.Commit => op.Value.IsEmpty ? "xid " + key : "xid " + key + ", timestamp " + value,
            _ => key + " => " + value,
        };
    }

    /// <summary>An operation's name as RocksDB's <c>ldb dump_wal</c> prints it.</summary>
    private static string OperationName(WalOperationKind kind) => kind switch
    {
        WalOperationKind.Put => "PUT",
        WalOperationKind.Delete => "DELETE",
        WalOperationKind.SingleDelete => "SINGLE_DELETE",
        WalOperationKind.Merge => "MERGE",
        WalOperationKind.DeleteRange => "DELETE_RANGE",
        WalOperationKind.PutBlobIndex => "PUT_BLOB_INDEX",
        WalOperationKind.PutEntity => "PUT_ENTITY",
        WalOperationKind.TimedPut => "TIMED_PUT",
        WalOperationKind.LogData => "LOG_DATA",
        WalOperationKind.Noop => "NOOP",
        WalOperationKind.BeginPrepare => "BEGIN_PREPARE",
        WalOperationKind.EndPrepare => "END_PREPARE",
        WalOperationKind.Commit => "COMMIT",
        WalOperationKind.Rollback => "ROLLBACK",
        _ => kind.ToString().ToUpperInvariant(),
    };

    private static string ProblemName(WalProblemKind? problem) => problem switch
    {
        WalProblemKind.TornTail => "torn tail",
        WalProblemKind.ChecksumMismatch => "checksum mismatch",
        WalProblemKind.BadLength => "bad record length",
        WalProblemKind.BadRecordType => "bad record type",
        WalProblemKind.FragmentOutOfSequence => "fragment out of sequence",
        WalProblemKind.BadPadding => "bad padding",
        WalProblemKind.BadMetadata => "bad metadata record",
        WalProblemKind.BadWriteBatch => "bad write batch",
        null => "unknown problem",
        _ => problem.Value.ToString(),
    };
}
