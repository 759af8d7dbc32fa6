using System.Diagnostics;
using Lsm.Engine.Db;
using Lsm.Engine.Memtable;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine;

/// <summary>Flushing immutable memtables to level-0 tables on dedicated background threads.</summary>
public sealed partial class LsmDb
{
    private readonly List<Thread> _flushThreads = [];

    // Counts work for the flush threads (one release per immutable memtable, and at shutdown). They wait on it
    // rather than on the mutex's monitor, so committing a write does not wake an idle flush thread.
    private readonly SemaphoreSlim _flushWork = new(0);
    private readonly HashSet<ulong> _pendingOutputs = [];
    private int _runningFlushes;

    private void StartBackgroundThreads()
    {
        for (int i = 0; i < _options.MaxBackgroundFlushes; i++)
        {
            var thread = new Thread(FlushLoop)
            {
                IsBackground = true,
                Name = $"lsm-flush-{i}",
                Priority = ThreadPriority.AboveNormal, // flushes must never starve behind other background work
            };
            _flushThreads.Add(thread);
            thread.Start();
        }

        StartCompactionThreads();
    }

    private void StopBackgroundThreads()
    {
        StopCompactionThreads();
        _flushWork.Release(_flushThreads.Count + 1);
        foreach (Thread thread in _flushThreads)
        {
            thread.Join();
        }

        _flushThreads.Clear();
    }

    /// <summary>
    /// Flushes the column family's memtable (and any immutable ones) to level-0 tables and waits until they
    /// are recorded in the MANIFEST, so their log can be dropped.
    /// </summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <exception cref="IOException">A background error stops flushing; it carries the cause.</exception>
    public void Flush(ColumnFamilyHandle? columnFamily = null)
    {
        ThrowIfReadOnly();
        lock (_mutex)
        {
            ThrowIfDisposed();
            ColumnFamilyData cf = Resolve(columnFamily);
            ThrowIfBackgroundError();
            WaitForWriteGroupLocked();
            if (!cf.Mem.IsEmpty)
            {
                SwitchMemtableLocked(cf);
            }

            while (cf.Imm.Count > 0 && _backgroundError is null && !_disposed)
            {
                Monitor.Wait(_mutex);
            }

            ThrowIfBackgroundError();
        }
    }

    /// <summary>Makes the active memtable immutable, starting a new log for the memtable that replaces it.</summary>
    private void SwitchMemtableLocked(ColumnFamilyData cf)
    {
        Debug.Assert(Monitor.IsEntered(_mutex));
        ulong newLog = _walNumber;
        if (_wal is not null && _wal.Length > 0)
        {
            // A new log, so the old one becomes obsolete once every family has flushed what it holds. The old
            // log is synced first: a later synced write in the new log must never survive a crash that loses
            // earlier writes still unsynced in the old one (recovery must yield a prefix of history). The new
            // log's name is made durable before any write can be acknowledged in it.
            Wal.LogWriter? next = null;
            try
            {
                newLog = _versions.NewFileNumber();
                next = new Wal.LogWriter(_fs.Create(FilePath(DbFileName.Log(newLog))));
                _fs.SyncDirectory(Path);
                _wal.Sync();
                _wal.Dispose();
                _wal = next;
                _walNumber = newLog;
                next = null;
                AdvanceIdleFamiliesLocked(cf, newLog);
            }
            catch (IOException e)
            {
                // A failed fsync may have lost the old log's tail for good (a retry can "succeed" without it), and a
                // failed MANIFEST write leaves the version state unknown: stop writing, as RocksDB does.
                next?.Dispose();
                SetBackgroundErrorLocked(e);
                throw;
            }
        }

        cf.Mem.MemoryTracker?.MarkImmutable();
        cf.Imm.Add(new ImmutableMemTable(cf.Mem, newLog));
        cf.Mem = NewMemTable(cf.Options);
        RecalculateWriteStallLocked(cf);
        _flushWork.Release();
        Monitor.PulseAll(_mutex);
    }

    /// <summary>
    /// Families with nothing in memory need no old log: move their log number to the new one (as RocksDB does at
    /// each switch), so old logs do not pile up behind an idle family.
    /// </summary>
    private void AdvanceIdleFamiliesLocked(ColumnFamilyData switching, ulong newLog)
    {
        var edits = new List<(uint ColumnFamilyId, VersionEdit Edit)>();
        foreach (ColumnFamilyData other in _columnFamilies.Values)
        {
            if (other != switching && other.Mem.IsEmpty && other.Imm.Count == 0 && other.State.LogNumber < newLog)
            {
                edits.Add((other.Id, new VersionEdit { LogNumber = newLog }));
            }
        }

        _versions.LogAndApply(edits, atomicGroup: false);
    }

