using System.Text;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// Encodes and decodes the properties block: a block of name/value entries sorted by name, with a
/// single restart point (it is always read whole). See format-spec.md, "Properties block".
/// </summary>
internal static class PropertiesBlock
{
    /// <summary>Builds the block contents from raw property values; names are sorted bytewise.</summary>
    public static byte[] Encode(IReadOnlyDictionary<string, byte[]> properties)
    {
        var names = new List<string>(properties.Keys);
        names.Sort(StringComparer.Ordinal);
        using var builder = new BlockBuilder(int.MaxValue);
        foreach (string name in names)
        {
            builder.Add(System.Text.Encoding.UTF8.GetBytes(name), properties[name]);
        }

        return builder.Finish().ToArray();
    }

    public static byte[] Varint(ulong value)
    {
        Span<byte> scratch = stackalloc byte[Coding.MaxVarint64Length];
        return scratch[..Coding.WriteVarint64(scratch, value)].ToArray();
    }

    public static byte[] Fixed32(uint value)
    {
        byte[] bytes = new byte[4];
        Coding.WriteFixed32(bytes, value);
        return bytes;
    }

    public static byte[] Fixed64(ulong value)
    {
        byte[] bytes = new byte[8];
        Coding.WriteFixed64(bytes, value);
        return bytes;
    }

    public static byte[] Text(string value) => System.Text.Encoding.UTF8.GetBytes(value);

    /// <summary>Reads every entry of a properties block into <see cref="TableProperties"/>.</summary>
    /// <exception cref="CorruptionException">An entry is malformed or a numeric property does not decode.</exception>
    public static TableProperties Decode(Block block, int formatVersion)
    {
        var raw = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var iterator = new BlockIterator();
        iterator.Reset(block, UserKeyOrder.Bytewise);
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            string name = System.Text.Encoding.UTF8.GetString(iterator.Key);
            raw[name] = iterator.Value.ToArray();
        }

        ulong Number(string name)
        {
            if (!raw.TryGetValue(name, out ReadOnlyMemory<byte> value))
            {
                return 0;
            }

            int n = Coding.ReadVarint64(value.Span, out ulong number);
            if (n == 0)
            {
                throw new CorruptionException($"property {name} is not a valid varint", block.File, block.FileOffset);
            }

            return number;
        }

        ulong? OptionalNumber(string name) => raw.ContainsKey(name) ? Number(name) : null;

        string Text(string name) =>
            raw.TryGetValue(name, out ReadOnlyMemory<byte> value) ? System.Text.Encoding.UTF8.GetString(value.Span) : "";

        int indexType = raw.TryGetValue(TablePropertyNames.IndexType, out ReadOnlyMemory<byte> it) && it.Length == 4
            ? (int)Coding.ReadFixed32(it.Span)
            : 0;
        int? externalVersion = raw.TryGetValue(TablePropertyNames.ExternalSstFileVersion, out ReadOnlyMemory<byte> ev) && ev.Length == 4
            ? (int)Coding.ReadFixed32(ev.Span)
            : null;
        ulong globalSeqno = raw.TryGetValue(TablePropertyNames.ExternalSstFileGlobalSeqno, out ReadOnlyMemory<byte> gs) && gs.Length == 8
            ? Coding.ReadFixed64(gs.Span)
            : 0;

        return new TableProperties
        {
            DataSize = Number(TablePropertyNames.DataSize),
            IndexSize = Number(TablePropertyNames.IndexSize),
            FilterSize = Number(TablePropertyNames.FilterSize),
            RawKeySize = Number(TablePropertyNames.RawKeySize),
            RawValueSize = Number(TablePropertyNames.RawValueSize),
            NumDataBlocks = Number(TablePropertyNames.NumDataBlocks),
            NumEntries = Number(TablePropertyNames.NumEntries),
            NumFilterEntries = Number(TablePropertyNames.NumFilterEntries),
            NumDeletions = Number(TablePropertyNames.DeletedKeys),
            NumMergeOperands = Number(TablePropertyNames.MergeOperands),
            NumRangeDeletions = Number(TablePropertyNames.NumRangeDeletions),
            FormatVersion = formatVersion,
            ColumnFamilyId = Number(TablePropertyNames.ColumnFamilyId),
            ColumnFamilyName = Text(TablePropertyNames.ColumnFamilyName),
            ComparatorName = Text(TablePropertyNames.Comparator),
            MergeOperatorName = Text(TablePropertyNames.MergeOperator),
            FilterPolicyName = Text(TablePropertyNames.FilterPolicy),
            PrefixExtractorName = Text(TablePropertyNames.PrefixExtractorName),
            CompressionName = Text(TablePropertyNames.Compression),
            CompressionOptions = Text(TablePropertyNames.CompressionOptions),
            CreationTime = Number(TablePropertyNames.CreationTime),
            FileCreationTime = Number(TablePropertyNames.FileCreationTime),
            IndexKeyIsUserKey = Number(TablePropertyNames.IndexKeyIsUserKey) != 0,
            IndexValueIsDeltaEncoded = Number(TablePropertyNames.IndexValueIsDeltaEncoded) != 0,
            IndexType = indexType,
            WholeKeyFiltering = Text(TablePropertyNames.WholeKeyFiltering) != "0",
            SmallestSequence = OptionalNumber(TablePropertyNames.KeySmallestSeqno),
            LargestSequence = OptionalNumber(TablePropertyNames.KeyLargestSeqno),
            ExternalFileVersion = externalVersion,
            ExternalFileGlobalSequence = globalSeqno,
            SmallestKey = raw.TryGetValue(TablePropertyNames.SmallestKey, out ReadOnlyMemory<byte> sk) ? sk : default,
            LargestKey = raw.TryGetValue(TablePropertyNames.LargestKey, out ReadOnlyMemory<byte> lk) ? lk : default,
            Raw = raw,
        };
    }
}
