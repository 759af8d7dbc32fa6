using System.Buffers.Binary;

namespace Lsm.Engine;

/// <summary>
/// Adds unsigned 64-bit little-endian counters: RocksDB's <c>UInt64AddOperator</c> (same name, same result).
/// </summary>
/// <remarks>
/// Values and operands are 8 bytes, little-endian; the sum wraps on overflow. As in RocksDB, a value or
/// operand of any other length counts as 0 rather than failing the read.
/// </remarks>
public sealed class UInt64AddOperator : MergeOperator
{
    /// <summary>The shared instance (the operator has no state).</summary>
    public static UInt64AddOperator Instance { get; } = new();

    /// <inheritdoc />
    public override string Name => "UInt64AddOperator";

    /// <inheritdoc />
    public override byte[] FullMerge(ReadOnlySpan<byte> key, ReadOnlyMemory<byte>? existingValue, IReadOnlyList<ReadOnlyMemory<byte>> operands)
    {
        ArgumentNullException.ThrowIfNull(operands);
        ulong sum = existingValue is ReadOnlyMemory<byte> existing ? Decode(existing.Span) : 0;
        foreach (ReadOnlyMemory<byte> operand in operands)
        {
            sum = unchecked(sum + Decode(operand.Span));
        }

        byte[] result = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(result, sum);
        return result;
    }

    private static ulong Decode(ReadOnlySpan<byte> value) =>
        value.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(value) : 0;
}
