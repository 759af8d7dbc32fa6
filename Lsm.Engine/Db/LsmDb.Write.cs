using System.Diagnostics;
using Lsm.Engine.Db;
using Lsm.Engine.Wal;

namespace Lsm.Engine;

/// <summary>The write path: validation, group commit, the log append and the memtable inserts.</summary>
public sealed partial class LsmDb
{
    /// <summary>Most bytes of batches one group commits together (leveldb's 1 MiB).</summary>
    private const int MaxGroupBytes = 1 << 20;

    private readonly Queue<Writer> _writers = new();
    private readonly WriteBatch _groupBatch = new();
    private readonly List<Writer> _group = []; // the leader's group; only the current leader touches it

    /// <summary>A single-key batch that grew past this many bytes (a huge value) is not kept for reuse.</summary>
    private const int MaxKeptSingleBatchBytes = 64 * 1024;

    // One Writer per thread, reused: a thread has at most one write in flight.
    [ThreadStatic]
    private static Writer? t_writer;

    // The batch Put, Delete and Merge encode their one update into, reused so that they allocate nothing.
    // Null while rented: a write re-entered on the same thread (from a callback) gets a fresh batch
    // instead of overwriting one still queued.
    [ThreadStatic]
    private static WriteBatch? t_singleBatch;

    /// <summary>How often a writer stalled by the write buffer manager looks again (another database's flush does not wake it).</summary>
    private const int WriteBufferManagerPollMilliseconds = 5;

    // The database's own write buffer manager when DbOptions.DbWriteBufferSize asks for one: created with the first
    // memtable (under the mutex, or during the single-threaded open).
    private WriteBufferManager? _ownWriteBufferManager;

    // Memtables switched early because the write buffer manager asked for a flush (for tests and statistics).
    private long _writeBufferManagerFlushes;

    // True while a leader appends to the log and inserts into memtables outside the mutex. Anything that swaps
    // or frees a memtable or the log from another thread (Flush, DropColumnFamily) waits for it to clear.
    private bool _groupInFlight;

    /// <summary>A write waiting in the queue; the writer at the head is the leader and commits a group.</summary>
    private sealed class Writer
    {
        public WriteBatch Batch { get; private set; } = null!;

        public WriteOptions Options { get; private set; } = null!;

        public bool Done { get; set; }

        public Exception? Error { get; set; }

        public Writer Reset(WriteBatch batch, WriteOptions options)
        {
            Batch = batch;
            Options = options;
            Done = false;
            Error = null;
            return this;
        }
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> in the default column family.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Put(null, key, value);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> in a column family.</summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="options">Write options; default when null.</param>
    public void Put(ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options = null)
        => WriteSingle(SingleWrite.Put, columnFamily, key, value, options);

    /// <summary>Deletes <paramref name="key"/> from the default column family (a no-op if absent).</summary>
    /// <param name="key">The key.</param>
    public void Delete(ReadOnlySpan<byte> key) => Delete(null, key);

    /// <summary>Deletes <paramref name="key"/> from a column family (a no-op if absent).</summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="key">The key.</param>
    /// <param name="options">Write options; default when null.</param>
    public void Delete(ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> key, WriteOptions? options = null)
        => WriteSingle(SingleWrite.Delete, columnFamily, key, default, options);

    /// <summary>Deletes every key in [<paramref name="begin"/>, <paramref name="end"/>) from the default column family.</summary>
    /// <param name="begin">The first key deleted.</param>
    /// <param name="end">The first key after the range, not deleted; a range with <paramref name="end"/> equal to <paramref name="begin"/> is empty.</param>
    public void DeleteRange(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end) => DeleteRange(null, begin, end);

    /// <summary>
    /// Deletes every key in [<paramref name="begin"/>, <paramref name="end"/>) from a column family with one range
    /// tombstone (RocksDB's DeleteRange): keys written later are not affected, snapshots taken before still see the
    /// deleted keys.
    /// </summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="begin">The first key deleted.</param>
    /// <param name="end">The first key after the range, not deleted; a range with <paramref name="end"/> equal to <paramref name="begin"/> is empty.</param>
    /// <param name="options">Write options; default when null.</param>
    /// <exception cref="ArgumentException"><paramref name="end"/> comes before <paramref name="begin"/> in the family's order, or a bound is too long.</exception>
    public void DeleteRange(ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, WriteOptions? options = null)
        => WriteSingle(SingleWrite.DeleteRange, columnFamily, begin, end, options);

