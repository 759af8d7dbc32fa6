using Lsm.Engine.Encoding;

namespace Lsm.Engine.Iterators;

/// <summary>
/// Turns a merged stream of internal entries into the user's view at one snapshot: one entry per user key,
/// its newest version visible at the snapshot, deletions hidden, merge operands folded, bounds applied.
/// Range tombstones come separately, already fragmented: an entry older than the newest visible tombstone
/// covering its key counts as deleted.
/// </summary>
/// <remarks>
/// Forward moves walk the internal stream once. A backward move resolves the previous user key by seeking
/// to it and resolving forward (RocksDB's "find value using seek"), which keeps merges and deletions exact
/// at the cost of one seek per backward step. Not thread-safe.
/// </remarks>
internal sealed class UserIterator : IDisposable
{
    private readonly IInternalIterator _inner;
    private readonly KeyComparator _comparator;
    private readonly MergeOperator? _mergeOperator;
    private readonly ulong _snapshot;
    private readonly byte[]? _lowerBound;
    private readonly byte[]? _upperBound;
    private readonly FragmentedRangeTombstones? _tombstones;

    private byte[] _key = new byte[64];
    private int _keyLength;
    private byte[] _value = new byte[256];
    private int _valueLength;
    private bool _valid;
    private bool _innerPastCurrent;   // forward: the inner iterator already stands after the current user key
    private ulong _cover;             // the newest visible range tombstone covering _key; entries older than it are deleted
    private byte[] _seekBuffer = new byte[64];
    private readonly List<ReadOnlyMemory<byte>> _operands = [];

    public UserIterator(
        IInternalIterator inner,
        KeyComparator comparator,
        MergeOperator? mergeOperator,
        ulong snapshot,
        byte[]? lowerBound,
        byte[]? upperBound,
        FragmentedRangeTombstones? tombstones = null)
    {
        _tombstones = tombstones;
        _inner = inner;
        _comparator = comparator;
        _mergeOperator = mergeOperator;
        _snapshot = snapshot;
        _lowerBound = lowerBound;
        _upperBound = upperBound;
    }

    public bool Valid => _valid;

    public ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

    public ReadOnlySpan<byte> Value => _value.AsSpan(0, _valueLength);

    public void SeekToFirst()
    {
        if (_lowerBound is not null)
        {
            Seek(_lowerBound);
            return;
        }

        _inner.SeekToFirst();
        FindNextUserEntry(skipKey: false);
    }

    public void SeekToLast()
    {
        if (_upperBound is not null)
        {
            // The last key below the exclusive upper bound.
            _inner.SeekForPrev(SeekKey(_upperBound, InternalKey.MaxSequence, InternalKey.KindForSeek));
        }
        else
        {
            _inner.SeekToLast();
        }

        FindPrevUserEntry();
    }

    public void Seek(ReadOnlySpan<byte> userKey)
    {
        if (_lowerBound is not null && _comparator.Compare(userKey, _lowerBound) < 0)
        {
            userKey = _lowerBound;
        }

        _inner.Seek(SeekKey(userKey, _snapshot, InternalKey.KindForSeek));
        FindNextUserEntry(skipKey: false);
    }

    public void SeekForPrev(ReadOnlySpan<byte> userKey)
    {
        if (_upperBound is not null && _comparator.Compare(userKey, _upperBound) >= 0)
        {
            SeekToLast();
            return;
        }

        // The last entry at or before (userKey, sequence 0): includes every version of userKey.
        _inner.SeekForPrev(SeekKey(userKey, 0, ValueKind.Deletion));
        FindPrevUserEntry();
    }

    public void Next()
    {
        if (!_valid)
        {
            return;
        }

        if (_innerPastCurrent)
        {
            FindNextUserEntry(skipKey: false);
        }
        else
        {
            // The inner iterator stands at the current key's entry: skip its older versions, resolve the next key.
            _inner.Next();
            FindNextUserEntry(skipKey: true);
        }
    }

    public void Prev()
    {
        if (!_valid)
        {
            return;
        }

        // The last entry of any user key before the current one.
        _inner.SeekForPrev(SeekKey(Key, InternalKey.MaxSequence, InternalKey.KindForSeek));
        FindPrevUserEntry();
    }

    /// <summary>
    /// From the inner position, finds the first user key whose newest visible entry is not a deletion.
    /// With <paramref name="skipKey"/>, entries of the current key are skipped first.
    /// </summary>
    private void FindNextUserEntry(bool skipKey)
    {
        bool skipping = skipKey;
        while (_inner.Valid)
        {
            ReadOnlySpan<byte> ikey = _inner.Key;
            ReadOnlySpan<byte> userKey = InternalKey.UserKey(ikey);
            if (InternalKey.Sequence(ikey) > _snapshot)
            {
                _inner.Next();
                continue;
            }

            if (skipping && _comparator.Compare(userKey, Key) <= 0)
            {
                _inner.Next();
                continue;
            }

            if (_upperBound is not null && _comparator.Compare(userKey, _upperBound) >= 0)
            {
                break;
            }

            // The newest visible version of a new user key: resolve it.
            SetKey(userKey);
            skipping = true;
            switch (Resolve())
            {
                case Resolution.Value:
                    _valid = true;
                    return;
                case Resolution.Deleted:
                    continue;
            }
        }

        _valid = false;
    }

