using Lsm.Engine.Db;
using Lsm.Engine.Iterators;

namespace Lsm.Engine;

/// <summary>
/// A cursor over one consistent view of a column family: one entry per live key, in key order, as of the
/// snapshot it was created with; deleted keys are skipped and merge operands folded.
/// </summary>
/// <remarks>
/// Not thread-safe. <see cref="Key"/> and <see cref="Value"/> are valid until the next move. The iterator pins
/// the memtables and tables it reads until it is disposed: dispose it promptly.
/// </remarks>
public sealed class LsmIterator : IDisposable
{
    private readonly UserIterator _iterator;
    private readonly SuperVersion _view; // referenced for the iterator's life: what it reads stays alive
    private bool _disposed;

    internal LsmIterator(UserIterator iterator, SuperVersion view)
    {
        _iterator = iterator;
        _view = view;
    }

    /// <summary>Whether the iterator is positioned at an entry.</summary>
    public bool Valid => !_disposed && _iterator.Valid;

    /// <summary>The current key.</summary>
    public ReadOnlySpan<byte> Key => Current().Key;

    /// <summary>The current value.</summary>
    public ReadOnlySpan<byte> Value => Current().Value;

    /// <summary>Moves to the first key (at or after the lower bound).</summary>
    public void SeekToFirst() => Live().SeekToFirst();

    /// <summary>Moves to the last key (below the upper bound).</summary>
    public void SeekToLast() => Live().SeekToLast();

    /// <summary>Moves to the first key at or after <paramref name="key"/>.</summary>
    /// <param name="key">The target.</param>
    public void Seek(ReadOnlySpan<byte> key) => Live().Seek(key);

    /// <summary>Moves to the last key at or before <paramref name="key"/>.</summary>
    /// <param name="key">The target.</param>
    public void SeekForPrev(ReadOnlySpan<byte> key) => Live().SeekForPrev(key);

    /// <summary>Moves to the next key.</summary>
    public void Next() => Live().Next();

    /// <summary>Moves to the previous key.</summary>
    public void Prev() => Live().Prev();

    private UserIterator Live()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _iterator;
    }

    private UserIterator Current()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_iterator.Valid)
        {
            throw new InvalidOperationException("The iterator is not positioned at an entry.");
        }

        return _iterator;
    }

    /// <summary>Releases the memtables and tables the iterator pins.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _iterator.Dispose();
            _view.Unref();
        }
    }
}
