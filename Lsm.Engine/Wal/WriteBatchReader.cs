using Lsm.Engine.Encoding;

namespace Lsm.Engine.Wal;

/// <summary>One record of a write batch, as <see cref="WriteBatchReader"/> decodes it; its spans point into the batch.</summary>
/// <remarks>
/// Fields by tag: a put or merge has <see cref="Key"/> and <see cref="Value"/>; a delete only
/// <see cref="Key"/>; a range delete the begin in <see cref="Key"/> and the end in <see cref="Value"/>;
/// <see cref="WriteBatchTag.LogData"/> its blob in <see cref="Value"/>; a transaction marker its id in
/// <see cref="Key"/> (and a commit timestamp in <see cref="Value"/>).
/// </remarks>
internal readonly ref struct WriteBatchRecord
{
    public WriteBatchRecord(WriteBatchTag tag, uint columnFamilyId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int offset)
    {
        Tag = tag;
        ColumnFamilyId = columnFamilyId;
        Key = key;
        Value = value;
        Offset = offset;
    }

    /// <summary>The record's tag as stored.</summary>
    public WriteBatchTag Tag { get; }

    /// <summary>The column family (0 for the plain tags).</summary>
    public uint ColumnFamilyId { get; }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The record's offset within the batch (its tag byte).</summary>
    public int Offset { get; }

    /// <summary>Whether the record counts in the batch header and takes a sequence number.</summary>
    public bool IsCounted => WriteBatchFormat.IsCounted(Tag);

    /// <summary>The kind of the entry the record becomes. REQUIRES: <see cref="IsCounted"/>.</summary>
    public ValueKind Kind => WriteBatchFormat.KindOf(Tag);
}

/// <summary>
/// Decodes a write batch's records in order, without allocating (format-spec.md, section 14.1,
/// "Write batches").
/// </summary>
/// <remarks>
/// Every length is checked against the batch before it is used: malformed input ends in a
/// <see cref="CorruptionException"/> whose offset is the record's offset within the batch (no file: the
/// caller knows which log record it came from), never in an out-of-range access.
/// </remarks>
internal ref struct WriteBatchReader
{
    private readonly ReadOnlySpan<byte> _rep;
    private int _position;

    /// <summary>Starts reading <paramref name="rep"/> after its header.</summary>
    /// <exception cref="CorruptionException">The batch is shorter than its header.</exception>
    public WriteBatchReader(ReadOnlySpan<byte> rep)
    {
        if (rep.Length < WriteBatchFormat.HeaderSize)
        {
            throw new CorruptionException($"a write batch of {rep.Length} bytes, shorter than its {WriteBatchFormat.HeaderSize}-byte header", null, 0);
        }

        _rep = rep;
        _position = WriteBatchFormat.HeaderSize;
    }

    /// <summary>The sequence number of the batch's first counted record.</summary>
    public readonly ulong Sequence => Coding.ReadFixed64(_rep);

    /// <summary>The record count stored in the header.</summary>
    public readonly uint Count => Coding.ReadFixed32(_rep[WriteBatchFormat.CountOffset..]);

    /// <summary>
    /// Reads the next record that changes data (a counted record), skipping <see cref="WriteBatchTag.Noop"/>
    /// and <see cref="WriteBatchTag.LogData"/>.
    /// </summary>
    /// <returns>False at the end of the batch.</returns>
    /// <exception cref="CorruptionException">A malformed record.</exception>
    /// <exception cref="NotSupportedException">
    /// A record this engine cannot apply: a blob index, a wide-column entity, a timed put, or a
    /// transaction marker (RocksDB TransactionDB with two-phase commit).
    /// </exception>
    public bool TryReadNext(out WriteBatchRecord record)
    {
        while (TryReadAny(out record))
        {
            switch (record.Tag)
            {
                case WriteBatchTag.Noop or WriteBatchTag.LogData:
                    continue;
                case WriteBatchTag.Value or WriteBatchTag.ColumnFamilyValue
                    or WriteBatchTag.Deletion or WriteBatchTag.ColumnFamilyDeletion
                    or WriteBatchTag.SingleDeletion or WriteBatchTag.ColumnFamilySingleDeletion
                    or WriteBatchTag.RangeDeletion or WriteBatchTag.ColumnFamilyRangeDeletion
                    or WriteBatchTag.Merge or WriteBatchTag.ColumnFamilyMerge:
                    return true;
                default:
                    throw Unsupported(record.Tag, record.Offset);
            }
        }

        return false;
    }

    /// <summary>Reads the next record of any tag RocksDB writes, structurally decoded: for inspection.</summary>
    /// <returns>False at the end of the batch.</returns>
    /// <exception cref="CorruptionException">An unknown tag or a malformed record.</exception>
    public bool TryReadAny(out WriteBatchRecord record)
    {
        record = default;
        if (_position >= _rep.Length)
        {
            return false;
        }

        int start = _position;
        ReadOnlySpan<byte> input = _rep[start..];
        byte tagByte = input[0];
        int fields = WriteBatchFormat.FieldCount(tagByte);
        if (fields < 0)
        {
            throw Corrupt(start, $"unknown write batch tag 0x{tagByte:X2}");
        }

        var tag = (WriteBatchTag)tagByte;
        int position = 1;
        uint family = 0;
        if (WriteBatchFormat.HasColumnFamily(tag))
        {
            int n = Coding.ReadVarint32(input[position..], out family);
            if (n == 0)
            {
                throw Corrupt(start, $"a bad column family id in a {tag} record");
            }

            position += n;
        }

        ReadOnlySpan<byte> first = default;
        ReadOnlySpan<byte> second = default;
        if ((fields >= 1 && !TryReadField(input, ref position, out first))
            || (fields == 2 && !TryReadField(input, ref position, out second)))
        {
            throw Corrupt(start, $"a {tag} record whose lengths run past the end of the batch");
        }

        _position = start + position;
        record = tag switch
        {
            WriteBatchTag.LogData => new WriteBatchRecord(tag, family, default, first, start),
            WriteBatchTag.CommitXidAndTimestamp => new WriteBatchRecord(tag, family, second, first, start), // stored: timestamp, id
            _ => new WriteBatchRecord(tag, family, first, second, start),
        };
        return true;
    }

    private static bool TryReadField(ReadOnlySpan<byte> input, scoped ref int position, out ReadOnlySpan<byte> field)
    {
        field = default;
        int n = Coding.ReadVarint32(input[position..], out uint length);
        if (n == 0 || length > (uint)(input.Length - position - n))
        {
            return false;
        }

        field = input.Slice(position + n, (int)length);
        position += n + (int)length;
        return true;
    }

    private static CorruptionException Corrupt(int offset, string reason) => new(reason, null, offset);

    private static NotSupportedException Unsupported(WriteBatchTag tag, int offset)
    {
        string what = tag switch
        {
            WriteBatchTag.BlobIndex or WriteBatchTag.ColumnFamilyBlobIndex => "a BlobDB blob index, which this engine cannot resolve",
            WriteBatchTag.WideColumnEntity or WriteBatchTag.ColumnFamilyWideColumnEntity => "a wide-column entity, which this engine does not store",
            WriteBatchTag.ValuePreferredSeqno or WriteBatchTag.ColumnFamilyValuePreferredSeqno => "a timed put (value with write time), which this engine does not store",
            _ => "a two-phase-commit transaction marker (RocksDB TransactionDB), which this engine does not replay",
        };
        return new NotSupportedException($"Write batch record at batch offset {offset} has tag 0x{(byte)tag:X2} ({tag}): {what}.");
    }
}
