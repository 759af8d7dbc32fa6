using System.Diagnostics;
using Lsm.Engine.Encoding;
using Lsm.Engine.Iterators;

namespace Lsm.Engine.Compaction;

/// <summary>
/// Turns the merged internal-key stream of a compaction's inputs into the entries its outputs keep, in order:
/// RocksDB's <c>CompactionIterator</c> garbage collection, for point entries (range tombstones are carried by
/// <see cref="CompactionRangeTombstones"/>).
/// </summary>
/// <remarks>
/// <para>
/// <b>Snapshot stripes.</b> With live snapshots s<sub>0</sub> &lt; s<sub>1</sub> &lt; ... &lt; s<sub>n-1</sub>,
/// stripe i holds the sequences in (s<sub>i-1</sub>, s<sub>i</sub>] (stripe 0 from 0, stripe n up to the newest). Every
/// reader (a snapshot, or the latest state) that sees one entry of a stripe sees all of its older ones too, so within
/// a stripe a key's newest value or deletion decides what every such reader gets. Each user key is resolved stripe by
/// stripe, newest first, and never across a stripe boundary:
/// </para>
/// <list type="number">
/// <item>Within a stripe, the newest value or deletion is kept and every older entry of the stripe is dropped (hidden).</item>
/// <item>An entry older than the newest range tombstone of its own stripe covering its key is dropped, and so is
/// everything older in the stripe: every reader that sees the entry sees the tombstone, which the outputs keep.</item>
/// <item>Merge operands collect until the stripe meets a value, a deletion or a covering range tombstone, and are then
/// folded with <see cref="MergeOperator.FullMerge"/> into one value (at the newest operand's sequence); the base is the
/// value, or none for a deletion or tombstone. Operands left when the stripe ends are kept as they are, unless the
/// key ends there at the bottommost level, where nothing older can exist: then they fold with no base.</item>
/// <item>At the bottommost level, a deletion with no entry of its key left in an older stripe is dropped: no reader
/// can see anything it hides. (RocksDB also drops one above the bottom when no lower level holds its key; that needs
/// the version's files, which this component does not have.)</item>
/// <item>At the bottommost level, a value in stripe 0 (visible to every snapshot, and the only entry left of its key)
/// gets sequence 0, as RocksDB does, which compresses better. Exact because stripe-0 range tombstones are dropped
/// there (<see cref="CompactionRangeTombstones"/>): every tombstone still written is newer than every stripe-0 entry,
/// so the zeroed value is covered by exactly the tombstones that covered it before.</item>
/// <item>The compaction filter is shown a key's newest entry when that entry is a value in stripe 0 not covered by a
/// range tombstone of its stripe; see <see cref="CompactionFilter"/>. A removed value becomes a deletion and follows
/// rule 4.</item>
/// </list>
/// <para>
/// Single deletions are treated as deletions, as the read path does. Kinds the engine does not read (blob indexes,
/// wide columns, values with preferred sequence numbers) fail the compaction with <see cref="NotSupportedException"/>.
/// </para>
/// <para>
/// One stripe is resolved at a time into a reusable output queue; operands are buffered only while their stripe is
/// open. <see cref="Key"/> and <see cref="Value"/> are valid until the next move. Not thread-safe.
/// </para>
/// </remarks>
internal sealed class CompactionIterator : IDisposable
{
    private readonly IInternalIterator _input;
    private readonly KeyComparator _comparator;
    private readonly ulong[] _snapshots;
    private readonly MergeOperator? _mergeOperator;
    private readonly FragmentedRangeTombstones? _tombstones;
    private readonly bool _bottommost;
    private readonly CompactionFilter? _filter;
    private readonly int _filterLevel;
    private readonly CompactionStats _stats;
    private readonly CancellationToken _cancellation;

    // The user key being resolved; _userKeyLength is -1 before the first.
    private byte[] _userKey = new byte[64];
    private int _userKeyLength = -1;

    // Entries resolved but not yet returned: each key is followed by its value in _outBytes.
    private readonly ByteBuffer _outBytes = new(4096);
    private readonly List<(int Offset, int KeyLength, int ValueLength)> _out = [];
    private int _outIndex;