    private void FlushLoop()
    {
        while (true)
        {
            ColumnFamilyData cf;
            ImmutableMemTable imm;
            ulong fileNumber;
            ulong[] snapshots;
            while (true)
            {
                lock (_mutex)
                {
                    if (_disposed)
                    {
                        return; // unflushed memtables stay in the log, which recovery replays
                    }

                    if (TryPickFlush(out cf!, out imm!))
                    {
                        // Claimed in the same lock section that picked it, so no other flush thread takes it too.
                        imm.FlushInProgress = true;
                        snapshots = SnapshotSequencesLocked();
                        fileNumber = _versions.NewFileNumber();
                        _pendingOutputs.Add(fileNumber);
                        _runningFlushes++;
                        break;
                    }
                }

                _flushWork.Wait();
            }

            try
            {
                FileMetadata? file = imm.Mem.IsEmpty ? null : WriteLevel0Table(cf, imm.Mem, fileNumber, snapshots);
                if (file is not null)
                {
                    _tables.Preload(file, cf.Options.Table, level: 0);
                }

                lock (_mutex)
                {
                    var edit = new VersionEdit { LogNumber = imm.NextLogNumber, LastSequence = _versions.LastSequence };
                    if (file is not null)
                    {
                        edit.AddFile(0, file);
                    }

                    _versions.LogAndApply(cf.Id, edit);
                    cf.Imm.Remove(imm);
                    cf.InstallSuperVersion();
                    imm.Mem.Unref();
                    _pendingOutputs.Remove(fileNumber);
                    DeleteObsoleteFilesLocked();
                    RecalculateWriteStallLocked(cf);
                    MaybeScheduleCompactionLocked();
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                lock (_mutex)
                {
                    imm.FlushInProgress = false;
                    _pendingOutputs.Remove(fileNumber);
                    SetBackgroundErrorLocked(e);
                }
            }
            finally
            {
                lock (_mutex)
                {
                    _runningFlushes--;
                    Monitor.PulseAll(_mutex);
                }
            }
        }
    }

    /// <summary>The oldest immutable memtable of any family, if its family has no flush running (flushes of one family stay in order).</summary>
    private bool TryPickFlush(out ColumnFamilyData cf, out ImmutableMemTable imm)
    {
        cf = null!;
        imm = null!;
        if (_backgroundError is not null)
        {
            return false;
        }

        foreach (ColumnFamilyData candidate in _columnFamilies.Values)
        {
            if (candidate.Imm.Count > 0 && !candidate.Imm[0].FlushInProgress && !candidate.Handle.IsDropped)
            {
                cf = candidate;
                imm = candidate.Imm[0];
                return true;
            }
        }

        return false;
    }

    private FileMetadata WriteLevel0Table(ColumnFamilyData cf, MemTable mem) =>
        WriteLevel0Table(cf, mem, _versions.NewFileNumber(), SnapshotSequencesLocked());

    /// <summary>The sequence numbers of the live snapshots, ascending.</summary>
    private ulong[] SnapshotSequencesLocked()
    {
        var sequences = new ulong[_snapshots.Count];
        _snapshots.Keys.CopyTo(sequences, 0);
        return sequences;
    }

    /// <summary>
    /// Writes a memtable to table <paramref name="fileNumber"/>, syncs it and its directory entry. Versions no read
    /// can see are left out: an entry is dropped when a newer value or deletion of its key falls in the same
    /// snapshot stripe (no live snapshot lies between them). Entries below a merge operand are all kept.
    /// The memtable's range tombstones go to the table's range-deletion block, all of them, and widen the
    /// file's key range as RocksDB's flush does: smallest covers a tombstone's start, largest its end as
    /// (end, max sequence, range deletion), the sentinel that sorts before every real entry of the end key.
    /// </summary>
    private FileMetadata WriteLevel0Table(ColumnFamilyData cf, MemTable mem, ulong fileNumber, ulong[] snapshots)
    {
        string path = FilePath(DbFileName.Table(fileNumber));
        ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var context = new TableBuilderContext(
            cf.Id, cf.Handle.Name, cf.Options.MergeOperator?.Name ?? "nullptr", _versions.DbId, _sessionId, fileNumber, IsExternal: false)
        {
            CreationTime = now,
            FileCreationTime = now,
        };
        TableProperties properties;
        ulong size;
        var order = new Encoding.InternalKeyComparator(cf.Options.Table.Comparator);
        byte[]? smallest = null;
        byte[]? largest = null;
        try
        {
            using var file = _fs.Create(path);
            using var builder = new TableBuilder(file, cf.Options.Table, context);
            var iterator = mem.NewIterator();
            KeyComparator comparator = cf.Options.Table.Comparator;
            byte[] previousKey = new byte[64];
            int previousLength = -1;
            int previousStripe = -1;
            bool previousShadows = false;
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                ReadOnlySpan<byte> key = iterator.Key;
                ReadOnlySpan<byte> userKey = Encoding.InternalKey.UserKey(key);
                int stripe = Stripe(snapshots, Encoding.InternalKey.Sequence(key));
                bool sameKey = previousLength >= 0 && comparator.Compare(userKey, previousKey.AsSpan(0, previousLength)) == 0;
                if (sameKey && stripe == previousStripe && previousShadows)
                {
                    continue; // hidden from every reader by the newer entry kept in this stripe
                }

                builder.Add(key, iterator.Value);
                if (!sameKey)
                {
                    if (previousKey.Length < userKey.Length)
                    {
                        previousKey = new byte[Math.Max(userKey.Length, previousKey.Length * 2)];
                    }

                    userKey.CopyTo(previousKey);
                    previousLength = userKey.Length;
                }

                previousStripe = stripe;
                previousShadows = Encoding.InternalKey.Kind(key) is ValueKind.Value or ValueKind.Deletion or ValueKind.SingleDeletion;
            }

            if (mem.NewRangeTombstoneIterator() is MemTableIterator tombstones)
            {
                for (tombstones.SeekToFirst(); tombstones.Valid; tombstones.Next())
                {
                    builder.Add(tombstones.Key, tombstones.Value);
                    WidenBounds(order, tombstones.Key, tombstones.Value, ref smallest, ref largest);
                }
            }

            properties = builder.Finish();
            size = builder.FileSize;
            if (properties.NumEntries > properties.NumRangeDeletions)
            {
                WidenBounds(order, properties.SmallestKey.Span, ref smallest, ref largest);
                WidenBounds(order, properties.LargestKey.Span, ref smallest, ref largest);
            }
            file.Sync();
        }
        catch
        {
            _fs.Delete(path);
            throw;
        }

        _fs.SyncDirectory(Path);
        lock (_mutex)
        {
            cf.BytesFlushed += (long)size;
            cf.NumFlushes++;
        }

        return new FileMetadata
        {
            FileNumber = fileNumber,
            FileSize = size,
            UniqueId = SstUniqueId.Compute(_versions.DbId, _sessionId, fileNumber),
            Smallest = smallest!,
            Largest = largest!,
            SmallestSequence = properties.SmallestSequence ?? 0,
            LargestSequence = properties.LargestSequence ?? 0,
            EpochNumber = cf.State.NewEpochNumber(),
            OldestAncesterTime = now,
            FileCreationTime = now,
        };
    }

