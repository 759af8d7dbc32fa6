using System.Buffers.Binary;
using System.Globalization;
using Lsm.Engine;

namespace Lsm.Tool;

/// <summary>Decodes the raw values of a properties block by what RocksDB stores under each name.</summary>
public static class PropertyText
{
    // RocksDB's numeric properties, stored as varint64 (table_properties.cc, block_based_table_builder.cc).
    private static readonly HashSet<string> Varint64 = new(StringComparer.Ordinal)
    {
        "rocksdb.data.size",
        "rocksdb.index.size",
        "rocksdb.index.partitions",
        "rocksdb.top-level.index.size",
        "rocksdb.index.key.is.user.key",
        "rocksdb.index.value.is.delta.encoded",
        "rocksdb.filter.size",
        "rocksdb.raw.key.size",
        "rocksdb.raw.value.size",
        "rocksdb.num.data.blocks",
        "rocksdb.num.entries",
        "rocksdb.num.filter_entries",
        "rocksdb.deleted.keys",
        "rocksdb.merge.operands",
        "rocksdb.num.range-deletions",
        "rocksdb.num.uniform.blocks",
        "rocksdb.format.version",
        "rocksdb.fixed.key.length",
        "rocksdb.column.family.id",
        "rocksdb.creation.time",
        "rocksdb.oldest.key.time",
        "rocksdb.newest.key.time",
        "rocksdb.file.creation.time",
        "rocksdb.original.file.number",
        "rocksdb.tail.start.offset",
        "rocksdb.key.largest.seqno",
        "rocksdb.key.smallest.seqno",
        "rocksdb.data.block.restart.interval",
        "rocksdb.index.block.restart.interval",
        "rocksdb.separate.key.value.in.data.block",
        "rocksdb.num.data.blocks.compression.rejected",
        "rocksdb.num.data.blocks.compression.bypassed",
        "rocksdb.sample_for_compression.slow.data.size",
        "rocksdb.sample_for_compression.fast.data.size",
        "rocksdb.user.defined.timestamps.persisted",
        "rocksdb.udi.is.primary.index",
        "rocksdb.slow.compression.estimated.data.size",
        "rocksdb.fast.compression.estimated.data.size",
    };

    // Fixed-width numbers, little-endian: the block-based table collector's index type and the external-file fields.
    private static readonly HashSet<string> Fixed32 = new(StringComparer.Ordinal)
    {
        "rocksdb.block.based.table.index.type",
        "rocksdb.external_sst_file.version",
    };

    private static readonly HashSet<string> Fixed64 = new(StringComparer.Ordinal)
    {
        "rocksdb.external_sst_file.global_seqno",
    };

    // This engine's own: whole internal keys.
    private static readonly HashSet<string> InternalKeys = new(StringComparer.Ordinal)
    {
        "lsm.smallest.key",
        "lsm.largest.key",
    };

    /// <summary>Whether RocksDB stores <paramref name="name"/> as a number (varint64 or fixed-width).</summary>
    /// <param name="name">The property name.</param>
    /// <returns>True for numeric properties.</returns>
    public static bool IsNumeric(string name) => Varint64.Contains(name) || Fixed32.Contains(name) || Fixed64.Contains(name);

    /// <summary>
    /// The value of property <paramref name="name"/> as text: numbers decoded, internal keys as
    /// <c>user#seq,KIND</c>, text as text, anything else as hex.
    /// </summary>
    /// <param name="name">The property name.</param>
    /// <param name="value">Its raw bytes.</param>
    /// <returns>The text.</returns>
    public static string Format(string name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Varint64.Contains(name))
        {
            return TryReadVarint64(value, out ulong number)
                ? number.ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a varint64)";
        }

        if (Fixed32.Contains(name))
        {
            return value.Length == 4
                ? BinaryPrimitives.ReadUInt32LittleEndian(value).ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a fixed32)";
        }

        if (Fixed64.Contains(name))
        {
            return value.Length == 8
                ? BinaryPrimitives.ReadUInt64LittleEndian(value).ToString(CultureInfo.InvariantCulture)
                : "0x" + Convert.ToHexString(value) + " (not a fixed64)";
        }

        if (InternalKeys.Contains(name))
        {
            return Output.FormatInternalKey(value);
        }

        return Output.FormatBytes(value);
    }

    /// <summary>Reads a varint64 that spans exactly <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The encoding.</param>
    /// <param name="value">The number.</param>
    /// <returns>False when the bytes are not exactly one varint64.</returns>
    public static bool TryReadVarint64(ReadOnlySpan<byte> bytes, out ulong value)
    {
        value = 0;
        int shift = 0;
        for (int i = 0; i < bytes.Length && i < 10; i++)
        {
            byte b = bytes[i];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return i == bytes.Length - 1;
            }

            shift += 7;
        }

        value = 0;
        return false;
    }

    /// <summary>RocksDB's name for an index type (<c>rocksdb.block.based.table.index.type</c>).</summary>
    /// <param name="indexType">The type.</param>
    /// <returns>The name.</returns>
    public static string IndexTypeName(int indexType) => indexType switch
    {
        0 => "binary search",
        1 => "hash search",
        2 => "two-level (partitioned)",
        3 => "binary search with first key",
        _ => "unknown",
    };
}