    // Merge operands of the open stripe, newest first.
    private readonly ByteBuffer _operandBytes = new(256);
    private readonly List<(int Offset, int Length, ulong Sequence)> _operands = [];
    private readonly List<ReadOnlyMemory<byte>> _mergeInput = [];
    private byte[] _base = new byte[256];

    private int _stripe;

    /// <param name="input">The merged inputs, in internal-key order; positioned by <see cref="SeekToFirst"/>.</param>
    /// <param name="comparator">The user-key comparator.</param>
    /// <param name="snapshots">The live snapshots' sequence numbers, ascending.</param>
    /// <param name="mergeOperator">Folds merge operands; required if the inputs hold any.</param>
    /// <param name="tombstones">Every range tombstone of the inputs, fragmented; null when there are none.</param>
    /// <param name="bottommost">Whether no older version of any key can exist below the output.</param>
    /// <param name="filter">The compaction filter, or null.</param>
    /// <param name="filterLevel">The level passed to the filter.</param>
    /// <param name="stats">Receives the record counts.</param>
    /// <param name="cancellation">Checked once per resolved stripe.</param>
    public CompactionIterator(
        IInternalIterator input,
        KeyComparator comparator,
        ulong[] snapshots,
        MergeOperator? mergeOperator,
        FragmentedRangeTombstones? tombstones,
        bool bottommost,
        CompactionFilter? filter,
        int filterLevel,
        CompactionStats stats,
        CancellationToken cancellation = default)
    {
        for (int i = 1; i < snapshots.Length; i++)
        {
            if (snapshots[i] < snapshots[i - 1])
            {
                throw new ArgumentException("Snapshots must be in ascending order.", nameof(snapshots));
            }
        }

        _input = input;
        _comparator = comparator;
        _snapshots = snapshots;
        _mergeOperator = mergeOperator;
        _tombstones = tombstones;
        _bottommost = bottommost;
        _filter = filter;
        _filterLevel = filterLevel;
        _stats = stats;
        _cancellation = cancellation;
    }

    public bool Valid => _outIndex < _out.Count;

    /// <summary>The current entry's internal key.</summary>
    public ReadOnlySpan<byte> Key => _outBytes.WrittenSpan.Slice(_out[_outIndex].Offset, _out[_outIndex].KeyLength);

    public ReadOnlySpan<byte> Value
    {
        get
        {
            (int offset, int keyLength, int valueLength) = _out[_outIndex];
            return _outBytes.WrittenSpan.Slice(offset + keyLength, valueLength);
        }
    }

    private ReadOnlySpan<byte> UserKey => _userKey.AsSpan(0, _userKeyLength);

    public void SeekToFirst()
    {
        _userKeyLength = -1;
        _input.SeekToFirst();
        ClearOutput();
        Fill();
    }

    public void Next()
    {
        Debug.Assert(Valid);
        _outIndex++;
        if (_outIndex == _out.Count)
        {
            ClearOutput();
            Fill();
        }
    }

    public void Dispose()
    {
        _outBytes.Dispose();
        _operandBytes.Dispose();
    }

    private void ClearOutput()
    {
        _out.Clear();
        _outBytes.Clear();
        _outIndex = 0;
    }

    private void Fill()
    {
        while (_out.Count == 0 && _input.Valid)
        {
            _cancellation.ThrowIfCancellationRequested();
            ResolveStripe();
        }
    }

