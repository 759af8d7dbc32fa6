namespace Lsm.Engine;

/// <summary>
/// Appends each operand to the existing value with a delimiter between them: RocksDB's
/// <c>StringAppendOperator</c> (same name, same result).
/// </summary>
/// <remarks>With no existing value the result is the operands joined by the delimiter.</remarks>
public sealed class StringAppendOperator : MergeOperator
{
    private readonly byte[] _delimiter;

    /// <summary>Creates the operator with a one-character delimiter, as RocksDB's does. Default: ','.</summary>
    /// <param name="delimiter">The byte placed between values.</param>
    public StringAppendOperator(byte delimiter = (byte)',')
    {
        _delimiter = [delimiter];
    }

    /// <inheritdoc />
    public override string Name => "StringAppendOperator";

    /// <inheritdoc />
    public override byte[] FullMerge(ReadOnlySpan<byte> key, ReadOnlyMemory<byte>? existingValue, IReadOnlyList<ReadOnlyMemory<byte>> operands)
    {
        ArgumentNullException.ThrowIfNull(operands);
        int length = existingValue?.Length ?? 0;
        bool first = existingValue is null;
        foreach (ReadOnlyMemory<byte> operand in operands)
        {
            length += operand.Length + (first ? 0 : _delimiter.Length);
            first = false;
        }

        byte[] result = new byte[length];
        int at = 0;
        first = existingValue is null;
        if (existingValue is ReadOnlyMemory<byte> existing)
        {
            existing.Span.CopyTo(result);
            at = existing.Length;
        }

        foreach (ReadOnlyMemory<byte> operand in operands)
        {
            if (!first)
            {
                _delimiter.CopyTo(result, at);
                at += _delimiter.Length;
            }

            operand.Span.CopyTo(result.AsSpan(at));
            at += operand.Length;
            first = false;
        }

        return result;
    }
}
