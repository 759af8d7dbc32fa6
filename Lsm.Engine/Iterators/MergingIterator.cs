using Lsm.Engine.Encoding;

namespace Lsm.Engine.Iterators;

/// <summary>
/// Merges several internal iterators (memtables, tables, levels) into one stream in internal-key order.
/// </summary>
/// <remarks>
/// Invariants: in the forward direction every valid child is positioned at its first entry at or after
/// the current key; in the reverse direction at its last entry at or before it. Changing direction
/// re-seeks the other children (leveldb's scheme). The current child is found by a linear scan, which
/// for the handful of sources a read has is as fast as a heap; a heap can replace it when level counts grow.
/// Not thread-safe.
/// </remarks>
internal sealed class MergingIterator : IInternalIterator, IDisposable
{
    private readonly IInternalIterator[] _children;
    private readonly IKeyOrder _order;
    private int _current = -1;
    private bool _forward = true;

    public MergingIterator(IKeyOrder order, IInternalIterator[] children)
    {
        _order = order;
        _children = children;
    }

    public bool Valid => _current >= 0 && _children[_current].Valid;

    public ReadOnlySpan<byte> Key => _children[_current].Key;

    public ReadOnlySpan<byte> Value => _children[_current].Value;

    public void SeekToFirst()
    {
        foreach (IInternalIterator child in _children)
        {
            child.SeekToFirst();
        }

        _forward = true;
        FindSmallest();
    }

    public void SeekToLast()
    {
        foreach (IInternalIterator child in _children)
        {
            child.SeekToLast();
        }

        _forward = false;
        FindLargest();
    }

    public void Seek(ReadOnlySpan<byte> target)
    {
        foreach (IInternalIterator child in _children)
        {
            child.Seek(target);
        }

        _forward = true;
        FindSmallest();
    }

    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        foreach (IInternalIterator child in _children)
        {
            child.SeekForPrev(target);
        }

        _forward = false;
        FindLargest();
    }

    public void Next()
    {
        if (!Valid)
        {
            return;
        }

        if (!_forward)
        {
            // Bring every other child to its first entry after the current key.
            ReadOnlySpan<byte> key = Key;
            for (int i = 0; i < _children.Length; i++)
            {
                if (i == _current)
                {
                    continue;
                }

                IInternalIterator child = _children[i];
                child.Seek(key);
                if (child.Valid && _order.Compare(key, child.Key) == 0)
                {
                    child.Next();
                }
            }

            _forward = true;
        }

        _children[_current].Next();
        FindSmallest();
    }

    public void Prev()
    {
        if (!Valid)
        {
            return;
        }

        if (_forward)
        {
            // Bring every other child to its last entry before the current key.
            ReadOnlySpan<byte> key = Key;
            for (int i = 0; i < _children.Length; i++)
            {
                if (i == _current)
                {
                    continue;
                }

                IInternalIterator child = _children[i];
                child.SeekForPrev(key);
                if (child.Valid && _order.Compare(key, child.Key) == 0)
                {
                    child.Prev();
                }
            }

            _forward = false;
        }

        _children[_current].Prev();
        FindLargest();
    }

    private void FindSmallest()
    {
        int best = -1;
        for (int i = 0; i < _children.Length; i++)
        {
            IInternalIterator child = _children[i];
            if (child.Valid && (best < 0 || _order.Compare(child.Key, _children[best].Key) < 0))
            {
                best = i;
            }
        }

        _current = best;
    }

    private void FindLargest()
    {
        int best = -1;
        for (int i = _children.Length - 1; i >= 0; i--)
        {
            IInternalIterator child = _children[i];
            if (child.Valid && (best < 0 || _order.Compare(child.Key, _children[best].Key) > 0))
            {
                best = i;
            }
        }

        _current = best;
    }

    /// <summary>Disposes the children that hold resources (table iterators' block buffers).</summary>
    public void Dispose()
    {
        foreach (IInternalIterator child in _children)
        {
            (child as IDisposable)?.Dispose();
        }
    }
}
