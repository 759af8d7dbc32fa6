namespace Lsm.Engine.Db;

/// <summary>
/// The progress of one point lookup as it walks from the newest source to the oldest: merge operands seen so
/// far, and the answer once a value or a deletion ends the walk.
/// </summary>
/// <remarks>
/// Values are copied out as soon as they are seen (into the caller's span for <c>TryGet</c>, so a plain hit
/// allocates nothing), so no span into a memtable or block outlives the read view.
/// </remarks>
internal ref struct LookupState
{
    private readonly MergeOperator? _mergeOperator;
    private readonly Span<byte> _destination;
    private readonly bool _copyToSpan;
    private List<ReadOnlyMemory<byte>>? _operands; // newest first
    private byte[]? _result;
    private int _length;
    private bool _found;
    private ulong _cover; // the newest visible range tombstone covering the key in the sources searched so far

    public LookupState(ReadOnlySpan<byte> key, MergeOperator? mergeOperator, Span<byte> destination, bool copyToSpan)
    {
        Key = key;
        _mergeOperator = mergeOperator;
        _destination = destination;
        _copyToSpan = copyToSpan;
    }

    public ReadOnlySpan<byte> Key { get; }

    /// <summary>True once a value or a deletion has decided the answer.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// Takes into account a range tombstone covering the key, found in the source about to be searched (sources
    /// are searched newest first, and a tombstone only hides entries older than itself, in its source or below).
    /// </summary>
    public void CoverWith(ulong tombstoneSequence) => _cover = Math.Max(_cover, tombstoneSequence);

    /// <summary>
    /// Takes the next older entry of the key, of sequence <paramref name="sequence"/>: an entry older than a
    /// covering range tombstone counts as a deletion. Returns true when the walk must go on (a merge operand).
    /// </summary>
    public bool Add(ValueKind kind, ReadOnlySpan<byte> value, ulong sequence) =>
        Add(sequence < _cover ? ValueKind.RangeDeletion : kind, value);

    /// <summary>Takes the next older entry of the key; returns true when the walk must go on (it was a merge operand).</summary>
    public bool Add(ValueKind kind, ReadOnlySpan<byte> value)
    {
        switch (kind)
        {
            case ValueKind.Value:
                if (_operands is null)
                {
                    SetResult(value);
                }
                else
                {
                    SetResult(Merge(value.ToArray()));
                }

                _found = true;
                Done = true;
                return false;
            case ValueKind.Merge:
                _operands ??= [];
                _operands.Add(value.ToArray());
                return true;
            case ValueKind.Deletion or ValueKind.SingleDeletion or ValueKind.DeletionWithTimestamp or ValueKind.RangeDeletion:
                if (_operands is not null)
                {
                    SetResult(Merge(null));
                    _found = true;
                }

                Done = true;
                return false;
            default:
                throw new NotSupportedException($"Key {KeyText.FormatUserKey(Key)} has an entry of kind {KeyText.KindName(kind)}, which this engine does not read.");
        }
    }

    /// <summary>Ends the walk (all sources searched) and delivers the answer.</summary>
    public bool Finish(ref byte[]? result, out int valueLength)
    {
        if (!Done && _operands is not null)
        {
            SetResult(Merge(null));
            _found = true;
        }

        result = _result;
        valueLength = _found ? _length : 0;
        return _found;
    }

    private byte[] Merge(byte[]? existing)
    {
        if (_mergeOperator is null)
        {
            throw new InvalidOperationException($"Key {KeyText.FormatUserKey(Key)} has merge operands but the column family has no merge operator.");
        }

        _operands!.Reverse(); // oldest first
        // Not "existing", nor "existing is null ? null : ...": the null literal converts through ReadOnlyMemory's
        // implicit conversion from arrays into an empty, present value.
        ReadOnlyMemory<byte>? baseValue = null;
        if (existing is not null)
        {
            baseValue = existing;
        }
        return _mergeOperator.FullMerge(Key, baseValue, _operands);
    }

    private void SetResult(ReadOnlySpan<byte> value)
    {
        _length = value.Length;
        if (_copyToSpan)
        {
            if (value.Length <= _destination.Length)
            {
                value.CopyTo(_destination);
            }
        }
        else
        {
            _result = value.ToArray();
        }
    }
}
