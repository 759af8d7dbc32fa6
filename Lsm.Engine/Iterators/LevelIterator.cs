using Lsm.Engine.Encoding;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Iterators;

/// <summary>
/// Iterates one sorted level (L1 and below) whose files do not overlap: a binary search picks the file,
/// and a table iterator walks it, moving to the neighbouring file at either end.
/// </summary>
/// <remarks>Not thread-safe. The files' readers come from the table cache; the caller holds the version.</remarks>
internal sealed class LevelIterator : IInternalIterator, IDisposable
{
    private readonly IReadOnlyList<FileMetadata> _files;
    private readonly InternalKeyComparator _comparator;
    private readonly Func<FileMetadata, TableReader> _open;
    private int _fileIndex = -1;
    private TableIterator? _current;

    private readonly bool _fillCache;

    /// <param name="files">The level's files, sorted and disjoint.</param>
    /// <param name="comparator">The order of internal keys.</param>
    /// <param name="open">The reader of a file (from the table cache).</param>
    /// <param name="fillCache">Whether blocks read are inserted into the block cache (false for compactions).</param>
    public LevelIterator(IReadOnlyList<FileMetadata> files, InternalKeyComparator comparator, Func<FileMetadata, TableReader> open, bool fillCache = true)
    {
        _files = files;
        _comparator = comparator;
        _open = open;
        _fillCache = fillCache;
    }

    public bool Valid => _current is not null && _current.Valid;

    public ReadOnlySpan<byte> Key => _current!.Key;

    public ReadOnlySpan<byte> Value => _current!.Value;

    public void SeekToFirst()
    {
        OpenFile(0);
        _current?.SeekToFirst();
        SkipForward();
    }

    public void SeekToLast()
    {
        OpenFile(_files.Count - 1);
        _current?.SeekToLast();
        SkipBackward();
    }

    public void Seek(ReadOnlySpan<byte> target)
    {
        OpenFile(FindFile(target));
        _current?.Seek(target);
        SkipForward();
    }

    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        int index = FindFile(target);
        if (index >= _files.Count || _comparator.Compare(_files[index].Smallest, target) > 0)
        {
            index--; // the target lies before this file: the answer is in the previous one
        }

        OpenFile(index);
        _current?.SeekForPrev(target);
        SkipBackward();
    }

    public void Next()
    {
        _current?.Next();
        SkipForward();
    }

    public void Prev()
    {
        _current?.Prev();
        SkipBackward();
    }

    /// <summary>The first file whose largest key is at or after <paramref name="target"/>; Count if none.</summary>
    private int FindFile(ReadOnlySpan<byte> target)
    {
        int lo = 0;
        int hi = _files.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_comparator.Compare(_files[mid].Largest, target) < 0)
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

    private void OpenFile(int index)
    {
        if (index < 0 || index >= _files.Count)
        {
            _fileIndex = -1;
            SetCurrent(null);
            return;
        }

        if (index != _fileIndex || _current is null)
        {
            SetCurrent(_open(_files[index]).NewIterator(_fillCache));
            _fileIndex = index;
        }
    }

    private void SkipForward()
    {
        while (_current is not null && !_current.Valid)
        {
            if (_fileIndex + 1 >= _files.Count)
            {
                SetCurrent(null);
                _fileIndex = -1;
                return;
            }

            OpenFile(_fileIndex + 1);
            _current!.SeekToFirst();
        }
    }

    private void SkipBackward()
    {
        while (_current is not null && !_current.Valid)
        {
            if (_fileIndex <= 0)
            {
                SetCurrent(null);
                _fileIndex = -1;
                return;
            }

            OpenFile(_fileIndex - 1);
            _current!.SeekToLast();
        }
    }

    /// <summary>Releases the current table iterator's block buffer.</summary>
    public void Dispose() => SetCurrent(null);

    /// <summary>Moves to another table's iterator, returning the one left to the pool of block buffers.</summary>
    private void SetCurrent(TableIterator? next)
    {
        _current?.Dispose();
        _current = next;
    }
}
