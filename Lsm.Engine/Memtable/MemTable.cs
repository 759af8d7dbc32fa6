using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Memtable;

/// <summary>
/// The in-memory write buffer: entries keyed by internal key (user key, sequence, kind) in a
/// <see cref="SkipList"/> whose nodes, keys and values all live in one native-memory <see cref="Arena"/>.
/// Range tombstones go to a second skip list in the same arena, as in RocksDB.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> <see cref="Add"/> requires external synchronization (the write path's
/// single writer). Everything else (<see cref="TryGetEntry"/>, iterators, the counters,
/// <see cref="Ref"/>/<see cref="Unref"/>) is safe to call from any thread, concurrently with the writer.</para>
/// <para><b>Lifetime.</b> A memtable is reference-counted so readers can keep an immutable memtable alive
/// while a flush completes and it is dropped from the memtable list. The creator holds the first reference
/// and releases it with <see cref="Dispose"/> (idempotent); every other holder calls <see cref="Ref"/> before
/// reading and <see cref="Unref"/> when done. The arena is freed when the count reaches zero. Iterators and
/// the spans <see cref="TryGetEntry"/> returns do not hold a reference: they are valid only while the caller
/// holds one. <see cref="Ref"/> on a memtable whose count already reached zero throws.</para>
/// <para><b>Invariants.</b> (1) The main list never holds two entries with the same internal key (the DB's
/// sequence numbers make (user key, sequence, kind) unique); it never holds range tombstones.
/// (2) <see cref="NumEntries"/> counts both lists; <see cref="NumDeletes"/> ⊆ entries of the main list.
/// (3) When not empty, <see cref="FirstSequence"/> ≤ every entry's sequence ≤ <see cref="LastSequence"/>.</para>
/// </remarks>
internal sealed unsafe class MemTable : IDisposable
{
    /// <summary>Seek keys up to this length are built on the stack; longer ones in a pooled buffer.</summary>
    private const int StackKeyLimit = 256;

    private readonly Arena _arena;
    private readonly SkipList _table;
    private readonly SkipList _rangeDeletions;
    private readonly bool _bytewise;
    private int _refs = 1;
    private int _disposed;
    private long _numEntries;
    private long _numDeletes;
    private long _numRangeDeletes;
    private ulong _firstSequence;
    private ulong _lastSequence;

    /// <summary>Creates an empty memtable holding one reference, the creator's.</summary>
    /// <param name="comparator">The internal key order.</param>
    /// <param name="arenaChunkSize">Arena chunk size. Default: <see cref="Arena.DefaultChunkSize"/> (1 MiB).</param>
    /// <param name="memoryTracker">Where the arena's chunks are charged (a write buffer manager's); null: nowhere.</param>
    public MemTable(InternalKeyComparator comparator, int arenaChunkSize = Arena.DefaultChunkSize, Memory.MemtableMemoryTracker? memoryTracker = null)
    {
        Comparator = comparator;
        _bytewise = comparator.UserComparator is BytewiseComparator;
        MemoryTracker = memoryTracker;
        _arena = new Arena(arenaChunkSize, tracker: memoryTracker);
        _table = new SkipList(_arena, comparator);
        _rangeDeletions = new SkipList(_arena, comparator);
    }

    public InternalKeyComparator Comparator { get; }

    /// <summary>Where the arena's memory is charged, or null; the database marks it immutable when it switches the memtable.</summary>
    public Memory.MemtableMemoryTracker? MemoryTracker { get; }

    /// <summary>
    /// Bytes of memory the memtable has reserved: what the write buffer size is compared with. An empty
    /// memtable already holds one arena chunk (the skip lists' head nodes live there).
    /// </summary>
    public long ApproximateMemoryUsage => _arena.MemoryUsage;

    /// <summary>Entries added, range tombstones included.</summary>
    public long NumEntries => Volatile.Read(ref _numEntries);

    /// <summary>Point tombstones added: <see cref="ValueKind.Deletion"/>, <see cref="ValueKind.SingleDeletion"/>, <see cref="ValueKind.DeletionWithTimestamp"/>.</summary>
    public long NumDeletes => Volatile.Read(ref _numDeletes);

