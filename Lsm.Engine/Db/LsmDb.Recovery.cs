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

    /// <remarks>Arena chunks of an eighth of the write buffer (at most 1 MiB), as RocksDB sizes its arena blocks, so small buffers fill in small steps.</remarks>
    private static MemTable NewMemTable(ColumnFamilyOptions options) =>
        new(new InternalKeyComparator(options.Table.Comparator), (int)Math.Clamp(options.WriteBufferSize / 8, Arena.MinChunkSize, Arena.DefaultChunkSize));

    /// <summary>Replays, in order, every log at or after the oldest one a column family still needs.</summary>
    private void ReplayLogs(Dictionary<uint, VersionEdit> edits)
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
        foreach (ulong logNumber in logs)
        {
            _versions.MarkFileNumberUsed(logNumber);
            string path = FilePath(DbFileName.Log(logNumber));
            using var reader = new LogReader(_fs.OpenRead(path), logNumber, ownsFile: true);
            while (reader.TryReadRecord(_options.WalRecoveryMode, out ReadOnlySpan<byte> record))
            {
                lastSequence = Math.Max(lastSequence, ReplayBatch(record, logNumber, path, reader.RecordOffset));
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
            if (reader.StoppedAt is not null)
            {
                // Point-in-time recovery: nothing after the damage may be applied, in this log or a later one.
                _recoveryDroppedRecords++;
                break;
            }
        }

        _versions.SetLastSequence(lastSequence);
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