    /// <summary>Consumes the entries of one user key in one snapshot stripe, starting at the input's position, and queues what survives.</summary>
    private void ResolveStripe()
    {
        ReadOnlySpan<byte> userKey = InternalKey.UserKey(_input.Key);
        bool newKey = _userKeyLength < 0 || _comparator.Compare(userKey, UserKey) != 0;
        if (newKey)
        {
            SetUserKey(userKey);
        }

        _stripe = StripeOf(InternalKey.Sequence(_input.Key));
        ulong stripeTop = _stripe < _snapshots.Length ? _snapshots[_stripe] : InternalKey.MaxSequence;

        // Entries of this stripe older than `cover` are deleted for every reader that sees the stripe at all.
        ulong cover = _tombstones?.MaxCoveringSequence(UserKey, stripeTop) ?? 0;
        _operands.Clear();
        _operandBytes.Clear();
        bool mayFilter = newKey && _stripe == 0 && _filter is not null;
        bool resolved = false;
        bool queuedDeletion = false;
        while (true)
        {
            ReadOnlySpan<byte> ikey = _input.Key;
            ulong sequence = InternalKey.Sequence(ikey);
            ValueKind kind = InternalKey.Kind(ikey);
            _stats.RecordsRead++;
            if (sequence < cover)
            {
                _stats.DroppedRangeDeleted++;
                _input.Next();
                if (_operands.Count > 0)
                {
                    Merge(null, baseConsumed: false); // the tombstone is the operands' base
                }

                resolved = true;
                break;
            }

            switch (kind)
            {
                case ValueKind.Merge:
                    AddOperand(sequence, _input.Value);
                    _input.Next();
                    break;
                case ValueKind.Value:
                    if (_operands.Count > 0)
                    {
                        ReadOnlyMemory<byte> baseValue = CopyBase(_input.Value);
                        _input.Next();
                        Merge(baseValue, baseConsumed: true);
                    }
                    else
                    {
                        // No operands before it: this is the stripe's first entry, and with mayFilter the key's newest.
                        queuedDeletion = mayFilter ? QueueFiltered(sequence, _input.Value) : QueueValue(sequence, _input.Value);
                        _input.Next();
                    }

                    resolved = true;
                    break;
                case ValueKind.Deletion or ValueKind.SingleDeletion or ValueKind.DeletionWithTimestamp:
                    if (_operands.Count > 0)
                    {
                        _input.Next();
                        Merge(null, baseConsumed: true);
                    }
                    else
                    {
                        Queue(sequence, kind, []);
                        queuedDeletion = true;
                        _input.Next();
                    }

                    resolved = true;
                    break;
                default:
                    throw new NotSupportedException(
                        $"Entry {KeyText.FormatInternalKey(ikey)} has kind {KeyText.KindName(kind)}, which this engine does not compact.");
            }

            if (resolved || !InStripe())
            {
                break;
            }
        }

        if (resolved)
        {
            // Everything older in the stripe is hidden by what was just queued (or deleted by the same tombstone).
            while (InStripe())
            {
                _stats.RecordsRead++;
                if (InternalKey.Sequence(_input.Key) < cover)
                {
                    _stats.DroppedRangeDeleted++;
                }
                else
                {
                    _stats.DroppedHidden++;
                }

                _input.Next();
            }
        }
        else if (_bottommost && !AtSameKey())
        {
            Merge(null, baseConsumed: false); // nothing older than these operands exists anywhere
        }
        else
        {
            QueueOperands(); // their base lies in an older stripe or below the output: not ours to fold
        }

        if (queuedDeletion && _bottommost && !AtSameKey())
        {
            // Nothing older is left for the deletion to hide, and nothing lies below the output.
            Debug.Assert(_out.Count - _outIndex == 1, "a deletion is its stripe's only output");
            _out.RemoveAt(_out.Count - 1);
            _stats.RecordsWritten--;
            _stats.DroppedObsoleteDeletions++;
        }
    }

    /// <summary>Shows the value to the filter and queues what it decides; returns whether that is a deletion.</summary>
    private bool QueueFiltered(ulong sequence, ReadOnlySpan<byte> value)
    {
        _stats.FilterCalls++;
        CompactionDecision decision = _filter!.Filter(_filterLevel, UserKey, value, out byte[]? newValue);
        switch (decision)
        {
            case CompactionDecision.Keep:
                return QueueValue(sequence, value);
            case CompactionDecision.Remove:
                _stats.FilterRemoved++;
                Queue(sequence, ValueKind.Deletion, []);
                return true;
            case CompactionDecision.ChangeValue:
                if (newValue is null)
                {
                    throw new InvalidOperationException($"Compaction filter {_filter.Name} chose ChangeValue without a new value.");
                }

                _stats.FilterChanged++;
                return QueueValue(sequence, newValue);
            default:
                throw new InvalidOperationException($"Compaction filter {_filter.Name} returned an unknown decision {decision}.");
        }
    }

