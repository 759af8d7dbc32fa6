using Lsm.Engine.Db;
using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;
using Lsm.Engine.Iterators;
using Lsm.Engine.Memtable;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine;

/// <summary>Point reads, iterators and snapshots.</summary>
public sealed partial class LsmDb
{
    private readonly SortedList<ulong, int> _snapshots = [];

    /// <summary>Returns the value of <paramref name="key"/> in the default column family, or null when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>A new array with the value, or null.</returns>
    public byte[]? Get(ReadOnlySpan<byte> key) => Get(null, key);

    /// <summary>Returns the value of <paramref name="key"/> in a column family, or null when absent.</summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="key">The key.</param>
    /// <param name="options">Read options (snapshot); default when null.</param>
    /// <returns>A new array with the value, or null.</returns>
    public byte[]? Get(ColumnFamilyHandle? columnFamily, ReadOnlySpan<byte> key, ReadOptions? options = null)
    {
        byte[]? result = null;
        Lookup(columnFamily, key, options, ref result, default, out _, copyToSpan: false);
        return result;
    }

    /// <summary>
    /// Looks up <paramref name="key"/> and copies its value into <paramref name="destination"/> without allocating
    /// when the value comes straight from a memtable or table.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="destination">Where to copy the value.</param>
    /// <param name="valueLength">The value's length. When it exceeds <c>destination.Length</c>, nothing was copied: retry with a larger buffer.</param>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="options">Read options (snapshot); default when null.</param>
    /// <returns>True when the key has a value.</returns>
    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength, ColumnFamilyHandle? columnFamily = null, ReadOptions? options = null)
    {
        byte[]? unused = null;
        return Lookup(columnFamily, key, options, ref unused, destination, out valueLength, copyToSpan: true);
    }

    /// <summary>
    /// Creates an iterator over a consistent view of a column family (as of the snapshot in
    /// <paramref name="options"/>, or now), within its bounds. Dispose it when done.
    /// </summary>
    /// <param name="columnFamily">The family; the default one when null.</param>
    /// <param name="options">Snapshot and bounds; default when null.</param>
    /// <returns>The iterator, positioned nowhere.</returns>
    public LsmIterator NewIterator(ColumnFamilyHandle? columnFamily = null, ReadOptions? options = null)
    {
        options ??= ReadOptions.Default;
        SuperVersion view = AcquireIteratorView(columnFamily, options, out ulong snapshot);

        try
        {
            var children = new List<IInternalIterator> { view.Mem.NewIterator() };
            foreach (MemTable imm in view.Imm)
            {
                children.Add(imm.NewIterator());
            }

            KeyComparator comparator = view.ColumnFamily.Options.Table.Comparator;
            foreach (FileMetadata file in view.Version.Files(0))
            {
                children.Add(_tables.Get(file, view.ColumnFamily.Options.Table, level: 0).NewIterator(options.FillCache));
            }

            for (int level = 1; level < view.Version.NumLevels; level++)
            {
                IReadOnlyList<FileMetadata> files = view.Version.Files(level);
                if (files.Count > 0)
                {
                    children.Add(new LevelIterator(files, view.Version.Comparator, f => _tables.Get(f, view.ColumnFamily.Options.Table), options.FillCache));
                }
            }

            var merged = new MergingIterator(view.Version.Comparator, [.. children]);
            var user = new UserIterator(
                merged, comparator, view.ColumnFamily.Options.MergeOperator, snapshot, options.LowerBound, options.UpperBound, RangeTombstonesOf(view));
            return new LsmIterator(user, view);
        }
        catch
        {
            view.Unref();
            throw;
        }
    }

    /// <summary>Every range tombstone of the view's memtables and tables, fragmented; null when there are none.</summary>
    private FragmentedRangeTombstones? RangeTombstonesOf(SuperVersion view)
    {
        List<RangeTombstone>? tombstones = null;
        AddRangeTombstones(view.Mem, ref tombstones);
        foreach (MemTable imm in view.Imm)
        {
            AddRangeTombstones(imm, ref tombstones);
        }

        KeyComparator comparator = view.ColumnFamily.Options.Table.Comparator;
        for (int level = 0; level < view.Version.NumLevels; level++)
        {
            foreach (FileMetadata file in view.Version.Files(level))
            {
                IReadOnlyList<RangeTombstone> inTable = _tables.Get(file, view.ColumnFamily.Options.Table).RangeTombstones;
                if (inTable.Count > 0)
                {
                    (tombstones ??= []).AddRange(inTable);
                }
            }
        }

        return tombstones is null ? null : FragmentedRangeTombstones.Build(comparator, tombstones);
    }

    private static void AddRangeTombstones(MemTable mem, ref List<RangeTombstone>? tombstones)
    {
        if (mem.NewRangeTombstoneIterator() is not MemTableIterator iterator)
        {
            return;
        }

        tombstones ??= [];
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            tombstones.Add(new RangeTombstone(
                InternalKey.UserKey(iterator.Key).ToArray(), iterator.Value.ToArray(), InternalKey.Sequence(iterator.Key)));
        }
    }

    /// <summary>Pins the current state: reads given the snapshot see exactly the writes acknowledged before now.</summary>
    /// <returns>The snapshot; dispose it when done.</returns>
    public Snapshot GetSnapshot()
    {
        lock (_mutex)
        {
            ThrowIfDisposed();
            ulong sequence = _versions.LastSequence;
            _snapshots[sequence] = _snapshots.GetValueOrDefault(sequence) + 1;
            return new Snapshot(sequence, this, ReleaseSnapshot);
        }
    }

    private void ReleaseSnapshot(Snapshot snapshot)
    {
        lock (_mutex)
        {
            if (_snapshots.TryGetValue(snapshot.Sequence, out int count))
            {
                if (count <= 1)
                {
                    _snapshots.Remove(snapshot.Sequence);
                }
                else
                {
                    _snapshots[snapshot.Sequence] = count - 1;
                }
            }
        }
    }

    /// <summary>
    /// Pins what an iterator of the family sees (its super version, taken as a point lookup takes it, without the
    /// database mutex), and the sequence it reads at.
    /// </summary>
    /// <remarks>The view is noted: the memtables it pins count in <c>rocksdb.size-all-mem-tables</c> until released.</remarks>
    private SuperVersion AcquireIteratorView(ColumnFamilyHandle? columnFamily, ReadOptions options, out ulong snapshot)
    {
        SuperVersion sv = AcquireSuperVersion(columnFamily);
        try
        {
            snapshot = SnapshotSequence(options); // after the super version, as in Lookup
        }
        catch
        {
            sv.Unref();
            throw;
        }

        NoteIteratorMemTables(sv);
        return sv;
    }

    private ulong SnapshotSequence(ReadOptions options)
    {
        if (options.Snapshot is not Snapshot snapshot)
        {
            return _versions.LastSequence;
        }

        if (!ReferenceEquals(snapshot.Owner, this))
        {
            throw new ArgumentException("The snapshot belongs to another database.", nameof(options));
        }

        ObjectDisposedException.ThrowIf(snapshot.IsReleased, snapshot);
        return snapshot.Sequence;
    }

    private ColumnFamilyData Resolve(ColumnFamilyHandle? handle)
    {
        if (handle is null)
        {
            return _columnFamilies[0];
        }

        if (!ReferenceEquals(handle.Owner, this))
        {
            throw new ArgumentException($"Column family handle '{handle.Name}' belongs to another database.", nameof(handle));
        }

        if (handle.IsDropped || !_columnFamilies.TryGetValue(handle.Id, out ColumnFamilyData? cf))
        {
            throw new InvalidOperationException($"Column family '{handle.Name}' has been dropped.");
        }

        return cf;
    }

    /// <summary>
    /// Finds the key's value: memtable, immutable memtables newest first, level-0 tables newest first, then
    /// one table per deeper level; merge operands are collected on the way down to a value or a deletion.
    /// A range tombstone met on the way hides every older entry of the key, in its source and below.
    /// </summary>
    private bool Lookup(
        ColumnFamilyHandle? columnFamily,
        ReadOnlySpan<byte> key,
        ReadOptions? options,
        ref byte[]? result,
        Span<byte> destination,
        out int valueLength,
        bool copyToSpan)
    {
        options ??= ReadOptions.Default;
        SuperVersion sv = AcquireSuperVersion(columnFamily);
        try
        {
            // The sequence is read after the super version is referenced: a write it covers is in the super version's
            // memtables or tables, or finished after the lookup began (and the lookup may or may not see it).
            ulong snapshot = SnapshotSequence(options);

            // The filter lines are requested first, so that their memory misses overlap the memtable search too.
            ulong keyHash = Xxph3.GetSliceHash64(key);
            Span<int> firstFiles = sv.Version.NumLevels <= 32 ? stackalloc int[sv.Version.NumLevels] : new int[sv.Version.NumLevels];
            PrefetchFilters(sv.ColumnFamily, sv.Version, key, keyHash, firstFiles);

            var state = new LookupState(key, sv.ColumnFamily.Options.MergeOperator, destination, copyToSpan);
            SearchMemTable(sv.Mem, snapshot, ref state);

            for (int i = 0; i < sv.Imm.Length && !state.Done; i++)
            {
                SearchMemTable(sv.Imm[i], snapshot, ref state);
            }

            var tally = new LookupTally { MemtableHit = state.Done };
            if (!state.Done)
            {
                SearchTables(sv.ColumnFamily, sv.Version, key, keyHash, firstFiles, snapshot, ref state, ref tally);
            }

            bool found = state.Finish(ref result, out valueLength);
            tally.BytesRead = found ? valueLength : 0;
            tally.AddTo(_tickers);
            return found;
        }
        finally
        {
            sv.Unref();
        }
    }

    /// <summary>
    /// A reference to the family's super version: without the database mutex when the family has one current (the
    /// common case), else built under the mutex. Checks, as every read does, that the database is open and the
    /// family not dropped.
    /// </summary>
    private SuperVersion AcquireSuperVersion(ColumnFamilyHandle? columnFamily)
    {
        ThrowIfDisposed();
        ColumnFamilyData? cf = columnFamily is null ? DefaultColumnFamily.Data : columnFamily.Data;
        if (cf is not null && ReferenceEquals(cf.Handle.Owner, this) && !cf.Handle.IsDropped
            && cf.TryAcquireSuperVersion() is SuperVersion current)
        {
            return current;
        }

        lock (_mutex)
        {
            ThrowIfDisposed();
            return Resolve(columnFamily).AcquireSuperVersionLocked();
        }
    }

    /// <summary>
    /// Finds each sorted level's first candidate file for <paramref name="key"/> (into <paramref name="firstFiles"/>, by
    /// level) and asks the processor for the filter line every candidate table's probe will read, so that the probes'
    /// memory misses overlap instead of queueing (the tables' filters are megabytes, not in the processor's caches).
    /// </summary>
    private void PrefetchFilters(ColumnFamilyData cf, Version version, ReadOnlySpan<byte> key, ulong keyHash, Span<int> firstFiles)
    {
        TableOptions options = cf.Options.Table;
        KeyComparator comparator = options.Comparator;
        for (int level = 0; level < version.NumLevels; level++)
        {
            IReadOnlyList<FileMetadata> files = version.Files(level);
            if (level == 0)
            {
                for (int i = 0; i < files.Count; i++)
                {
                    if (InRange(comparator, files[i], key))
                    {
                        _tables.Get(files[i], options, level: 0).PrefetchFilter(keyHash);
                    }
                }
            }
            else
            {
                int i = FindFile(comparator, files, key);
                firstFiles[level] = i;
                if (i < files.Count && comparator.Compare(files[i].SmallestUserKey, key) <= 0)
                {
                    _tables.Get(files[i], options).PrefetchFilter(keyHash);
                }
            }
        }
    }

    /// <summary>
    /// The table part of <see cref="Lookup"/>: level-0 tables newest first, then one table per deeper level, starting
    /// at the files <see cref="PrefetchFilters"/> found; every filter probe reuses the key's hash.
    /// </summary>
    private void SearchTables(
        ColumnFamilyData cf, Version version, ReadOnlySpan<byte> key, ulong keyHash, scoped ReadOnlySpan<int> firstFiles, ulong snapshot, ref LookupState state, ref LookupTally tally)
    {
        TableOptions options = cf.Options.Table;
        KeyComparator comparator = options.Comparator;

        for (int level = 0; level < version.NumLevels && !state.Done; level++)
        {
            IReadOnlyList<FileMetadata> files = version.Files(level);
            if (level == 0)
            {
                for (int i = 0; i < files.Count && !state.Done; i++)
                {
                    FileMetadata file = files[i];
                    if (InRange(comparator, file, key))
                    {
                        SearchTable(_tables.Get(file, options, level: 0), snapshot, keyHash, ref state, ref tally);
                    }
                }
            }
            else
            {
                // Files of a sorted level are disjoint in internal-key order, but one user key's versions may
                // continue into the next file (RocksDB allows it; an L0 trivial move can make it): go on while
                // the key is a file's largest user key.
                for (int i = firstFiles[level]; i < files.Count && !state.Done; i++)
                {
                    FileMetadata file = files[i];
                    if (comparator.Compare(file.SmallestUserKey, key) > 0)
                    {
                        break;
                    }

                    SearchTable(_tables.Get(file, options), snapshot, keyHash, ref state, ref tally);
                    if (comparator.Compare(key, file.LargestUserKey) < 0)
                    {
                        break;
                    }
                }
            }
        }
    }

    private static bool InRange(KeyComparator comparator, FileMetadata file, ReadOnlySpan<byte> key) =>
        comparator.Compare(key, file.SmallestUserKey) >= 0 && comparator.Compare(key, file.LargestUserKey) <= 0;

    /// <summary>The index of the first file of a sorted level whose largest user key is at or after <paramref name="key"/>.</summary>
    private static int FindFile(KeyComparator comparator, IReadOnlyList<FileMetadata> files, ReadOnlySpan<byte> key)
    {
        int lo = 0;
        int hi = files.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (comparator.Compare(files[mid].LargestUserKey, key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static void SearchMemTable(MemTable mem, ulong snapshot, ref LookupState state)
    {
        state.CoverWith(mem.MaxCoveringTombstoneSequence(state.Key, snapshot));
        if (!mem.TryGetEntry(state.Key, snapshot, out ValueKind kind, out ReadOnlySpan<byte> value, out ulong sequence))
        {
            return;
        }

        if (!state.Add(kind, value, sequence))
        {
            return;
        }

        // A merge operand: older versions in this memtable may hold more operands or the base value.
        var iterator = mem.NewIterator();
        Span<byte> seek = state.Key.Length <= 240 ? stackalloc byte[state.Key.Length + InternalKey.TrailerSize] : new byte[state.Key.Length + InternalKey.TrailerSize];
        InternalKey.Write(seek, state.Key, snapshot, InternalKey.KindForSeek);
        iterator.Seek(seek);
        iterator.Next(); // past the operand already taken
        while (iterator.Valid && InternalKey.UserKey(iterator.Key).SequenceEqual(state.Key)
            && state.Add(InternalKey.Kind(iterator.Key), iterator.Value, InternalKey.Sequence(iterator.Key)))
        {
            iterator.Next();
        }
    }

    /// <summary>
    /// Looks the key up in one table, and counts in <paramref name="tally"/> what its filter did. The table's range
    /// tombstones join the lookup's cover, which turns every older entry into a deletion.
    /// </summary>
    private static void SearchTable(TableReader table, ulong snapshot, ulong keyHash, ref LookupState state, ref LookupTally tally)
    {
        tally.TablesProbed++;
        if (table.RangeTombstones.Count > 0)
        {
            state.CoverWith(table.MaxCoveringTombstoneSequence(state.Key, snapshot));
        }

        bool filtered = table.Filter is not null;
        if (!table.KeyMayMatch(state.Key, keyHash))
        {
            tally.FilterUseful++;
            return; // the filter rules the key out: no block read
        }

        tally.TablesRead++;
        tally.FilterPositive += filtered ? 1 : 0;

        // The probe's spans are copied out by state.Add before the probe moves or goes back to the thread.
        TableIterator probe = TableIterator.RentProbe(table);
        bool hasKey = table.TryGetPoint(state.Key, snapshot, probe, out ValueKind kind, out ReadOnlySpan<byte> value);
        tally.FilterTruePositive += filtered && hasKey ? 1 : 0;
        if (hasKey && state.Add(kind, value, InternalKey.Sequence(probe.Key)))
        {
            probe.Next();
            while (probe.Valid && table.Comparator.UserComparator.Compare(InternalKey.UserKey(probe.Key), state.Key) == 0
                && state.Add(InternalKey.Kind(probe.Key), probe.Value, InternalKey.Sequence(probe.Key)))
            {
                probe.Next();
            }
        }

        TableIterator.ReturnProbe(probe);
    }

    /// <summary>
    /// What one point lookup did, counted on the stack and added to the tickers at the end, on one stripe, skipping
    /// zeros. Each lookup is a memtable hit or a miss, so <c>rocksdb.number.keys.read</c> is their sum, not a counter.
    /// </summary>
    private struct LookupTally
    {
        public bool MemtableHit;
        public int TablesProbed;
        public int TablesRead;
        public int FilterUseful;
        public int FilterPositive;
        public int FilterTruePositive;
        public long BytesRead;

        public readonly void AddTo(Tickers tickers)
        {
            Tickers.Stripe stripe = tickers.CurrentStripe();
            stripe.Add(Ticker.BytesRead, BytesRead);
            stripe.Add(MemtableHit ? Ticker.MemtableHit : Ticker.MemtableMiss, 1);
            stripe.Add(Ticker.GetTablesProbed, TablesProbed);
            stripe.Add(Ticker.GetTablesRead, TablesRead);
            stripe.Add(Ticker.BloomFilterUseful, FilterUseful);
            stripe.Add(Ticker.BloomFilterFullPositive, FilterPositive);
            stripe.Add(Ticker.BloomFilterFullTruePositive, FilterTruePositive);
        }
    }
}
