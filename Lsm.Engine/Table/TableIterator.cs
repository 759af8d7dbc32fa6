using Lsm.Engine.Cache;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// A two-level iterator over a table's internal keys: the index block chooses a data block, a block
/// iterator walks it.
/// </summary>
/// <remarks>
/// Not thread-safe; one per reader thread. The iterator holds the data block it stands on through a
/// <see cref="BlockLease"/>: a reference to the block in the block cache, or a buffer it owns and reuses when the
/// table reads without a cache; so <see cref="Key"/> and <see cref="Value"/> are valid only until the next move.
/// An index kept in the cache is held by a second lease from <see cref="Reset"/> on. Dispose releases both (an
/// iterator that is never disposed keeps its cached blocks referenced, so they cannot be evicted: always dispose).
/// Point lookups use a per-thread probe (<see cref="RentProbe"/>), so they allocate nothing once it has warmed up.
/// </remarks>
internal sealed class TableIterator : IInternalIterator, IDisposable
{
    [ThreadStatic]
    private static TableIterator? t_probe;

    private readonly BlockIterator _index = new();
    private readonly BlockIterator _data = new();
    private TableReader _table;
    private BlockLease _lease; // the data block _data reads
    private BlockLease _indexLease; // the index block _index reads, when the index lives in the cache
    private bool _dataLoaded; // false whenever _data does not stand on a complete block held by _lease
    private bool _indexReady; // false after Dispose: the next positioning acquires the index again
    private BlockHandle _loadedHandle;

    public TableIterator(TableReader table)
    {
        _table = table;
        Reset(table);
    }

    public bool Valid => _dataLoaded && _data.Valid;

    internal TableReader Table => _table;

    /// <summary>Whether blocks missing from the block cache are inserted as they are read. Default: true.</summary>
    public bool FillCache { get; init; } = true;

    public ReadOnlySpan<byte> Key => _data.Key;

    public ReadOnlySpan<byte> Value => _data.Value;

    public void SeekToFirst()
    {
        EnsureIndex();
        _index.SeekToFirst();
        LoadDataBlock();
        if (_dataLoaded)
        {
            _data.SeekToFirst();
        }

        SkipEmptyBlocksForward();
    }

    public void SeekToLast()
    {
        EnsureIndex();
        _index.SeekToLast();
        LoadDataBlock();
        if (_dataLoaded)
        {
            _data.SeekToLast();
        }

        SkipEmptyBlocksBackward();
    }

    /// <summary>Positions at the first entry at or after the internal key <paramref name="target"/>.</summary>
    public void Seek(ReadOnlySpan<byte> target)
    {
        EnsureIndex();
        if (_table.IndexOrder is UserKeyOrder)
        {
            _index.Seek(InternalKey.UserKey(target));
        }
        else
        {
            _index.Seek(target);
        }

        LoadDataBlock();
        if (_dataLoaded)
        {
            _data.Seek(target);
        }

        SkipEmptyBlocksForward();
    }

    /// <summary>Positions at the last entry at or before the internal key <paramref name="target"/>.</summary>
    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        Seek(target);
        if (!Valid)
        {
            SeekToLast();
        }

        while (Valid && _table.Comparator.Compare(Key, target) > 0)
        {
            Prev();
        }
    }

    public void Next()
    {
        if (!Valid)
        {
            return;
        }

        _data.Next();
        SkipEmptyBlocksForward();
    }

    public void Prev()
    {
        if (!Valid)
        {
            return;
        }

        _data.Prev();
        SkipEmptyBlocksBackward();
    }

    /// <summary>
    /// This thread's point-lookup iterator, pointed at <paramref name="table"/> and positioned nowhere; hand it
    /// back with <see cref="ReturnProbe"/> once no span it returned is in use.
    /// </summary>
    /// <remarks>
    /// Taken, not borrowed: a nested lookup on the same thread (a merge operator or comparator reading the
    /// database) finds none and creates its own, and one lost to an exception is simply collected.
    /// </remarks>
    public static TableIterator RentProbe(TableReader table)
    {
        TableIterator? probe = t_probe;
        if (probe is null)
        {
            return new TableIterator(table);
        }

        t_probe = null;
        probe.Reset(table);
        return probe;
    }

    /// <summary>
    /// Keeps <paramref name="probe"/> (and its block buffer) as this thread's point-lookup iterator, releasing the
    /// cached blocks it held so that an idle thread pins nothing.
    /// </summary>
    public static void ReturnProbe(TableIterator probe)
    {
        probe._dataLoaded = false;
        probe._data.Reset(default, probe._table.Comparator);
        probe._lease.Release();
        probe._indexReady = false;
        probe._index.Reset(default, probe._table.IndexOrder);
        probe._indexLease.Release();
        t_probe = probe;
    }

    /// <summary>Points the iterator at <paramref name="table"/>, positioned nowhere; the block buffer is kept for reuse.</summary>
    public void Reset(TableReader table)
    {
        _dataLoaded = false;
        _data.Reset(default, table.Comparator);
        _lease.Release();
        _index.Reset(default, table.IndexOrder);
        _indexLease.Release();
        _table = table;
        _indexReady = false; // acquired by the first positioning
    }

    private void EnsureIndex()
    {
        if (!_indexReady)
        {
            Block index = _table.AcquireIndex(ref _indexLease);
            _index.Reset(index, _table.IndexOrder, _table.IndexFormat, isIndex: true, _table.IndexHasFirstKey, words: _table.IndexWords);
            _indexReady = true;
        }
    }

    /// <summary>
    /// Releases the cached blocks (data and index) and returns the block buffer to the pool; the iterator becomes
    /// invalid (a later seek acquires and reads again).
    /// </summary>
    public void Dispose()
    {
        ReleaseDataBlock();
        _indexReady = false;
        _index.Reset(default, _table.IndexOrder);
        _indexLease.Dispose();
    }

    /// <summary>Releases the data block only (the iterator ran off the table): a later seek reads again.</summary>
    private void ReleaseDataBlock()
    {
        _dataLoaded = false;
        _data.Reset(default, _table.Comparator); // no block iterator may keep reading the memory after it is released
        _lease.Dispose();
    }

    private void SkipEmptyBlocksForward()
    {
        while (!Valid)
        {
            if (!_index.Valid)
            {
                ReleaseDataBlock(); // ran off the end: nothing to keep the block for
                return;
            }

            _index.Next();
            LoadDataBlock();
            if (_dataLoaded)
            {
                _data.SeekToFirst();
            }
        }
    }

    private void SkipEmptyBlocksBackward()
    {
        while (!Valid)
        {
            if (!_index.Valid)
            {
                ReleaseDataBlock();
                return;
            }

            _index.Prev();
            LoadDataBlock();
            if (_dataLoaded)
            {
                _data.SeekToLast();
            }
        }
    }

    private void LoadDataBlock()
    {
        if (!_index.Valid)
        {
            _dataLoaded = false;
            return;
        }

        BlockHandle handle = _index.Handle;
        if (_dataLoaded && handle == _loadedHandle)
        {
            return;
        }

        _dataLoaded = false; // the read overwrites the buffer under the current block; if it throws, nothing stays valid
        Block block = _table.ReadBlock(handle, (long)_table.IndexHandle.Offset + _index.EntryOffset, BlockKind.Data, ref _lease, FillCache);
        _data.Reset(block, _table.Comparator, globalSequence: _table.GlobalSequence);
        _loadedHandle = handle;
        _dataLoaded = true;
    }
}
