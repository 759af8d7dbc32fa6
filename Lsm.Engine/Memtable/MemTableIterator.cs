using Lsm.Engine.Encoding;

namespace Lsm.Engine.Memtable;

/// <summary>
/// A cursor over a <see cref="SkipList"/> (a memtable's entries or its range tombstones) in internal-key order.
/// </summary>
/// <remarks>
/// <para>Not thread-safe, but any number of iterators may run concurrently with each other and with the
/// memtable's writer: an iterator sees every entry published before its current move and may or may not
/// see entries inserted concurrently. Moves allocate nothing.</para>
/// <para><see cref="Key"/> and <see cref="Value"/> are spans over the arena's native memory. They stay
/// valid after the next move, for as long as the memtable is referenced (entries never move); the
/// <see cref="IInternalIterator"/> contract promises only until the next move. REQUIRES: the caller holds a
/// reference to the memtable (<see cref="MemTable.Ref"/>) for the iterator's whole use.</para>
/// <para><see cref="Next"/> follows one link; <see cref="Prev"/> is a search from the head for the last
/// key before the current one, O(log n), as in leveldb: the list has no backward links.</para>
/// </remarks>
internal sealed unsafe class MemTableIterator : IInternalIterator
{
    private readonly SkipList _list;
    private byte* _node;

    internal MemTableIterator(SkipList list)
    {
        _list = list;
    }

    public bool Valid => _node != null;

    /// <summary>The current internal key; empty when not <see cref="Valid"/>.</summary>
    public ReadOnlySpan<byte> Key => _node == null ? default : SkipListNode.Key(_node);

    /// <summary>The current value; empty when not <see cref="Valid"/>.</summary>
    public ReadOnlySpan<byte> Value => _node == null ? default : SkipListNode.Value(_node);

    public void SeekToFirst() => _node = SkipListNode.Next(_list.Head, 0);

    public void SeekToLast() => _node = OrNull(_list.FindLast());

    public void Seek(ReadOnlySpan<byte> target) => _node = _list.FindGreaterOrEqual(target, null);

    public void SeekForPrev(ReadOnlySpan<byte> target) => _node = OrNull(_list.FindLessOrEqual(target));

    /// <remarks>Does nothing when not <see cref="Valid"/>.</remarks>
    public void Next()
    {
        if (_node != null)
        {
            _node = SkipListNode.Next(_node, 0);
        }
    }

    /// <remarks>Does nothing when not <see cref="Valid"/>.</remarks>
    public void Prev()
    {
        if (_node != null)
        {
            _node = OrNull(_list.FindLessThan(SkipListNode.Key(_node)));
        }
    }

    private byte* OrNull(byte* node) => node == _list.Head ? null : node;
}
