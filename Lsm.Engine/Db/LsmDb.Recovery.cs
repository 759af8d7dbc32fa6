using Lsm.Engine.Db;
using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;
using Lsm.Engine.Versions;
using Lsm.Engine.Wal;

namespace Lsm.Engine;

/// <summary>Opening: column families, write-ahead log replay, and the first flush of what was replayed.</summary>
public sealed partial class LsmDb
{
    /// <summary>Records dropped by a tolerant recovery mode (reported by <c>lsm.wal-recovery-dropped-records</c>).</summary>
    private long _recoveryDroppedRecords;

    private long _recoveryDroppedBytes;

    /// <remarks>
    /// Order, as RocksDB's: replay every log the column families still need into fresh memtables, then start
    /// a new log, write each non-empty memtable to a level-0 table, and record the tables and the new log
    /// number in one MANIFEST write. Only then are the old logs obsolete.
    /// </remarks>
    private void Recover()
    {
        lock (_mutex)
        {
            foreach (ColumnFamilyState state in _versions.ColumnFamilies)
            {
                AddColumnFamilyData(state);
            }

            DefaultColumnFamily = _columnFamilies[0].Handle;
            var edits = new Dictionary<uint, VersionEdit>();
            ReplayLogs(edits);

            _walNumber = _versions.NewFileNumber();
            _wal = new LogWriter(_fs.Create(FilePath(DbFileName.Log(_walNumber))));
            _fs.SyncDirectory(Path);

            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                FlushReplayedMemtable(cf, edits);
                VersionEdit edit = edits.TryGetValue(cf.Id, out VersionEdit? e) ? e : edits[cf.Id] = new VersionEdit();
                edit.LogNumber = _walNumber;
                edit.LastSequence = _versions.LastSequence;
            }

            var all = new List<(uint ColumnFamilyId, VersionEdit Edit)>();
            foreach ((uint id, VersionEdit edit) in edits)
            {
                all.Add((id, edit));
            }

            // One atomic group: the replayed tables and the new log number become durable together.
            _versions.LogAndApply(all, atomicGroup: true);
            ForgetReplayedLogsLocked();

            foreach ((string name, ColumnFamilyOptions _) in _options.ColumnFamilies)
            {
                if (_versions.FindColumnFamily(name) is null)
                {
                    if (!_options.CreateMissingColumnFamilies)
                    {
                        throw new InvalidOperationException(
                            $"Column family '{name}' does not exist (set DbOptions.CreateMissingColumnFamilies to create it).");
                    }

                    CreateColumnFamilyLocked(name);
                }
            }

            OptionsFile.Write(_fs, Path, _versions.NewFileNumber(), RenderOptionsLocked());
            DeleteObsoleteFilesLocked();
        }

