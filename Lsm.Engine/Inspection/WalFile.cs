using System.Globalization;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Wal;

namespace Lsm.Engine;

/// <summary>
/// Read access to one write-ahead log file, RocksDB's or ours: every record with its offset, each write
/// batch decoded, and every problem found, in file order.
/// </summary>
/// <remarks>
/// This is the inspection API that <c>lsm wal</c> is built on. Unlike recovery it never stops at damage:
/// a corruption is listed and reading resumes after it (as with
/// <see cref="WalRecoveryMode.SkipAnyCorruptedRecords"/>), and a torn tail is listed as the last entry.
/// Records this engine cannot apply (blob indexes, entities, transaction markers) are listed, not refused.
/// </remarks>
/// <example>
/// <code>
/// foreach (WalRecord r in WalFile.Read("000012.log"))
///     Console.WriteLine($"{r.Offset}: {r.Kind} {r.Batch?.Sequence} {r.Detail}");
/// </code>
/// </example>
public static class WalFile
{
    /// <summary>Lists the records of the log at <paramref name="path"/>.</summary>
    /// <remarks>
    /// The file is opened when enumeration starts and closed when it ends or is disposed. The log number
    /// that recyclable records are checked against is taken from the file name (<c>000012.log</c>).
    /// </remarks>
    /// <param name="path">The log file.</param>
    /// <returns>The records and problems, in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">During enumeration: the log is compressed (RocksDB <c>wal_compression</c>).</exception>
    public static IEnumerable<WalRecord> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("No such write-ahead log.", path);
        }

        return Enumerate(path);
    }

    private static IEnumerable<WalRecord> Enumerate(string path)
    {
        ulong? logNumber = ulong.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
            ? n
            : null;
        using var reader = new LogReader(new LocalRandomAccessFile(path), logNumber, ownsFile: true);
        while (true)
        {
            WalRecord record;
            switch (reader.ReadNext())
            {
                case LogReadStatus.Record:
                    record = DecodeBatch(reader.Record, reader.RecordOffset);
                    break;
                case LogReadStatus.Metadata:
                    record = new WalRecord(WalRecordKind.Metadata, reader.RecordOffset, reader.Record.Length, null, null, DescribeMetadata(reader.MetadataType, reader.Record));
                    break;
                case LogReadStatus.Corruption:
                    LogProblem p = reader.Problem;
                    record = new WalRecord(WalRecordKind.Corruption, p.Offset, p.DroppedBytes, null, p.Kind, p.Reason);
                    break;
                default:
                    if (reader.TornTail is LogProblem torn)
                    {
                        yield return new WalRecord(WalRecordKind.TornTail, torn.Offset, torn.DroppedBytes, null, torn.Kind, torn.Reason);
                    }

                    yield break;
            }

            yield return record;
        }
    }

    private static WalRecord DecodeBatch(ReadOnlySpan<byte> rep, long offset)
    {
        try
        {
            var reader = new WriteBatchReader(rep);
            var operations = new List<WalOperation>();
            ulong sequence = reader.Sequence;
            uint counted = 0;
            while (reader.TryReadAny(out WriteBatchRecord r))
            {
                ulong? opSequence = null;
                if (r.IsCounted)
                {
                    opSequence = sequence + counted;
                    counted++;
                }

                operations.Add(new WalOperation(OperationKind(r.Tag), (byte)r.Tag, r.ColumnFamilyId, r.Key.ToArray(), r.Value.ToArray(), opSequence));
            }

            if (counted != reader.Count)
            {
                return BadBatch(offset, rep.Length, $"the write batch header counts {reader.Count} records but the batch holds {counted}");
            }

            return new WalRecord(WalRecordKind.Batch, offset, rep.Length, new WalBatch(sequence, reader.Count, operations), null, null);
        }
        catch (CorruptionException e)
        {
            return BadBatch(offset, rep.Length, $"{e.Reason}, at offset {e.Offset} of the write batch");
        }
    }

    private static WalRecord BadBatch(long offset, int length, string reason) =>
        new(WalRecordKind.Corruption, offset, length, null, WalProblemKind.BadWriteBatch, reason);

    private static WalOperationKind OperationKind(WriteBatchTag tag) => tag switch
    {
        WriteBatchTag.Value or WriteBatchTag.ColumnFamilyValue => WalOperationKind.Put,
        WriteBatchTag.Deletion or WriteBatchTag.ColumnFamilyDeletion => WalOperationKind.Delete,
        WriteBatchTag.SingleDeletion or WriteBatchTag.ColumnFamilySingleDeletion => WalOperationKind.SingleDelete,
        WriteBatchTag.Merge or WriteBatchTag.ColumnFamilyMerge => WalOperationKind.Merge,
        WriteBatchTag.RangeDeletion or WriteBatchTag.ColumnFamilyRangeDeletion => WalOperationKind.DeleteRange,
        WriteBatchTag.BlobIndex or WriteBatchTag.ColumnFamilyBlobIndex => WalOperationKind.PutBlobIndex,
        WriteBatchTag.WideColumnEntity or WriteBatchTag.ColumnFamilyWideColumnEntity => WalOperationKind.PutEntity,
        WriteBatchTag.ValuePreferredSeqno or WriteBatchTag.ColumnFamilyValuePreferredSeqno => WalOperationKind.TimedPut,
        WriteBatchTag.LogData => WalOperationKind.LogData,
        WriteBatchTag.Noop => WalOperationKind.Noop,
        WriteBatchTag.BeginPrepareXid or WriteBatchTag.BeginPersistedPrepareXid or WriteBatchTag.BeginUnprepareXid => WalOperationKind.BeginPrepare,
        WriteBatchTag.EndPrepareXid => WalOperationKind.EndPrepare,
        WriteBatchTag.CommitXid or WriteBatchTag.CommitXidAndTimestamp => WalOperationKind.Commit,
        _ => WalOperationKind.Rollback,
    };

    private static string DescribeMetadata(LogRecordType type, ReadOnlySpan<byte> payload)
    {
        var text = new System.Text.StringBuilder();
        switch (type)
        {
            case LogRecordType.SetCompressionType:
                // The reader refuses compressed logs, so only "none" reaches here.
                text.Append(CultureInfo.InvariantCulture, $"compression type {Coding.ReadFixed32(payload)} (none)");
                break;
            case LogRecordType.UserDefinedTimestampSize or LogRecordType.RecyclableUserDefinedTimestampSize:
                text.Append("user-defined timestamp sizes:");
                for (; payload.Length >= LogFormat.TimestampSizeEntrySize; payload = payload[LogFormat.TimestampSizeEntrySize..])
                {
                    text.Append(CultureInfo.InvariantCulture, $" column family {Coding.ReadFixed32(payload)} = {payload[4] | (payload[5] << 8)} bytes;");
                }

                break;
            default:
                text.Append(
                    CultureInfo.InvariantCulture,
                    $"predecessor log {Coding.ReadFixed64(payload)}: {Coding.ReadFixed64(payload[8..])} bytes, last sequence {Coding.ReadFixed64(payload[16..])}");
                break;
        }

        return text.ToString();
    }
}
