using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// A two-level iterator over a table's internal keys: the index block chooses a data block, a block
/// iterator walks it.
/// </summary>
/// <remarks>
/// Not thread-safe; one per reader thread. Data blocks are read on demand into one <see cref="BlockBuffer"/>
/// the iterator owns and reuses, so <see cref="Key"/> and <see cref="Value"/> are valid only until the next
/// move (the next block overwrites the buffer). Dispose returns the buffer to the pool; an iterator that is
/// never disposed leaves it to the garbage collector. Point lookups use a per-thread probe
/// (<see cref="RentProbe"/>), so they allocate nothing once it has warmed up.
/// </remarks>
internal sealed class TableIterator : IInternalIterator, IDisposable
{
    [ThreadStatic]
    private static TableIterator? t_probe;

    private readonly BlockIterator _index = new();
    private readonly BlockIterator _data = new();
    private TableReader _table;
    private BlockBuffer _buffer;
    private bool _dataLoaded; // false whenever _data does not stand on a complete block in _buffer
    private BlockHandle _loadedHandle;

    public TableIterator(TableReader table)
    {
        _table = table;
        Reset(table);
    }

    public bool Valid => _dataLoaded && _data.Valid;

    internal TableReader Table => _table;

    public ReadOnlySpan<byte> Key => _data.Key;

    public ReadOnlySpan<byte> Value => _data.Value;

    public void SeekToFirst()
    {
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

    /// <summary>Keeps <paramref name="probe"/> (and its block buffer) as this thread's point-lookup iterator.</summary>
    public static void ReturnProbe(TableIterator probe)
    {
        probe._dataLoaded = false;
        t_probe = probe;
    }

    /// <summary>Points the iterator at <paramref name="table"/>, positioned nowhere; the block buffer is kept for reuse.</summary>
    public void Reset(TableReader table)
    {
        _table = table;
        _index.Reset(table.IndexBlock, table.IndexOrder, table.IndexFormat, isIndex: true, table.IndexHasFirstKey, words: table.IndexWords);
        _dataLoaded = false;
    }

    /// <summary>Returns the block buffer to the pool; the iterator becomes invalid (a later seek rents another).</summary>
    public void Dispose()
    {
        _dataLoaded = false;
        _data.Reset(default, _table.Comparator); // no block iterator may keep reading the array after it is returned
        _buffer.Release();
    }

    private void SkipEmptyBlocksForward()
    {
        while (!Valid)
        {
            if (!_index.Valid)
            {
                Dispose(); // ran off the end: nothing to keep the block for
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
                Dispose();
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
        Block block = _table.ReadBlock(handle, _table.IndexBlock.FileOffset + _index.EntryOffset, ref _buffer);
        _data.Reset(block, _table.Comparator, globalSequence: _table.GlobalSequence);
        _loadedHandle = handle;
        _dataLoaded = true;
    }
}
