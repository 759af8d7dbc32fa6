using Lsm.Engine.Encoding;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Versions;

/// <summary>Logging edits to the MANIFEST and installing the versions they make.</summary>
internal sealed partial class VersionSet
{
    /// <summary>
    /// Applies <paramref name="edit"/> to column family <paramref name="columnFamilyId"/>: fills in the
    /// counters, builds the new version, appends the edit to the MANIFEST (starting a new MANIFEST first when
    /// needed), syncs it, and only then installs the new version.
    /// </summary>
    /// <remarks>
    /// Fields filled in, as RocksDB's <c>LogAndApply</c>: <see cref="VersionEdit.ColumnFamily"/>,
    /// <see cref="VersionEdit.PrevLogNumber"/> (when absent), <see cref="VersionEdit.NextFileNumber"/>, and
    /// <see cref="VersionEdit.LastSequence"/> (raised to the largest recorded so far when absent or smaller).
    /// Call under the database mutex. REQUIRES: every file the edit adds is synced.
    /// </remarks>
    /// <exception cref="ArgumentException">The column family does not exist, or the edit creates or drops one (use <see cref="CreateColumnFamily"/>, <see cref="DropColumnFamily"/>).</exception>
    /// <exception cref="InvalidOperationException">The edit does not fit the current files (see <see cref="VersionBuilder"/>); nothing was written.</exception>
    /// <exception cref="IOException">The MANIFEST write failed; nothing was installed, and the next call starts a new MANIFEST.</exception>
    public void LogAndApply(uint columnFamilyId, VersionEdit edit) => LogAndApply([(columnFamilyId, edit)], atomicGroup: false);

    /// <summary>
    /// Applies several edits in one MANIFEST write (one record each, one sync). With
    /// <paramref name="atomicGroup"/>, the edits form an atomic group: recovery applies all of them or, if the
    /// MANIFEST ends inside the group, none (RocksDB's atomic flush).
    /// </summary>
    /// <param name="edits">The edits, with the column family each applies to; several may name the same one.</param>
    /// <param name="atomicGroup">Whether to mark the edits as one atomic group.</param>
    /// <exception cref="ArgumentException">An edit names an unknown column family or creates or drops one.</exception>
    /// <exception cref="InvalidOperationException">An edit does not fit the current files; nothing was written.</exception>
    /// <exception cref="IOException">The MANIFEST write failed; nothing was installed.</exception>
    public void LogAndApply(IReadOnlyList<(uint ColumnFamilyId, VersionEdit Edit)> edits, bool atomicGroup) =>
        LogAndApply(edits, atomicGroup, forceNewManifest: false);

    private void LogAndApply(IReadOnlyList<(uint ColumnFamilyId, VersionEdit Edit)> edits, bool atomicGroup, bool forceNewManifest)
    {
        ArgumentNullException.ThrowIfNull(edits);
        if (edits.Count == 0)
        {
            return;
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var builders = new Dictionary<uint, VersionBuilder>();
            ulong maxLastSequence = _descriptorLastSequence;
            for (int i = 0; i < edits.Count; i++)
            {
                (uint cfId, VersionEdit edit) = edits[i];
                ArgumentNullException.ThrowIfNull(edit);
                if (edit.IsColumnFamilyManipulation)
                {
                    throw new ArgumentException("Column families are created and dropped with CreateColumnFamily and DropColumnFamily.", nameof(edits));
                }

                ColumnFamilyState cf = GetColumnFamily(cfId);
                edit.ColumnFamily = cfId;
                if (edit.LogNumber is ulong log && (log < cf.LogNumber || log >= NextFileNumber))
                {
                    throw new ArgumentException(
                        $"Log number {log} for column family {cfId} must be at least its current {cf.LogNumber} and below the next file number {NextFileNumber}.",
                        nameof(edits));
                }

                edit.RemainingInAtomicGroup = atomicGroup && edits.Count > 1 ? (uint)(edits.Count - 1 - i) : null;
                edit.PrevLogNumber ??= _prevLogNumber;
                edit.NextFileNumber = NextFileNumber;
                if (edit.LastSequence is ulong last && last > maxLastSequence)
                {
                    maxLastSequence = last;
                }
                else
                {
                    edit.LastSequence = maxLastSequence;
                }

                if (!builders.TryGetValue(cfId, out VersionBuilder? builder))
                {
                    builder = new VersionBuilder(cf.Current);
                    builders.Add(cfId, builder);
                }

                builder.Apply(edit);
            }

            var versions = new Dictionary<uint, Version>();
            foreach ((uint cfId, VersionBuilder builder) in builders)
            {
                versions.Add(cfId, builder.Build(OnVersionDead));
            }

            WriteToManifest(edits, forceNewManifest);

            // Durable: install.
            foreach ((uint cfId, VersionEdit edit) in edits)
            {
                ColumnFamilyState cf = GetColumnFamily(cfId);
                if (edit.LogNumber is ulong log && log > cf.LogNumber)
                {
                    cf.LogNumber = log;
                }

                if (edit.FullHistoryTsLow is not null)
                {
                    cf.FullHistoryTsLow = edit.FullHistoryTsLow;
                }

                if (edit.MinLogNumberToKeep is ulong minLog && minLog > _minLogNumberToKeep)
                {
                    _minLogNumberToKeep = minLog;
                }

                ApplyWalEdits(edit);
            }

            foreach ((uint cfId, Version version) in versions)
            {
                Install(GetColumnFamily(cfId), version);
            }

            _descriptorLastSequence = maxLastSequence;
            SetLastSequence(maxLastSequence);
            _prevLogNumber = edits[0].Edit.PrevLogNumber ?? _prevLogNumber;
        }
    }

