using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// A two-level iterator over a table's internal keys: the index block chooses a data block, a block
/// iterator walks it.
/// </summary>
/// <remarks>Not thread-safe; one per reader thread. Data blocks are read on demand and dropped when left.</remarks>
internal sealed class TableIterator : IInternalIterator
{
    private readonly TableReader _table;
    private readonly BlockIterator _index = new();
    private readonly BlockIterator _data = new();
    private bool _dataLoaded;
    private BlockHandle _loadedHandle;

    public TableIterator(TableReader table)
    {
        _table = table;
        _index.Reset(table.IndexBlock, table.IndexOrder, table.IndexFormat, isIndex: true, table.IndexHasFirstKey);
    }

    public bool Valid => _dataLoaded && _data.Valid;

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
        _data.Next();
        SkipEmptyBlocksForward();
    }

    public void Prev()
    {
        _data.Prev();
        SkipEmptyBlocksBackward();
    }

    private void SkipEmptyBlocksForward()
    {
        while (!Valid)
        {
            if (!_index.Valid)
            {
                _dataLoaded = false;
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
                _dataLoaded = false;
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

        Block block = _table.ReadBlock(handle, _table.IndexBlock.FileOffset + _index.EntryOffset);
        _data.Reset(block, _table.Comparator, globalSequence: _table.GlobalSequence);
        _loadedHandle = handle;
        _dataLoaded = true;
    }
}