    /// <summary>Records a merge operand for <paramref name="key"/> in the default column family (needs a merge operator).</summary>
    /// <param name="key">The key.</param>
    /// <param name="operand">The operand.</param>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => Merge(null, key, operand);

    /// <summary>Records a merge operand for <paramref name="key"/> in a column family (needs a merge operator).</summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="key">The key.</param>
    /// <param name="operand">The operand.</param>
    /// <param name="options">Write options; default when null.</param>
    public void Merge(ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand, WriteOptions? options = null)
        => WriteSingle(SingleWrite.Merge, columnFamily, key, operand, options);

    /// <summary>
    /// Applies a batch atomically (across column families too): after a crash either all of it or none of it
    /// is recovered. Concurrent writes are committed in groups with one log append.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="options">Write options; default when null.</param>
    /// <exception cref="ArgumentException">The batch names a column family that does not exist, or holds a range deletion whose end comes before its start.</exception>
    /// <exception cref="InvalidOperationException">The batch names a dropped column family.</exception>
    /// <exception cref="IOException">The log write failed, or an earlier background error stops writes (it carries the cause).</exception>
    public void Write(WriteBatch batch, WriteOptions? options = null)
    {
        ThrowIfReadOnly();
        ArgumentNullException.ThrowIfNull(batch);
        options ??= WriteOptions.Default;
        if (options.Sync && options.DisableWal)
        {
            throw new ArgumentException("WriteOptions.Sync and DisableWal cannot be combined.", nameof(options));
        }

        if (batch.Count == 0)
        {
            return;
        }

        Writer writer = (t_writer ??= new Writer()).Reset(batch, options);
        lock (_mutex)
        {
            ThrowIfDisposed();
            ValidateBatchLocked(batch);
            _writers.Enqueue(writer);
            while (!writer.Done && _writers.Peek() != writer)
            {
                Monitor.Wait(_mutex);
            }

            if (writer.Done)
            {
                if (writer.Error is not null)
                {
                    throw Rethrow(writer.Error);
                }

                return;
            }
        }

        CommitGroup(writer);
        if (writer.Error is not null)
        {
            throw Rethrow(writer.Error);
        }
    }

    private enum SingleWrite
    {
        Put,
        Delete,
        Merge,
        DeleteRange,
    }

    /// <summary>One update through the thread's reusable batch (no allocation): <paramref name="value"/> is the value, operand or range end.</summary>
    private void WriteSingle(SingleWrite kind, ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options)
    {
        WriteBatch batch = RentSingleBatch();
        try
        {
            switch (kind)
            {
                case SingleWrite.Put when columnFamily is null:
                    batch.Put(key, value);
                    break;
                case SingleWrite.Put:
                    batch.Put(columnFamily, key, value);
                    break;
                case SingleWrite.Delete when columnFamily is null:
                    batch.Delete(key);
                    break;
                case SingleWrite.Delete:
                    batch.Delete(columnFamily, key);
                    break;
                case SingleWrite.Merge when columnFamily is null:
                    batch.Merge(key, value);
                    break;
                case SingleWrite.Merge:
                    batch.Merge(columnFamily, key, value);
                    break;
                case SingleWrite.DeleteRange when columnFamily is null:
                    batch.DeleteRange(key, value);
                    break;
                default:
                    batch.DeleteRange(columnFamily!, key, value);
                    break;
            }

            Write(batch, options);
        }
        finally
        {
            ReturnSingleBatch(batch);
        }
    }

    private static WriteBatch RentSingleBatch()
    {
        WriteBatch? batch = t_singleBatch;
        if (batch is null)
        {
            return new WriteBatch();
        }

        t_singleBatch = null;
        batch.Clear();
        return batch;
    }

    /// <summary>Keeps <paramref name="batch"/> for the thread's next single-key write. REQUIRES: no writer still refers to it (its write returned or threw).</summary>
    private static void ReturnSingleBatch(WriteBatch batch)
    {
        if (batch.DataSize <= MaxKeptSingleBatchBytes)
        {
            t_singleBatch = batch;
        }
    }

    private static IOException Rethrow(Exception error) =>
        error as IOException ?? new IOException("The write failed: " + error.Message, error);

