namespace Lsm.Engine;

/// <summary>
/// A total order over user keys, and the key-shortening helpers that index blocks use.
/// </summary>
/// <remarks>
/// The <see cref="Name"/> is stored in every table's properties and checked when a table is opened, as
/// RocksDB does, so a database is never read with an order it was not written with. Implementations must
/// be thread-safe and stateless.
/// </remarks>
public abstract class KeyComparator
{
    /// <summary>The name stored in table properties, e.g. <c>leveldb.BytewiseComparator</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, equal to or after <paramref name="b"/>.</summary>
    /// <param name="a">The first user key.</param>
    /// <param name="b">The second user key.</param>
    /// <returns>The sign of the comparison.</returns>
    public abstract int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b);

    /// <summary>
    /// Returns a key <c>s</c>, as short as possible, with <paramref name="start"/> &lt;= s &lt; <paramref name="limit"/>
    /// (when start &lt; limit). Returning <paramref name="start"/> itself is always correct.
    /// </summary>
    /// <param name="start">The last key of a block.</param>
    /// <param name="limit">The first key of the next block.</param>
    /// <returns>A separator to store in the index.</returns>
    public virtual byte[] FindShortestSeparator(ReadOnlySpan<byte> start, ReadOnlySpan<byte> limit) => start.ToArray();

    /// <summary>
    /// Returns a key <c>s</c>, as short as possible, with <paramref name="key"/> &lt;= s. Returning the key itself is always correct.
    /// </summary>
    /// <param name="key">The last key of a table.</param>
    /// <returns>A successor to store in the index.</returns>
    public virtual byte[] FindShortSuccessor(ReadOnlySpan<byte> key) => key.ToArray();
}
