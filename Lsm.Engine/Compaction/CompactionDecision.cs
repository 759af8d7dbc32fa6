namespace Lsm.Engine;

/// <summary>What a <see cref="CompactionFilter"/> does with the value it is shown (RocksDB's <c>CompactionFilter::Decision</c>, restricted to values).</summary>
public enum CompactionDecision
{
    /// <summary>The value stays as it is (RocksDB kKeep).</summary>
    Keep,

    /// <summary>
    /// The key is deleted as of the value's sequence number (RocksDB kRemove): the value becomes a deletion, which also
    /// hides the key's older versions; at the bottommost level the deletion itself is then dropped.
    /// </summary>
    Remove,

    /// <summary>The value is replaced by the filter's new value, keeping its sequence number (RocksDB kChangeValue).</summary>
    ChangeValue,
}
