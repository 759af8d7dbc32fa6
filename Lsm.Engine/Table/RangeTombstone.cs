namespace Lsm.Engine.Table;

/// <summary>
/// A range deletion from a table's <c>rocksdb.range_del</c> block: every version of every user key in
/// [<see cref="Start"/>, <see cref="End"/>) with a sequence below <see cref="Sequence"/> is deleted.
/// </summary>
internal sealed record RangeTombstone(byte[] Start, byte[] End, ulong Sequence)
{
    public bool Covers(KeyComparator comparator, ReadOnlySpan<byte> userKey) =>
        comparator.Compare(Start, userKey) <= 0 && comparator.Compare(userKey, End) < 0;
}