    /// <summary>
    /// From the inner position (at or before some entry), finds the nearest user key at or before it whose
    /// newest visible entry is not a deletion, resolving each candidate by a forward seek.
    /// </summary>
    private void FindPrevUserEntry()
    {
        while (_inner.Valid)
        {
            ReadOnlySpan<byte> userKey = InternalKey.UserKey(_inner.Key);
            if (_lowerBound is not null && _comparator.Compare(userKey, _lowerBound) < 0)
            {
                break;
            }

            SetKey(userKey);
            _inner.Seek(SeekKey(Key, _snapshot, InternalKey.KindForSeek));
            if (_inner.Valid && _comparator.Compare(InternalKey.UserKey(_inner.Key), Key) == 0
                && Resolve() == Resolution.Value)
            {
                _valid = true;
                return;
            }

            // Nothing visible, or deleted: move to the user key before this one.
            _inner.SeekForPrev(SeekKey(Key, InternalKey.MaxSequence, InternalKey.KindForSeek));
        }

        _valid = false;
    }

    private enum Resolution
    {
        Value,
        Deleted,
    }

    /// <summary>
    /// The inner iterator stands at the newest visible entry of the user key in <see cref="_key"/>. Computes
    /// that key's value (folding merge operands), leaving the inner iterator at that entry for a plain value,
    /// or past the key's entries after a merge (recorded in <see cref="_innerPastCurrent"/>).
    /// </summary>
    private Resolution Resolve()
    {
        ReadOnlySpan<byte> ikey = _inner.Key;
        if (InternalKey.Sequence(ikey) < _cover)
        {
            _inner.Next(); // a range tombstone hides this version and every older one
            _innerPastCurrent = true;
            return Resolution.Deleted;
        }

        switch (InternalKey.Kind(ikey))
        {
            case ValueKind.Value:
                SetValue(_inner.Value);
                _innerPastCurrent = false;
                return Resolution.Value;
            case ValueKind.Merge:
                MergeFromHere();
                _innerPastCurrent = true;
                return Resolution.Value;
            case ValueKind.Deletion or ValueKind.SingleDeletion or ValueKind.DeletionWithTimestamp:
                _inner.Next();
                _innerPastCurrent = true;
                return Resolution.Deleted;
            default:
                throw new NotSupportedException(
                    $"Entry {KeyText.FormatInternalKey(ikey)} has kind {KeyText.KindName(InternalKey.Kind(ikey))}, which this engine does not read.");
        }
    }

    /// <summary>Collects merge operands (newest first) down to a value, a deletion or another key, then merges.</summary>
    private void MergeFromHere()
    {
        if (_mergeOperator is null)
        {
            throw new InvalidOperationException(
                $"Key {KeyText.FormatUserKey(Key)} has merge operands but the database has no merge operator.");
        }

        _operands.Clear();
        ReadOnlyMemory<byte>? existing = null;
        while (_inner.Valid && _comparator.Compare(InternalKey.UserKey(_inner.Key), Key) == 0)
        {
            ValueKind kind = InternalKey.Kind(_inner.Key);
            bool covered = InternalKey.Sequence(_inner.Key) < _cover; // deleted by a range tombstone
            if (kind == ValueKind.Merge && !covered)
            {
                _operands.Add(_inner.Value.ToArray());
                _inner.Next();
                continue;
            }

            if (kind == ValueKind.Value && !covered)
            {
                existing = _inner.Value.ToArray();
            }

            _inner.Next();
            break; // a value or a deletion ends the merge
        }

        // Skip older versions of the key that the value or deletion shadows.
        while (_inner.Valid && _comparator.Compare(InternalKey.UserKey(_inner.Key), Key) == 0)
        {
            _inner.Next();
        }

        _operands.Reverse(); // oldest first
        SetValue(_mergeOperator.FullMerge(Key, existing, _operands));
    }

    private void SetKey(ReadOnlySpan<byte> userKey)
    {
        if (_key.Length < userKey.Length)
        {
            _key = new byte[Math.Max(userKey.Length, _key.Length * 2)];
        }

        userKey.CopyTo(_key);
        _keyLength = userKey.Length;
        _cover = _tombstones?.MaxCoveringSequence(userKey, _snapshot) ?? 0;
    }

    private void SetValue(ReadOnlySpan<byte> value)
    {
        if (_value.Length < value.Length)
        {
            _value = new byte[Math.Max(value.Length, _value.Length * 2)];
        }

        value.CopyTo(_value);
        _valueLength = value.Length;
    }

    private ReadOnlySpan<byte> SeekKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        int length = userKey.Length + InternalKey.TrailerSize;
        if (_seekBuffer.Length < length)
        {
            _seekBuffer = new byte[Math.Max(length, _seekBuffer.Length * 2)];
        }

        InternalKey.Write(_seekBuffer, userKey, sequence, kind);
        return _seekBuffer.AsSpan(0, length);
    }

    /// <summary>Disposes the inner iterator when it holds resources.</summary>
    public void Dispose() => (_inner as IDisposable)?.Dispose();
}
