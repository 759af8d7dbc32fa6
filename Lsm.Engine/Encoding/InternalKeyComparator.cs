namespace Lsm.Engine.Encoding;

/// <summary>
/// Orders internal keys: user key ascending by the user comparator, then trailer (sequence, kind) descending.
/// </summary>
/// <remarks>Thread-safe and immutable.</remarks>
internal sealed class InternalKeyComparator : IKeyOrder
{
    public InternalKeyComparator(KeyComparator userComparator)
    {
        UserComparator = userComparator;
    }

    public static InternalKeyComparator Bytewise { get; } = new(BytewiseComparator.Instance);

    public KeyComparator UserComparator { get; }

    /// <remarks>REQUIRES: both keys are at least <see cref="InternalKey.TrailerSize"/> bytes.</remarks>
    public int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int c = UserComparator.Compare(InternalKey.UserKey(a), InternalKey.UserKey(b));
        if (c != 0)
        {
            return c;
        }

        return InternalKey.Trailer(b).CompareTo(InternalKey.Trailer(a));
    }
}