    /// <summary>Widens [smallest, largest] to hold the internal key <paramref name="key"/>.</summary>
    private static void WidenBounds(Encoding.InternalKeyComparator order, ReadOnlySpan<byte> key, ref byte[]? smallest, ref byte[]? largest)
    {
        if (smallest is null || order.Compare(key, smallest) < 0)
        {
            smallest = key.ToArray();
        }

        if (largest is null || order.Compare(key, largest) > 0)
        {
            largest = key.ToArray();
        }
    }

    /// <summary>Widens [smallest, largest] to hold the range tombstone start#seq..end (exclusive).</summary>
    private static void WidenBounds(
        Encoding.InternalKeyComparator order, ReadOnlySpan<byte> start, ReadOnlySpan<byte> endUserKey, ref byte[]? smallest, ref byte[]? largest)
    {
        WidenBounds(order, start, ref smallest, ref largest);
        byte[] end = new byte[endUserKey.Length + Encoding.InternalKey.TrailerSize];
        Encoding.InternalKey.Write(end, endUserKey, Encoding.InternalKey.MaxSequence, ValueKind.RangeDeletion);
        WidenBounds(order, end, ref smallest, ref largest);
    }

    /// <summary>The index of the first snapshot at or above <paramref name="sequence"/>: entries with equal stripes look the same to every reader.</summary>
    private static int Stripe(ulong[] snapshots, ulong sequence)
    {
        int index = Array.BinarySearch(snapshots, sequence);
        return index >= 0 ? index : ~index;
    }

    /// <remarks>
    /// A failure here is not a background error: whatever made the files obsolete is already durable, and the
    /// next cleanup (after the next flush, or at open) retries, as in RocksDB.
    /// </remarks>
    private void DeleteObsoleteFilesLocked()
    {
        if (_backgroundError is not null)
        {
            // A failed MANIFEST write may still have reached the disk: a file that is not live in memory may be live
            // there. Delete nothing until the next open has read the MANIFEST back (as RocksDB stops purging).
            return;
        }

        IReadOnlyList<string> deleted;
        try
        {
            deleted = _versions.DeleteObsoleteFiles(_pendingOutputs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string name in deleted)
        {
            if (DbFileName.TryParse(name, out DbFileType type, out ulong number) && type == DbFileType.Table)
            {
                _tables.Evict(number);
            }
        }
    }

    private void SetBackgroundErrorLocked(Exception e)
    {
        _backgroundError ??= e;
        _backgroundErrorCount++;
        Monitor.PulseAll(_mutex);
    }

    private void ThrowIfBackgroundError()
    {
        if (_backgroundError is Exception e)
        {
            throw new IOException($"The database stopped accepting writes after a background error: {e.Message}", e);
        }
    }
}
