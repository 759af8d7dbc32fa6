namespace Lsm.Engine.Encoding;

/// <summary>
/// A cursor over entries keyed by internal key (user key + trailer), in internal-key order: the common shape
/// of memtable, table, merging and level iterators, so they stack.
/// </summary>
/// <remarks>
/// Not thread-safe. <see cref="Key"/> and <see cref="Value"/> are valid until the next move. Seeks take
/// internal keys: to find the newest version of a user key visible at sequence s, seek to (key, s, KindForSeek).
/// </remarks>
internal interface IInternalIterator
{
    bool Valid { get; }

    ReadOnlySpan<byte> Key { get; }

    ReadOnlySpan<byte> Value { get; }

    void SeekToFirst();

    void SeekToLast();

    /// <summary>Positions at the first entry at or after <paramref name="target"/>.</summary>
    void Seek(ReadOnlySpan<byte> target);

    /// <summary>Positions at the last entry at or before <paramref name="target"/>.</summary>
    void SeekForPrev(ReadOnlySpan<byte> target);

    void Next();

    void Prev();
}