    /// <summary>As the leader: makes room, takes the queued writes that fit, logs them once, applies them, wakes their writers.</summary>
    private void CommitGroup(Writer leader)
    {
        List<Writer> group = _group;
        group.Clear();
        ulong firstSequence;
        ulong lastSequence;
        WriteBatch toLog;
        LogWriter? wal;
        bool sync = false;
        Exception? error = null;
        lock (_mutex)
        {
            try
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                MakeRoomForWriteLocked();
                DelayWriteLocked();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                FinishGroupLocked([leader], e);
                return;
            }

            int bytes = 0;
            foreach (Writer w in _writers)
            {
                if (group.Count > 0 && (w.Options.DisableWal != leader.Options.DisableWal || bytes + w.Batch.DataSize > MaxGroupBytes))
                {
                    break;
                }

                group.Add(w);
                bytes += w.Batch.DataSize;
                sync |= w.Options.Sync;
            }

            _lastGroupBytes = bytes;
            firstSequence = _versions.LastSequence + 1;
            ulong next = firstSequence;
            foreach (Writer w in group)
            {
                w.Batch.SetSequence(next);
                next += (ulong)w.Batch.Count;
            }

            lastSequence = next - 1;
            if (group.Count == 1)
            {
                toLog = leader.Batch;
            }
            else
            {
                _groupBatch.Clear();
                foreach (Writer w in group)
                {
                    _groupBatch.Append(w.Batch);
                }

                _groupBatch.SetSequence(firstSequence);
                toLog = _groupBatch;
            }

            wal = leader.Options.DisableWal ? null : _wal;
            _groupInFlight = true;
        }

        // Only the leader runs here, so the log and the memtables see one writer at a time.
        try
        {
            if (wal is not null)
            {
                wal.AddRecord(toLog.Rep);
                if (sync)
                {
                    wal.Sync();
                }
                else
                {
                    wal.Flush();
                }
            }

            foreach (Writer w in group)
            {
                ApplyToMemtables(w.Batch);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e;
        }

        lock (_mutex)
        {
            _groupInFlight = false;
            if (error is null)
            {
                _versions.SetLastSequence(lastSequence); // publishes the group to readers
                _counters.RecordWriteGroup(group.Count, (long)(lastSequence - firstSequence + 1), _lastGroupBytes, wal is null ? 0 : toLog.DataSize);
            }
            else
            {
                // The log may hold part of the group: stop writing rather than risk a log that disagrees with what we acknowledged.
                SetBackgroundErrorLocked(error);
            }

            FinishGroupLocked(group, error);
        }
    }

    /// <summary>Waits (releasing the mutex) until no write group is applying to memtables outside it.</summary>
    private void WaitForWriteGroupLocked()
    {
        while (_groupInFlight)
        {
            Monitor.Wait(_mutex);
        }
    }

    private void FinishGroupLocked(List<Writer> group, Exception? error)
    {
        Debug.Assert(Monitor.IsEntered(_mutex));
        foreach (Writer w in group)
        {
            Writer head = _writers.Dequeue();
            Debug.Assert(ReferenceEquals(head, w));
            w.Error = error;
            w.Done = true;
        }

        Monitor.PulseAll(_mutex);
    }

    private void ApplyToMemtables(WriteBatch batch)
    {
        var reader = batch.NewReader();
        ulong sequence = reader.Sequence;
        while (reader.TryReadNext(out WriteBatchRecord record))
        {
            // A family dropped after the batch was validated: its writes are discarded, as in RocksDB.
            if (_columnFamilies.TryGetValue(record.ColumnFamilyId, out ColumnFamilyData? cf))
            {
                cf.Mem.Add(sequence, record.Kind, record.Key, record.Value);
            }

            sequence++;
        }
    }

    /// <summary>Refuses a batch that names an unknown or dropped family, or holds what the engine cannot apply yet.</summary>
    private void ValidateBatchLocked(WriteBatch batch)
    {
        var reader = batch.NewReader();
        while (reader.TryReadNext(out WriteBatchRecord record))
        {
            if (!_columnFamilies.TryGetValue(record.ColumnFamilyId, out ColumnFamilyData? cf))
            {
                throw new ArgumentException($"The batch names column family {record.ColumnFamilyId}, which does not exist.", nameof(batch));
            }

            if (cf.Handle.IsDropped)
            {
                throw new InvalidOperationException($"Column family '{cf.Handle.Name}' has been dropped.");
            }

            if (record.Kind == ValueKind.RangeDeletion && cf.Options.Table.Comparator.Compare(record.Key, record.Value) > 0)
            {
                // RocksDB's InvalidArgument: an inverted range is taken for a mistake, not for an empty range.
                throw new ArgumentException(
                    $"DeleteRange's end key {KeyText.FormatUserKey(record.Value)} comes before its start key {KeyText.FormatUserKey(record.Key)}.",
                    nameof(batch));
            }
        }
    }