    private bool QueueValue(ulong sequence, ReadOnlySpan<byte> value)
    {
        Queue(ZeroedIfVisibleToAll(sequence), ValueKind.Value, value);
        return false;
    }

    /// <summary>Folds the buffered operands onto <paramref name="baseValue"/> and queues the result at the newest operand's sequence.</summary>
    private void Merge(ReadOnlyMemory<byte>? baseValue, bool baseConsumed)
    {
        Debug.Assert(_operands.Count > 0);
        if (_mergeOperator is null)
        {
            throw new InvalidOperationException(
                $"Key {KeyText.FormatUserKey(UserKey)} has merge operands but the column family has no merge operator.");
        }

        _mergeInput.Clear();
        ReadOnlyMemory<byte> bytes = _operandBytes.WrittenMemory;
        for (int i = _operands.Count - 1; i >= 0; i--)
        {
            _mergeInput.Add(bytes.Slice(_operands[i].Offset, _operands[i].Length)); // oldest first
        }

        byte[] merged = _mergeOperator.FullMerge(UserKey, baseValue, _mergeInput);
        _stats.MergedAway += _operands.Count + (baseConsumed ? 1 : 0) - 1;
        Queue(ZeroedIfVisibleToAll(_operands[0].Sequence), ValueKind.Value, merged);
        _operands.Clear();
    }

    private void QueueOperands()
    {
        ReadOnlySpan<byte> bytes = _operandBytes.WrittenSpan;
        foreach ((int offset, int length, ulong sequence) in _operands)
        {
            Queue(sequence, ValueKind.Merge, bytes.Slice(offset, length));
        }

        _operands.Clear();
    }

    private void AddOperand(ulong sequence, ReadOnlySpan<byte> operand)
    {
        _operands.Add((_operandBytes.Length, operand.Length, sequence));
        _operandBytes.Append(operand);
    }

    private ReadOnlyMemory<byte> CopyBase(ReadOnlySpan<byte> value)
    {
        if (_base.Length < value.Length)
        {
            _base = new byte[Math.Max(value.Length, _base.Length * 2)];
        }

        value.CopyTo(_base);
        return _base.AsMemory(0, value.Length);
    }

    private void Queue(ulong sequence, ValueKind kind, ReadOnlySpan<byte> value)
    {
        int offset = _outBytes.Length;
        int keyLength = _userKeyLength + InternalKey.TrailerSize;
        InternalKey.Write(_outBytes.GetSpan(keyLength), UserKey, sequence, kind);
        _outBytes.Advance(keyLength);
        _outBytes.Append(value);
        _out.Add((offset, keyLength, value.Length));
        _stats.RecordsWritten++;
    }

    /// <summary>Rule 5: at the bottommost level a stripe-0 value is the last entry of its key and visible to all.</summary>
    private ulong ZeroedIfVisibleToAll(ulong sequence) => _bottommost && _stripe == 0 ? 0 : sequence;

    /// <summary>Whether the input stands at another entry of the current key in the current stripe.</summary>
    private bool InStripe() => AtSameKey() && StripeOf(InternalKey.Sequence(_input.Key)) == _stripe;

    private bool AtSameKey() => _input.Valid && _comparator.Compare(InternalKey.UserKey(_input.Key), UserKey) == 0;

    /// <summary>The index of the first snapshot at or above <paramref name="sequence"/>; the snapshot count above them all.</summary>
    private int StripeOf(ulong sequence)
    {
        int lo = 0;
        int hi = _snapshots.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_snapshots[mid] < sequence)
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

    private void SetUserKey(ReadOnlySpan<byte> userKey)
    {
        if (_userKey.Length < userKey.Length)
        {
            _userKey = new byte[Math.Max(userKey.Length, _userKey.Length * 2)];
        }

        userKey.CopyTo(_userKey);
        _userKeyLength = userKey.Length;
    }
}
