namespace Lsm.Engine.Encoding;

/// <summary>A total order over the keys stored in one kind of block.</summary>
internal interface IKeyOrder
{
    int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b);
}

/// <summary>Orders raw keys by a user comparator: index blocks with user keys, metaindex and properties blocks.</summary>
internal sealed class UserKeyOrder(KeyComparator comparator) : IKeyOrder
{
    public static UserKeyOrder Bytewise { get; } = new(BytewiseComparator.Instance);

    public KeyComparator Comparator { get; } = comparator;

    public int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Comparator.Compare(a, b);
}