    /// <summary>Range tombstones added (<see cref="ValueKind.RangeDeletion"/>).</summary>
    public long NumRangeDeletes => Volatile.Read(ref _numRangeDeletes);

    public bool IsEmpty => NumEntries == 0;

    /// <summary>
    /// The smallest sequence number added, 0 when empty. The write path adds in sequence order, so this
    /// is the first entry's (RocksDB's first_seqno).
    /// </summary>
    public ulong FirstSequence => Volatile.Read(ref _firstSequence);

    /// <summary>The largest sequence number added, 0 when empty.</summary>
    public ulong LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>
    /// Adds an entry, encoding its internal key straight into the arena. A
    /// <see cref="ValueKind.RangeDeletion"/> goes to the range tombstone list: <paramref name="userKey"/> is
    /// the start of the range and <paramref name="value"/> its exclusive end.
    /// </summary>
    /// <param name="sequence">The entry's sequence number, at most <see cref="InternalKey.MaxSequence"/>.</param>
    /// <param name="kind">What the entry is.</param>
    /// <param name="userKey">The user key.</param>
    /// <param name="value">The value; empty for tombstones.</param>
    /// <remarks>REQUIRES: the caller is the only writer; (userKey, sequence, kind) was not added before.</remarks>
    public void Add(ulong sequence, ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value)
    {
        Debug.Assert(sequence <= InternalKey.MaxSequence, "sequence number above 2^56 - 1");
        if (kind == ValueKind.RangeDeletion && Comparator.UserComparator.Compare(userKey, value) >= 0)
        {
            return; // an empty range deletes nothing; RocksDB's inserter drops it too (the write path refuses end < begin)
        }

        SkipList list = kind == ValueKind.RangeDeletion ? _rangeDeletions : _table;
        byte* node = list.AllocateNode(userKey.Length + InternalKey.TrailerSize, value.Length, out Span<byte> key, out Span<byte> destination);
        InternalKey.Write(key, userKey, sequence, kind);
        value.CopyTo(destination);
        list.Insert(node);

        if (kind is ValueKind.Deletion or ValueKind.SingleDeletion or ValueKind.DeletionWithTimestamp)
        {
            Volatile.Write(ref _numDeletes, _numDeletes + 1);
        }
        else if (kind == ValueKind.RangeDeletion)
        {
            Volatile.Write(ref _numRangeDeletes, _numRangeDeletes + 1);
        }

        if (_numEntries == 0 || sequence < _firstSequence)
        {
            Volatile.Write(ref _firstSequence, sequence);
        }

        if (sequence > _lastSequence)
        {
            Volatile.Write(ref _lastSequence, sequence);
        }

        Volatile.Write(ref _numEntries, _numEntries + 1);
    }

