using Lsm.Engine.Encoding;

namespace Lsm.Engine.Tests.Compaction;

/// <summary>An <see cref="IInternalIterator"/> over an in-memory list of entries, sorted on construction: a compaction's input in tests.</summary>
internal sealed class ListIterator : IInternalIterator
{
    private readonly List<(byte[] Key, byte[] Value)> _entries;
    private readonly InternalKeyComparator _order;
    private int _index = -1;

    public ListIterator(IEnumerable<(byte[] Key, byte[] Value)> entries, InternalKeyComparator? order = null)
    {
        _order = order ?? InternalKeyComparator.Bytewise;
        _entries = [.. entries];
        _entries.Sort((a, b) => _order.Compare(a.Key, b.Key));
    }

    public bool Valid => _index >= 0 && _index < _entries.Count;

    public ReadOnlySpan<byte> Key => _entries[_index].Key;

    public ReadOnlySpan<byte> Value => _entries[_index].Value;

    public void SeekToFirst() => _index = 0;

    public void SeekToLast() => _index = _entries.Count - 1;

    public void Seek(ReadOnlySpan<byte> target)
    {
        _index = 0;
        while (_index < _entries.Count && _order.Compare(_entries[_index].Key, target) < 0)
        {
            _index++;
        }
    }

    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        _index = _entries.Count - 1;
        while (_index >= 0 && _order.Compare(_entries[_index].Key, target) > 0)
        {
            _index--;
        }
    }

    public void Next() => _index++;

    public void Prev() => _index--;
}