        Metrics.EngineMeter.Register(this);
    }

    /// <summary>
    /// Recovery for <see cref="OpenReadOnly"/>: the MANIFEST's state plus every live log replayed into memtables,
    /// and nothing written. Memtables are not flushed however much the logs hold (RocksDB's read-only open does the
    /// same); no log is started, so the database has no writer.
    /// </summary>
    private void RecoverReadOnly()
    {
        lock (_mutex)
        {
            foreach (ColumnFamilyState state in _versions.ColumnFamilies)
            {
                AddColumnFamilyData(state);
            }

            DefaultColumnFamily = _columnFamilies[0].Handle;
            ReplayLogs(edits: null);
            foreach ((string name, ColumnFamilyOptions _) in _options.ColumnFamilies)
            {
                if (_versions.FindColumnFamily(name) is null)
                {
                    throw new InvalidOperationException($"Column family '{name}' does not exist (a read-only open cannot create it).");
                }
            }
        }

        Metrics.EngineMeter.Register(this);
    }

    /// <summary>
    /// When RocksDB tracked its logs in the MANIFEST (track_and_verify_wals_in_manifest), records that the replayed
    /// logs are gone, in an edit of its own as RocksDB does; otherwise RocksDB's next open would miss them.
    /// </summary>
    private void ForgetReplayedLogsLocked()
    {
        ulong max = 0;
        foreach (ulong number in _versions.TrackedWals.Keys)
        {
            max = Math.Max(max, number);
        }

        if (max > 0)
        {
            _versions.LogAndApply(0, new VersionEdit { WalDeletionBefore = Math.Min(max + 1, _walNumber) });
        }
    }

    /// <summary>Writes a family's replayed memtable to a level-0 table, to be recorded with the recovery edit.</summary>
    private void FlushReplayedMemtable(ColumnFamilyData cf, Dictionary<uint, VersionEdit> edits)
    {
        if (cf.Mem.IsEmpty)
        {
            return;
        }

        FileMetadata file = WriteLevel0Table(cf, cf.Mem);
        if (!edits.TryGetValue(cf.Id, out VersionEdit? edit))
        {
            edits[cf.Id] = edit = new VersionEdit();
        }

        edit.AddFile(0, file);
        cf.Mem.Unref();
        cf.Mem = NewMemTable(cf.Options);
    }

    /// <summary>The OPTIONS file text for the current options of every open family, default first.</summary>
    private string RenderOptionsLocked()
    {
        var families = new List<(string Name, ColumnFamilyOptions Options)>();
        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            families.Add((cf.Handle.Name, cf.Options));
        }

        families.Sort((a, b) => a.Name == ColumnFamilyHandle.DefaultName ? -1 : b.Name == ColumnFamilyHandle.DefaultName ? 1 : 0);
        return OptionsFile.Render(_options, families);
    }

    private ColumnFamilyData AddColumnFamilyData(ColumnFamilyState state)
    {
        ColumnFamilyOptions options = _createdOptions.TryGetValue(state.Name, out ColumnFamilyOptions? created) ? created : _options.OptionsFor(state.Name);
        var handle = new ColumnFamilyHandle(state.Id, state.Name) { Owner = this };
        var cf = new ColumnFamilyData(handle, options, state, NewMemTable(options));
        _columnFamilies[state.Id] = cf;
        return cf;
    }

    /// <remarks>
    /// Arena chunks of an eighth of the write buffer (at most 1 MiB), as RocksDB sizes its arena blocks, so small buffers
    /// fill in small steps; each chunk is charged to the write buffer manager, if any.
    /// </remarks>
    private MemTable NewMemTable(ColumnFamilyOptions options) =>
        new(
            new InternalKeyComparator(options.Table.Comparator),
            (int)Math.Clamp(options.WriteBufferSize / 8, Arena.MinChunkSize, Arena.DefaultChunkSize),
            MemtableBudget?.NewTracker());

    /// <summary>Replays, in order, every log at or after the oldest one a column family still needs.</summary>
    /// <param name="edits">
    /// Where tables written during replay (a memtable that fills up) are recorded; null for a read-only open,
    /// which keeps everything in memory.
    /// </param>
    /// <remarks>
    /// A log record whose checksum holds but whose write batch is malformed (<see cref="FindBatchDamage"/>) is
    /// handled by the recovery mode as a damaged log record is: it fails the open (modes 0 and 1), is skipped and
    /// counted (mode 3), or ends replay (mode 2). Each batch is checked whole before any of it is applied, so a
    /// malformed batch is never applied in part.
    /// </remarks>
    private void ReplayLogs(Dictionary<uint, VersionEdit>? edits)
    {
        ulong minLog = _versions.MinLiveLogNumber();
        ulong prevLog = _versions.PrevLogNumber;
        var logs = new List<ulong>();
        foreach (string name in _fs.ListFiles(Path))
        {
            if (DbFileName.TryParse(name, out DbFileType type, out ulong number) && type == DbFileType.WriteAheadLog
                && (number >= minLog || (prevLog != 0 && number == prevLog)))
            {
                logs.Add(number);
            }
        }

        logs.Sort();
        ulong lastSequence = _versions.LastSequence;
        WalRecoveryMode mode = _options.WalRecoveryMode;
        foreach (ulong logNumber in logs)
        {
            _versions.MarkFileNumberUsed(logNumber);
            string path = FilePath(DbFileName.Log(logNumber));
            using var reader = new LogReader(_fs.OpenRead(path), logNumber, ownsFile: true);
            long? stoppedAt = null;
            while (reader.TryReadRecord(mode, out ReadOnlySpan<byte> record))
            {
                if (FindBatchDamage(record) is string damage)
                {
                    if (mode == WalRecoveryMode.SkipAnyCorruptedRecords)
                    {
                        _recoveryDroppedRecords++;
                        _recoveryDroppedBytes += record.Length;
                        continue;
                    }

                    if (mode == WalRecoveryMode.PointInTimeRecovery)
                    {
                        // As the log reader counts a point-in-time stop: the record, and every byte from it to the end of the log.
                        stoppedAt = reader.RecordOffset;
                        _recoveryDroppedBytes += reader.FileLength - reader.RecordOffset;
                        break;
                    }

                    throw new CorruptionException($"bad write batch: {damage}", path, reader.RecordOffset);
                }

                lastSequence = Math.Max(lastSequence, ReplayBatch(record, logNumber, path, reader.RecordOffset));
                if (edits is null)
                {
                    continue;
                }

                foreach (ColumnFamilyData cf in _columnFamilies.Values)
                {
                    if (cf.Mem.ApproximateMemoryUsage >= cf.Options.WriteBufferSize)
                    {
                        FlushReplayedMemtable(cf, edits); // a log larger than memory replays in pieces
                    }
                }
            }

            if (reader.TimestampSizes.Count > 0)
            {
                throw new NotSupportedException($"The log {path} holds keys with user-defined timestamps, which this engine does not read.");
            }

            _recoveryDroppedRecords += reader.CorruptionsSkipped;
            _recoveryDroppedBytes += reader.DroppedBytes;
            stoppedAt ??= reader.StoppedAt?.Offset;
            if (stoppedAt is long offset)
            {
                // Point-in-time recovery: nothing after the damage may be applied, in this log or a later one.
                _recoveryDroppedRecords++;
                CheckConsistentAfterStop(logNumber, path, offset);
                break;
            }
        }

        _versions.SetLastSequence(lastSequence);
    }

    /// <summary>
    /// After point-in-time recovery stopped in log <paramref name="stoppedLog"/>: refuses to open when a column family
    /// has tables and a log number above that log (RocksDB's <c>MaybeHandleStopReplayForCorruptionForInconsistency</c>).
    /// </summary>
    /// <remarks>
    /// Such a family flushed everything in the stopped log, including what lies after the stop: its tables hold
    /// writes that the other families lose, so an atomic batch across families could survive in one and vanish from
    /// another. A family with no table (an empty one, or one created after the log) holds nothing newer and passes.
    /// </remarks>
    private void CheckConsistentAfterStop(ulong stoppedLog, string file, long offset)
    {
        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            if (cf.State.LogNumber > stoppedLog && TotalFileSize(cf.State.Current) > 0)
            {
                throw new CorruptionException(
                    $"point-in-time recovery stopped here, but column family '{cf.Handle.Name}' has tables with writes from after this point "
                    + $"(its log number {cf.State.LogNumber} is past this log's {stoppedLog}): the families would disagree",
                    file,
                    offset);
            }
        }
    }

    /// <summary>
    /// Why a log record is not a well-formed write batch, or null when it is: shorter than the batch header, a
    /// record that does not decode (unknown tag, a length past the end), or a count that differs from the records
    /// found (RocksDB: "WriteBatch has wrong count").
    /// </summary>
    /// <exception cref="NotSupportedException">A record this engine cannot apply (not damage: a newer writer's feature).</exception>
    private static string? FindBatchDamage(ReadOnlySpan<byte> record)
    {
        if (record.Length < WriteBatchFormat.HeaderSize)
        {
            return $"log record of {record.Length} bytes is too short for a write batch";
        }

        var reader = new WriteBatchReader(record);
        ulong found = 0;
        try
        {
            while (reader.TryReadNext(out _))
            {
                found++;
            }
        }
        catch (CorruptionException e) when (e.FilePath is null)
        {
            return $"{e.Reason} (at byte {e.Offset} of the batch)";
        }

        if (found != reader.Count)
        {
            return $"write batch holds {found} records but its header counts {reader.Count}";
        }

        if (found > 0 && reader.Sequence > InternalKey.MaxSequence - (found - 1))
        {
            return $"write batch sequence {reader.Sequence} with {found} records runs past the largest sequence number {InternalKey.MaxSequence}";
        }

        return null;
    }

    /// <summary>Applies one logged batch to the memtables of the families that have not flushed it; returns its last sequence.</summary>
    private ulong ReplayBatch(ReadOnlySpan<byte> record, ulong logNumber, string file, long offset)
    {
        if (record.Length < WriteBatchFormat.HeaderSize)
        {
            throw new CorruptionException($"log record of {record.Length} bytes is too short for a write batch", file, offset);
        }

        var reader = new WriteBatchReader(record);
        ulong sequence = reader.Sequence;
        ulong first = sequence;
        uint count = reader.Count;
        try
        {
            while (reader.TryReadNext(out WriteBatchRecord r))
            {
                if (_columnFamilies.TryGetValue(r.ColumnFamilyId, out ColumnFamilyData? cf) && logNumber >= cf.State.LogNumber)
                {
                    cf.Mem.Add(sequence, r.Kind, r.Key, r.Value);
                }

                sequence++;
            }
        }
        catch (CorruptionException e) when (e.FilePath is null)
        {
            throw new CorruptionException($"bad write batch: {e.Reason}", file, offset, e);
        }

        if (sequence - first != count)
        {
            throw new CorruptionException($"write batch holds {sequence - first} records but its header counts {count}", file, offset);
        }

        return count == 0 ? first - 1 : first + count - 1;
    }

    private string FilePath(string name) => System.IO.Path.Join(Path, name);
}
