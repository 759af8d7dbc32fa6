using System.Diagnostics;
using Lsm.Engine.Compaction;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Db;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>Compactions on dedicated background threads, manual compaction, and the write stalls they relieve.</summary>
/// <remarks>
/// A compaction is picked and its plan registered in its family's running list under the mutex (the picker never
/// picks a running plan's files again), runs outside it, and is installed with one MANIFEST edit under it; its
/// inputs stay in the current version until then, so readers that started before keep working, and the input
/// files are deleted only once no version refers to them. Output file numbers are pending outputs until the
/// install, so the obsolete-file sweep never deletes a table being written.
/// </remarks>
public sealed partial class LsmDb
{
    private readonly List<Thread> _compactionThreads = [];

    // Work for the compaction threads: released when a flush or a compaction changes a version, and at shutdown.
    private readonly SemaphoreSlim _compactionWork = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private WriteController _writeController = null!;
    private int _runningCompactions;
    private long _lastGroupBytes;

    private void StartCompactionThreads()
    {
        _writeController = new WriteController(_options.DelayedWriteRate);
        for (int i = 0; i < _options.MaxBackgroundCompactions; i++)
        {
            var thread = new Thread(CompactionLoop)
            {
                IsBackground = true,
                Name = $"lsm-compaction-{i}",
                Priority = ThreadPriority.BelowNormal, // below the flush threads: a flush never waits behind a compaction
            };
            _compactionThreads.Add(thread);
            thread.Start();
        }

        lock (_mutex)
        {
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                RecalculateWriteStallLocked(cf);
            }

            MaybeScheduleCompactionLocked();
        }
    }

    /// <summary>Cancels running compactions (their outputs are deleted, nothing is installed) and joins the threads.</summary>
    private void StopCompactionThreads()
    {
        _shutdown.Cancel();
        _compactionWork.Release(_compactionThreads.Count + 1);
        foreach (Thread thread in _compactionThreads)
        {
            thread.Join();
        }

        _compactionThreads.Clear();
    }

    /// <summary>
    /// Compacts the keys in [<paramref name="begin"/>, <paramref name="end"/>] of a column family down the tree (leveled:
    /// level by level into the last level holding data; universal: every file into one run), flushing the
    /// memtable first. Returns when done.
    /// </summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="begin">The first key to compact, or null for the first key of the family.</param>
    /// <param name="end">The last key to compact (inclusive), or null for the last.</param>
    /// <exception cref="IOException">A compaction failed (it becomes the background error), or an earlier one stops writes.</exception>
    public void CompactRange(ColumnFamilyHandle? columnFamily = null, byte[]? begin = null, byte[]? end = null)
    {
        ThrowIfReadOnly();
        Flush(columnFamily);
        int level = 0;
        while (true)
        {
            ColumnFamilyData cf;
            CompactionPlan plan;
            ulong[] snapshots;
            lock (_mutex)
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                cf = Resolve(columnFamily);
                CompactionPlan? picked;
                bool conflict;
                while ((picked = cf.Picker.PickRange(cf.State.Current, cf.RunningCompactions, begin, end, level, out conflict)) is null && conflict)
                {
                    Monitor.Wait(_mutex); // the step's files are in a running compaction: wait for it to finish
                    ThrowIfDisposed();
                    ThrowIfBackgroundError();
                }

                if (picked is null)
                {
                    return;
                }

                plan = picked;
                cf.RunningCompactions.Add(plan);
                _runningCompactions++;
                snapshots = SnapshotSequencesLocked();
            }

            if (!RunCompaction(cf, plan, snapshots, manual: true))
            {
                lock (_mutex)
                {
                    ThrowIfDisposed();
                    ThrowIfBackgroundError();
                }
            }

            level = plan.NextManualLevel;
        }
    }

    /// <summary>
    /// Waits until the background threads have nothing left to do: no flush pending or running, no compaction
    /// running, and none due that the compaction style would pick (RocksDB's <c>WaitForCompact</c>).
    /// </summary>
    /// <exception cref="IOException">A background error stopped the work; it carries the cause.</exception>
    public void WaitForCompactions()
    {
        lock (_mutex)
        {
            while (true)
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                bool busy = _runningCompactions > 0 || _runningFlushes > 0;
                foreach (ColumnFamilyData cf in _columnFamilies.Values)
                {
                    busy |= cf.Imm.Count > 0
                        || (!cf.Options.DisableAutoCompactions && _compactionThreads.Count > 0
                            && cf.Picker.PickCompaction(cf.State.Current, cf.RunningCompactions) is not null);
                }

                if (!busy)
                {
                    return;
                }

                Monitor.Wait(_mutex, 100);
            }
        }
    }

    /// <summary>
    /// The broken invariants of every family's current version, for tests (empty when all hold): every table file
    /// exists; under universal compaction the sorted runs (each L0 file, then each non-empty level) are in age order,
    /// no run holding an entry newer than a run above it. (Sorted, disjoint levels are checked whenever a version is
    /// built.)
    /// </summary>
    internal List<string> CheckInvariants()
    {
        var problems = new List<string>();
        lock (_mutex)
        {
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                Version version = cf.State.Current;
                foreach ((int level, FileMetadata file) in version.AllFiles())
                {
                    if (!_fs.FileExists(FilePath(DbFileName.Table(file.FileNumber))))
                    {
                        problems.Add($"{cf.Handle.Name}: L{level} table {DbFileName.Table(file.FileNumber)} is missing");
                    }
                }

                if (cf.Options.CompactionStyle != CompactionStyle.Universal)
                {
                    continue;
                }

                ulong? newerSmallest = null;
                string newerName = "";
                foreach ((string name, ulong smallest, ulong largest) in SortedRuns(version))
                {
                    if (newerSmallest is ulong bound && largest > bound)
                    {
                        problems.Add($"{cf.Handle.Name}: run {name} holds sequence {largest}, newer than sequence {bound} in a run above it ({newerName})");
                    }

                    // A bottommost compaction zeroes the sequences every snapshot sees, so a run holding 0 says nothing
                    // about its age: only non-zero smallest sequences bound the runs below.
                    if (smallest > 0 && (newerSmallest is not ulong b || smallest < b))
                    {
                        newerSmallest = smallest;
                        newerName = name;
                    }
                }
            }
        }

        return problems;
    }

    private static IEnumerable<(string Name, ulong Smallest, ulong Largest)> SortedRuns(Version version)
    {
        foreach (FileMetadata file in version.Files(0))
        {
            yield return ($"L0 #{file.FileNumber}", file.SmallestSequence, file.LargestSequence);
        }

        for (int level = 1; level < version.NumLevels; level++)
        {
            IReadOnlyList<FileMetadata> files = version.Files(level);
            if (files.Count > 0)
            {
                yield return ($"L{level}", files.Min(f => f.SmallestSequence), files.Max(f => f.LargestSequence));
            }
        }
    }

    private void CompactionLoop()
    {
        while (true)
        {
            ColumnFamilyData? cf = null;
            CompactionPlan? plan = null;
            ulong[] snapshots = [];
            lock (_mutex)
            {
                if (_disposed)
                {
                    return;
                }

                if (_backgroundError is null)
                {
                    foreach (ColumnFamilyData candidate in _columnFamilies.Values)
                    {
                        if (!candidate.Handle.IsDropped && !candidate.Options.DisableAutoCompactions
                            && candidate.Picker.PickCompaction(candidate.State.Current, candidate.RunningCompactions) is CompactionPlan picked)
                        {
                            cf = candidate;
                            plan = picked;
                            cf.RunningCompactions.Add(plan);
                            _runningCompactions++;
                            snapshots = SnapshotSequencesLocked();
                            break;
                        }
                    }
                }
            }

            if (cf is null || plan is null)
            {
                _compactionWork.Wait();
                continue;
            }

            RunCompaction(cf, plan, snapshots, manual: false);
        }
    }

    /// <summary>
    /// Runs a registered plan outside the mutex and installs its result; on failure sets the background error
    /// (unless the database is shutting down). Returns whether it was installed.
    /// </summary>
    private bool RunCompaction(ColumnFamilyData cf, CompactionPlan plan, ulong[] snapshots, bool manual)
    {
        var outputs = new List<ulong>();
        long started = Stopwatch.GetTimestamp();
        try
        {
            VersionEdit edit;
            CompactionStats? stats = null;
            if (plan.IsTrivialMove && !(manual && cf.Options.CompactionFilter is not null))
            {
                edit = new VersionEdit();
                foreach (CompactionInputLevel input in plan.Inputs)
                {
                    foreach (FileMetadata file in input.Files)
                    {
                        edit.DeleteFile(input.Level, file.FileNumber);
                        edit.AddFile(plan.OutputLevel, file);
                    }
                }
            }
            else
            {
                var job = new CompactionJob(new CompactionJobOptions
                {
                    Inputs = plan.Inputs,
                    OutputLevel = plan.OutputLevel,
                    Bottommost = plan.IsBottommost,
                    TargetFileSize = (long)Math.Min(plan.TargetFileSize, long.MaxValue),
                    TableOptions = cf.Options.Table,
                    OpenTable = file => _tables.Get(file, cf.Options.Table),
                    NewFileNumber = () =>
                    {
                        lock (_mutex)
                        {
                            ulong number = _versions.NewFileNumber();
                            _pendingOutputs.Add(number);
                            outputs.Add(number);
                            return number;
                        }
                    },
                    FileSystem = _fs,
                    DbPath = Path,
                    DbId = _versions.DbId,
                    SessionId = _sessionId,
                    ColumnFamilyId = cf.Id,
                    ColumnFamilyName = cf.Handle.Name,
                    MergeOperator = cf.Options.MergeOperator,
                    CompactionFilter = cf.Options.CompactionFilter,
                    Snapshots = snapshots,
                });
                CompactionResult result = job.Run(_shutdown.Token);
                edit = result.Edit;
                stats = result.Stats;
                foreach ((int level, FileMetadata file) in edit.NewFiles)
                {
                    _tables.Preload(file, cf.Options.Table, level);
                }
            }

            if (plan.NextCompactCursor is byte[] cursor)
            {
                edit.CompactCursors.Add((plan.StartLevel, cursor));
            }

            lock (_mutex)
            {
                if (!cf.Handle.IsDropped)
                {
                    _versions.LogAndApply(cf.Id, edit);
                    RecordCompactionStats(cf, plan, stats, Stopwatch.GetElapsedTime(started));
                }

                EndCompactionLocked(cf, plan, outputs);
            }

            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            lock (_mutex)
            {
                // Not an error: shutting down cancels compactions, and dropping the family deletes their inputs.
                if (!(e is OperationCanceledException && _shutdown.IsCancellationRequested) && !cf.Handle.IsDropped)
                {
                    SetBackgroundErrorLocked(e);
                }

                EndCompactionLocked(cf, plan, outputs);
            }

            return false;
        }
    }

    /// <summary>Unregisters a finished (installed or failed) compaction and lets whatever waited on it go on.</summary>
    private void EndCompactionLocked(ColumnFamilyData cf, CompactionPlan plan, List<ulong> outputs)
    {
        cf.RunningCompactions.Remove(plan);
        _runningCompactions--;
        foreach (ulong number in outputs)
        {
            _pendingOutputs.Remove(number);
        }

        DeleteObsoleteFilesLocked();
        RecalculateWriteStallLocked(cf);
        MaybeScheduleCompactionLocked();
        Monitor.PulseAll(_mutex);
    }

    private static void RecordCompactionStats(ColumnFamilyData cf, CompactionPlan plan, CompactionStats? stats, TimeSpan elapsed)
    {
        LevelCompactionStats level = cf.CompactionStats[Math.Min(plan.OutputLevel, cf.CompactionStats.Length - 1)];
        if (stats is null)
        {
            level.TrivialMoves++;
            foreach (CompactionInputLevel input in plan.Inputs)
            {
                level.BytesMoved += (long)input.TotalSize;
            }

            return;
        }

        level.Compactions++;
        foreach (CompactionInputLevel input in plan.Inputs)
        {
            long bytes = (long)input.TotalSize;
            if (input.Level == plan.OutputLevel)
            {
                level.BytesReadFromLevel += bytes;
            }
            else
            {
                level.BytesReadFromAbove += bytes;
            }
        }

        level.BytesWritten += stats.BytesWritten;
        level.RecordsIn += stats.RecordsRead;
        level.RecordsDropped += stats.RecordsRead - stats.RecordsWritten;
        level.Time += elapsed;
    }

    /// <summary>Wakes a compaction thread when some family has a compaction due.</summary>
    private void MaybeScheduleCompactionLocked()
    {
        if (_disposed || _backgroundError is not null || _compactionThreads.Count == 0)
        {
            return;
        }

        foreach (ColumnFamilyData cf in _columnFamilies.Values)
        {
            if (!cf.Handle.IsDropped && !cf.Options.DisableAutoCompactions && cf.Picker.NeedsCompaction(cf.State.Current, cf.RunningCompactions))
            {
                _compactionWork.Release();
                return;
            }
        }
    }

    /// <summary>Tells the write controller the family's stall condition after its shape changed.</summary>
    private void RecalculateWriteStallLocked(ColumnFamilyData cf)
    {
        if (_writeController is null)
        {
            return; // read-only, or still opening
        }

        if (cf.Handle.IsDropped)
        {
            _writeController.Remove(cf.Id);
            return;
        }

        Version version = cf.State.Current;
        int l0 = version.Files(0).Count;
        ulong pending = cf.Picker.EstimatePendingCompactionBytes(version);
        (WriteStallCondition condition, WriteStallCause cause) = WriteStall.Evaluate(cf.Imm.Count, l0, pending, cf.Limits);
        bool nearStop = WriteStall.NearStop(cause, l0, pending, cf.Limits);
        _writeController.Update(cf.Id, condition, cause, pending, nearStop, cf.Options.DisableAutoCompactions);
    }

    /// <summary>
    /// Before a write group: waits while writes are stopped, and paces the group to the delayed write rate while
    /// they are slowed down. Time spent is counted as stall time.
    /// </summary>
    private void DelayWriteLocked()
    {
        if (_writeController is null || (!_writeController.IsStopped && !_writeController.NeedsDelay))
        {
            return;
        }

        long started = Stopwatch.GetTimestamp();
        try
        {
            while (_writeController.IsStopped)
            {
                ThrowIfDisposed();
                ThrowIfBackgroundError();
                Monitor.Wait(_mutex);
            }

            long micros = _writeController.GetDelayMicros(Math.Max(1, _lastGroupBytes));
            if (micros > 0)
            {
                long deadline = started + (micros * Stopwatch.Frequency / 1_000_000);
                while (Stopwatch.GetTimestamp() < deadline && _writeController.NeedsDelay)
                {
                    ThrowIfDisposed();
                    int waitMs = (int)Math.Max(1, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                    Monitor.Wait(_mutex, waitMs);
                }
            }
        }
        finally
        {
            _writeController.StalledMicros += (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
    }
}