    /// <summary>
    /// Finds the newest entry of <paramref name="userKey"/> whose sequence is at most
    /// <paramref name="snapshotSequence"/>. Range tombstones are not consulted: the caller applies them.
    /// </summary>
    /// <param name="userKey">The key to look up.</param>
    /// <param name="snapshotSequence">The read's snapshot: newer entries are invisible.</param>
    /// <param name="kind">The entry's kind: a value, a tombstone or a merge operand.</param>
    /// <param name="value">The entry's value, a span into the arena valid while the caller holds a reference.</param>
    /// <param name="sequence">The entry's sequence number.</param>
    /// <returns>Whether such an entry exists.</returns>
    /// <remarks>
    /// For a merge operand the caller collects older operands with an iterator seeked to
    /// (userKey, snapshotSequence, <see cref="InternalKey.KindForSeek"/>); the versions of one user key are
    /// adjacent, newest first. Allocates nothing for user keys up to 248 bytes; longer ones rent a pooled buffer.
    /// </remarks>
    [SkipLocalsInit] // the seek key is written in full before it is read
    public bool TryGetEntry(ReadOnlySpan<byte> userKey, ulong snapshotSequence, out ValueKind kind, out ReadOnlySpan<byte> value, out ulong sequence)
    {
        Debug.Assert(snapshotSequence <= InternalKey.MaxSequence, "snapshot above 2^56 - 1");
        int length = userKey.Length + InternalKey.TrailerSize;
        byte[]? rented = null;
        Span<byte> target = length <= StackKeyLimit ? stackalloc byte[StackKeyLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        target = target[..length];
        InternalKey.Write(target, userKey, snapshotSequence, InternalKey.KindForSeek);
        byte* node = _table.FindGreaterOrEqual(target, null);
        if (rented != null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        if (node != null)
        {
            ReadOnlySpan<byte> key = SkipListNode.Key(node);
            ReadOnlySpan<byte> found = InternalKey.UserKey(key);
            if (_bytewise ? found.SequenceEqual(userKey) : Comparator.UserComparator.Compare(found, userKey) == 0)
            {
                ulong trailer = InternalKey.Trailer(key);
                kind = (ValueKind)(byte)trailer;
                sequence = trailer >> 8;
                value = SkipListNode.Value(node);
                return true;
            }
        }

        kind = default;
        value = default;
        sequence = 0;
        return false;
    }

    /// <summary>
    /// The newest sequence, at most <paramref name="snapshotSequence"/>, of a range tombstone in this memtable that
    /// covers <paramref name="userKey"/>; 0 when none does. Every entry of the key older than it is deleted.
    /// </summary>
    /// <remarks>
    /// Walks the tombstones whose start is at or before the key (the list is in start order), so the cost grows
    /// with the number of tombstones; nothing is allocated.
    /// </remarks>
    public ulong MaxCoveringTombstoneSequence(ReadOnlySpan<byte> userKey, ulong snapshotSequence)
    {
        if (NumRangeDeletes == 0)
        {
            return 0;
        }

        KeyComparator user = Comparator.UserComparator;
        ulong max = 0;
        for (byte* node = SkipListNode.Next(_rangeDeletions.Head, 0); node != null; node = SkipListNode.Next(node, 0))
        {
            ReadOnlySpan<byte> key = SkipListNode.Key(node);
            if (user.Compare(InternalKey.UserKey(key), userKey) > 0)
            {
                break;
            }

            ulong sequence = InternalKey.Sequence(key);
            if (sequence <= snapshotSequence && sequence > max && user.Compare(userKey, SkipListNode.Value(node)) < 0)
            {
                max = sequence;
            }
        }

        return max;
    }

    /// <summary>A new iterator over the point entries (everything but range tombstones).</summary>
    /// <remarks>The iterator does not hold a reference: the caller must, for as long as it uses it.</remarks>
    public MemTableIterator NewIterator() => new(_table);

    /// <summary>A new iterator over the range tombstones (key: start#seq,RANGEDEL; value: end), or null when there are none.</summary>
    /// <remarks>The iterator does not hold a reference: the caller must, for as long as it uses it.</remarks>
    public MemTableIterator? NewRangeTombstoneIterator() => NumRangeDeletes == 0 ? null : new(_rangeDeletions);

    /// <summary>True once the last reference was released (the arena is freed).</summary>
    public bool IsReleased => Volatile.Read(ref _refs) <= 0;

    /// <summary>Takes a reference, keeping the arena alive until the matching <see cref="Unref"/>.</summary>
    /// <exception cref="ObjectDisposedException">The last reference was already released.</exception>
    public void Ref()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            ObjectDisposedException.ThrowIf(refs <= 0, this);
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs)
            {
                return;
            }
        }
    }

    /// <summary>Releases a reference; the last one frees the arena.</summary>
    /// <returns>Whether this call released the last reference.</returns>
    /// <exception cref="InvalidOperationException">More releases than references.</exception>
    public bool Unref()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs < 0)
        {
            throw new InvalidOperationException("MemTable.Unref called more often than Ref.");
        }

        if (refs == 0)
        {
            _arena.Dispose();
            return true;
        }

        return false;
    }

    /// <summary>Releases the creator's reference; later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Unref();
        }
    }

    /// <summary>Checks both lists' invariants (see <see cref="SkipList.AssertInvariants"/>); safe concurrently with the writer.</summary>
    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _refs) <= 0, this);
        long entries = NumEntries; // read first: the lists can only have grown since
        _table.AssertInvariants();
        _rangeDeletions.AssertInvariants();
        if (_table.Count + _rangeDeletions.Count < entries)
        {
            throw new InvalidOperationException($"MemTable invariant violated: {entries} entries counted, fewer in the lists.");
        }
    }
}
