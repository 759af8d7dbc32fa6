namespace Lsm.Engine;

/// <summary>
/// Combines merge operands with a key's existing value, RocksDB-style: a write may record only an operand
/// (an increment, an element to append), and reads and compactions fold the operands into one value.
/// </summary>
/// <remarks>
/// The <see cref="Name"/> is recorded in every table written and must match the one a database was written
/// with, as in RocksDB. Implementations must be thread-safe, deterministic and stateless: the same
/// operands may be merged more than once (by reads and by compactions).
/// </remarks>
public abstract class MergeOperator
{
    /// <summary>The name recorded in table properties, e.g. <c>UInt64AddOperator</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Folds <paramref name="operands"/> (oldest first) onto <paramref name="existingValue"/>.</summary>
    /// <param name="key">The user key being merged.</param>
    /// <param name="existingValue">The value the operands apply to, or null when the key had none (or was deleted).</param>
    /// <param name="operands">The merge operands, oldest first; at least one.</param>
    /// <returns>The merged value.</returns>
    public abstract byte[] FullMerge(ReadOnlySpan<byte> key, ReadOnlyMemory<byte>? existingValue, IReadOnlyList<ReadOnlyMemory<byte>> operands);
}