    /// <summary>
    /// Creates a column family: logs an edit naming it (id <see cref="MaxColumnFamily"/> + 1, its comparator,
    /// <paramref name="logNumber"/>) and installs it with no files.
    /// </summary>
    /// <param name="name">The new column family's name.</param>
    /// <param name="logNumber">The current write-ahead log's number: the new column family needs no older log.</param>
    /// <param name="comparator">Its comparator; null uses the options' comparator for that name.</param>
    /// <returns>The new column family.</returns>
    /// <exception cref="ArgumentException">A live column family already has that name.</exception>
    /// <exception cref="IOException">The MANIFEST write failed; nothing was created.</exception>
    public ColumnFamilyState CreateColumnFamily(string name, ulong logNumber, KeyComparator? comparator = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (FindColumnFamily(name) is not null)
            {
                throw new ArgumentException($"A column family named '{name}' already exists.", nameof(name));
            }

            comparator ??= _options.ComparatorFor(name);
            uint id = _maxColumnFamily + 1;
            var edit = new VersionEdit
            {
                Comparator = comparator.Name,
                PersistUserDefinedTimestamps = true,
                LogNumber = logNumber,
                ColumnFamily = id,
                ColumnFamilyAdd = name,
                NextFileNumber = NextFileNumber,
                LastSequence = _descriptorLastSequence,
            };
            WriteToManifest([(id, edit)], forceNewManifest: false);
            _maxColumnFamily = id;
            ColumnFamilyState cf = AddColumnFamilyState(id, name, comparator, null);
            cf.LogNumber = logNumber;
            return cf;
        }
    }

    /// <summary>
    /// Drops column family <paramref name="columnFamilyId"/>: logs the drop (with <see cref="MaxColumnFamily"/>,
    /// so its id is never reused) and removes it. Its files become obsolete once no reader's version holds them.
    /// </summary>
    /// <exception cref="ArgumentException">The id is 0 (the default column family cannot be dropped) or unknown.</exception>
    /// <exception cref="IOException">The MANIFEST write failed; nothing was dropped.</exception>
    public void DropColumnFamily(uint columnFamilyId)
    {
        if (columnFamilyId == 0)
        {
            throw new ArgumentException("The default column family cannot be dropped.", nameof(columnFamilyId));
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ColumnFamilyState cf = GetColumnFamily(columnFamilyId);
            var edit = new VersionEdit
            {
                ColumnFamily = columnFamilyId,
                IsColumnFamilyDrop = true,
                NextFileNumber = NextFileNumber,
                LastSequence = _descriptorLastSequence,
                MaxColumnFamily = _maxColumnFamily,
            };
            WriteToManifest([(columnFamilyId, edit)], forceNewManifest: false);
            lock (_versionsLock)
            {
                _columnFamilies.Remove(columnFamilyId);
                cf.IsDropped = true;
                cf.Current.Unref();
            }
        }
    }

    /// <summary>
    /// Starts a new MANIFEST now: a snapshot of the state, then an empty edit for the default column family
    /// (which carries the counters, as RocksDB always writes one after a snapshot), then CURRENT switched to it.
    /// </summary>
    /// <exception cref="IOException">A write failed; CURRENT still names the old MANIFEST.</exception>
    public void RollOverManifest() => LogAndApply([(0u, new VersionEdit())], atomicGroup: false, forceNewManifest: true);

    /// <summary>The size at which the MANIFEST is rewritten (RocksDB's auto-tuned limit).</summary>
    public long ManifestSizeLimit =>
        Math.Max(_options.MaxManifestFileSize, (long)Math.Min(long.MaxValue, _lastCompactedManifestFileSize * (ulong)(100 + _options.MaxManifestSpaceAmpPercent) / 100));

    /// <summary>
    /// Appends the edits' records to the MANIFEST and syncs it; first starts a new MANIFEST (snapshot, then
    /// the edits, then CURRENT) when there is none open, when it is too large, or when forced.
    /// On failure the writer is forgotten (and a new MANIFEST deleted) so the next call starts afresh.
    /// </summary>
    private void WriteToManifest(IReadOnlyList<(uint ColumnFamilyId, VersionEdit Edit)> edits, bool forceNewManifest)
    {
        bool newManifest = forceNewManifest || _manifest is null || _manifestFileSize >= ManifestSizeLimit;
        LogWriter? writer = _manifest;
        ulong newNumber = 0;
        string? newPath = null;
        ulong compactedSize = _lastCompactedManifestFileSize;
        bool synced = false;
        try
        {
            if (newManifest)
            {
                newNumber = NewFileNumber();
                if (edits.Count > 0)
                {
                    edits[^1].Edit.NextFileNumber = NextFileNumber;
                    if (_maxColumnFamily > 0)
                    {
                        edits[0].Edit.MaxColumnFamily = _maxColumnFamily;
                    }
                }

                newPath = PathOf(DbFileName.Manifest(newNumber));
                writer = new LogWriter(_fs.Create(newPath));
                compactedSize = WriteSnapshot(writer);
            }

            foreach ((uint _, VersionEdit edit) in edits)
            {
                writer!.AddRecord(edit.Encode());
            }

            writer!.Sync();
            synced = true;
            if (newManifest)
            {
                CurrentFile.Write(_fs, DbPath, newNumber);
            }
        }
        catch
        {
            if (newManifest)
            {
                writer?.Dispose();
                if (newPath is not null && !synced)
                {
                    // Only a MANIFEST that CURRENT cannot name yet is deleted: if switching CURRENT failed
                    // half-way, it may already name this one.
                    TryDelete(newPath);
                }
            }

            _manifest?.Dispose();
            _manifest = null;
            throw;
        }

        if (newManifest)
        {
            _manifest?.Dispose();
            _manifest = writer;
            _manifestFileNumber = newNumber;
            _lastCompactedManifestFileSize = compactedSize;
        }

        _manifestFileSize = writer!.Length;
    }

    /// <summary>
    /// Writes the current state as RocksDB's <c>WriteCurrentStateToManifest</c> does: the db id; the tracked
    /// WALs; the WAL deletion bound (an empty record when it is 0, as RocksDB writes it); per column family a
    /// record naming it and its comparator and one with its files, compaction cursors, log number and the
    /// last sequence; and the MANIFEST's size so far. Returns that size.
    /// </summary>
    private ulong WriteSnapshot(LogWriter writer)
    {
        writer.AddRecord(new VersionEdit { DbId = DbId }.Encode());
        if (_wals.Count > 0)
        {
            var wals = new VersionEdit();
            foreach ((ulong number, ulong? synced) in _wals)
            {
                wals.WalAdditions.Add(new WalAddition(number, synced));
            }

            writer.AddRecord(wals.Encode());
        }

        writer.AddRecord(new VersionEdit { WalDeletionBefore = _minLogNumberToKeep }.Encode());
        foreach (ColumnFamilyState cf in ColumnFamilies)
        {
            var header = new VersionEdit { Comparator = cf.Comparator.Name, PersistUserDefinedTimestamps = true };
            if (cf.Id != 0)
            {
                header.ColumnFamilyAdd = cf.Name;
                header.ColumnFamily = cf.Id;
            }

            writer.AddRecord(header.Encode());

            var files = new VersionEdit { ColumnFamily = cf.Id };
            Version current = cf.Current;
            foreach ((int level, FileMetadata file) in current.AllFiles())
            {
                files.AddFile(level, file);
            }

            for (int level = 0; level < current.NumLevels; level++)
            {
                if (current.CompactCursor(level) is byte[] cursor)
                {
                    files.CompactCursors.Add((level, cursor));
                }
            }

            files.LogNumber = cf.LogNumber;
            if (cf.Id == 0 && _minLogNumberToKeep != 0)
            {
                files.MinLogNumberToKeep = _minLogNumberToKeep;
            }

            files.FullHistoryTsLow = cf.FullHistoryTsLow;
            files.LastSequence = _descriptorLastSequence;
            writer.AddRecord(files.Encode());
        }

        // RocksDB's estimate of this record's own size.
        const ulong estimatedRecordOverhead = 15;
        ulong size = (ulong)writer.Length + estimatedRecordOverhead;
        writer.AddRecord(new VersionEdit { LastCompactedManifestFileSize = size }.Encode());
        return size;
    }

    private void ApplyWalEdits(VersionEdit edit)
    {
        foreach (WalAddition wal in edit.WalAdditions)
        {
            if (!_wals.TryGetValue(wal.LogNumber, out ulong? synced) || (wal.SyncedSize ?? 0) > (synced ?? 0))
            {
                _wals[wal.LogNumber] = wal.SyncedSize ?? synced;
            }
        }

        if (edit.WalDeletionBefore is ulong before)
        {
            foreach (ulong number in _wals.Keys.Where(n => n < before).ToArray())
            {
                _wals.Remove(number);
            }
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            _fs.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: recovery ignores a MANIFEST that CURRENT does not name.
        }
    }
}