    /// <summary>
    /// Makes the active memtables immutable when full, waiting (a write stall) while a family already has
    /// <see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/> memtables; then serves the write buffer manager: switches
    /// the largest memtable when it asks for a flush, and waits while it stalls writes.
    /// </summary>
    private void MakeRoomForWriteLocked()
    {
        MakeRoomInFullMemtablesLocked();
        if (MemtableBudget is WriteBufferManager budget)
        {
            if (budget.ShouldFlush())
            {
                SwitchLargestMemtableLocked();
            }

            StallForWriteBufferManagerLocked(budget);
        }
    }

    /// <summary>Makes each full active memtable immutable, waiting while its family has as many memtables as it may.</summary>
    private void MakeRoomInFullMemtablesLocked()
    {
        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            if (cf.Handle.IsDropped || cf.Mem.ApproximateMemoryUsage < cf.Options.WriteBufferSize)
            {
                continue;
            }

            while (cf.Imm.Count >= cf.Options.MaxWriteBufferNumber - 1)
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                Monitor.Wait(_mutex);
            }

            SwitchMemtableLocked(cf);
        }
    }

    /// <summary>
    /// The write buffer manager the memtables are charged to: <see cref="DbOptions.WriteBufferManager"/>, else one of
    /// <see cref="DbOptions.DbWriteBufferSize"/> bytes of the database's own, else null.
    /// </summary>
    internal WriteBufferManager? MemtableBudget =>
        _options.WriteBufferManager
        ?? (_options.DbWriteBufferSize > 0 ? _ownWriteBufferManager ??= new WriteBufferManager(_options.DbWriteBufferSize) : null);

    /// <summary>Memtables switched to immutable ahead of their write buffer size because the write buffer manager asked.</summary>
    internal long WriteBufferManagerFlushes => Interlocked.Read(ref _writeBufferManagerFlushes);

    /// <summary>
    /// Switches the largest non-empty active memtable of the database to immutable, for the flush threads, unless its
    /// family already holds <see cref="ColumnFamilyOptions.MaxWriteBufferNumber"/> − 1 immutable memtables: then its
    /// pending flushes will free memory, and switching a smaller memtable instead would only make small tables. See
    /// <see cref="WriteBufferManager"/> for why the largest.
    /// </summary>
    /// <returns>Whether a memtable was switched.</returns>
    private bool SwitchLargestMemtableLocked()
    {
        ColumnFamilyData? largest = null;
        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            if (!cf.Handle.IsDropped && !cf.Mem.IsEmpty && (largest is null || cf.Mem.ApproximateMemoryUsage > largest.Mem.ApproximateMemoryUsage))
            {
                largest = cf;
            }
        }

        if (largest is null || largest.Imm.Count >= largest.Options.MaxWriteBufferNumber - 1)
        {
            return false;
        }

        SwitchMemtableLocked(largest);
        Interlocked.Increment(ref _writeBufferManagerFlushes);
        return true;
    }

    /// <summary>
    /// While <paramref name="budget"/> stalls writes: switches memtables for flushing and waits for flushes to free
    /// memory. Gives up waiting when nothing anywhere is on its way out and this database has nothing left to switch
    /// (see <see cref="WriteBufferManager"/>). The wait counts as a stop in the write controller's statistics.
    /// </summary>
    private void StallForWriteBufferManagerLocked(WriteBufferManager budget)
    {
        if (!budget.ShouldStall())
        {
            return;
        }

        long started = Stopwatch.GetTimestamp();
        _writeController?.RecordStop(WriteStallCause.WriteBufferManager);
        try
        {
            while (budget.ShouldStall())
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                if (!SwitchLargestMemtableLocked() && !budget.HasImmutableMemory)
                {
                    return; // waiting cannot free anything: the memory is in memtables of databases that do not write
                }

                // Our flushes pulse the mutex; another database's do not, hence the bound.
                Monitor.Wait(_mutex, WriteBufferManagerPollMilliseconds);
            }
        }
        finally
        {
            if (_writeController is not null)
            {
                _writeController.StalledMicros += (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }
    }
}
