using System.Diagnostics;
using Lsm.Engine.Encoding;
using Lsm.Engine.Wal;

namespace Lsm.Engine;

/// <summary>
/// A group of updates applied to the database atomically: all of them or none, in order, under
/// consecutive sequence numbers.
/// </summary>
/// <remarks>
/// <para>
/// The batch is kept in RocksDB's write batch encoding, byte for byte what RocksDB's <c>WriteBatch</c>
/// builds for the same calls; that encoding is what the write-ahead log stores (format-spec.md,
/// section 14.1, "Write batches").
/// </para>
/// <para>
/// Limits: a key is at most <see cref="MaxKeyLength"/> bytes, a value or merge operand at most
/// <see cref="MaxValueLength"/>, the encoded batch at most <see cref="MaxDataSize"/>. Empty keys and
/// values are allowed, as in RocksDB. A call that would break a limit throws
/// <see cref="ArgumentException"/> and leaves the batch unchanged.
/// </para>
/// <para>Not thread-safe. A batch can be reused after <see cref="Clear"/>.</para>
/// </remarks>
public sealed class WriteBatch
{
    /// <summary>The longest key accepted: 8 MiB.</summary>
    /// <remarks>
    /// RocksDB's technical limit is 2^32 − 9 bytes. Keys are copied into index blocks, the MANIFEST and
    /// every comparison, so this engine refuses keys far above any practical use, to catch a value passed
    /// as a key before it reaches a file.
    /// </remarks>
    public const int MaxKeyLength = 8 * 1024 * 1024;

    /// <summary>The longest value or merge operand accepted: 1 GiB.</summary>
    /// <remarks>RocksDB's limit is 2^32 − 1 bytes; values are held in .NET arrays here.</remarks>
    public const int MaxValueLength = 1024 * 1024 * 1024;

    /// <summary>The largest encoded batch: 2,147,483,591 bytes, the longest .NET byte array.</summary>
    public const int MaxDataSize = 0x7FFFFFC7;

    private byte[] _rep;
    private int _length;

    /// <summary>Creates an empty batch.</summary>
    public WriteBatch()
    {
        _rep = new byte[64];
        _length = WriteBatchFormat.HeaderSize;
    }

    private WriteBatch(byte[] rep)
    {
        _rep = rep;
        _length = rep.Length;
    }

    /// <summary>The number of updates in the batch: each put, delete, single delete, merge and range delete counts one.</summary>
    public int Count => (int)Coding.ReadFixed32(_rep.AsSpan(WriteBatchFormat.CountOffset));

    /// <summary>
    /// The size of the encoded batch in bytes, as written to the write-ahead log: a 12-byte header, then
    /// per update a tag, the column family id when not 0, and each key and value with its varint length.
    /// </summary>
    public int DataSize => _length;

    /// <summary>The encoded batch (RocksDB's <c>WriteBatch::Data()</c>); valid until the batch changes.</summary>
    internal ReadOnlySpan<byte> Rep => _rep.AsSpan(0, _length);

    /// <summary>The sequence number of the first update, set when the batch is written.</summary>
    internal ulong Sequence => Coding.ReadFixed64(_rep);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> in the default column family.</summary>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <param name="value">The value: any bytes, possibly empty, at most <see cref="MaxValueLength"/>.</param>
    /// <exception cref="ArgumentException">The key or value is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(WriteBatchTag.Value, 0, key, value, hasValue: true);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> in the column family <paramref name="columnFamily"/>.</summary>
    /// <param name="columnFamily">The column family; not dropped.</param>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <param name="value">The value: any bytes, possibly empty, at most <see cref="MaxValueLength"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="columnFamily"/> is null.</exception>
    /// <exception cref="ArgumentException">The family is dropped, the key or value is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        Add(WriteBatchTag.Value, FamilyId(columnFamily), key, value, hasValue: true);

    /// <summary>Deletes <paramref name="key"/> from the default column family (a tombstone; deleting a missing key is not an error).</summary>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <exception cref="ArgumentException">The key is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Delete(ReadOnlySpan<byte> key) => Add(WriteBatchTag.Deletion, 0, key, default, hasValue: false);

    /// <summary>Deletes <paramref name="key"/> from the column family <paramref name="columnFamily"/>.</summary>
    /// <param name="columnFamily">The column family; not dropped.</param>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="columnFamily"/> is null.</exception>
    /// <exception cref="ArgumentException">The family is dropped, the key is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key) =>
        Add(WriteBatchTag.Deletion, FamilyId(columnFamily), key, default, hasValue: false);

    /// <summary>
    /// Deletes <paramref name="key"/> from the default column family with a single-delete tombstone, which
    /// cancels exactly one older put and then disappears.
    /// </summary>
    /// <remarks>
    /// REQUIRES (as in RocksDB): the key was put at most once since it was last deleted, and is not merged
    /// or mixed with <see cref="Delete(ReadOnlySpan{byte})"/>; otherwise the result is undefined.
    /// </remarks>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <exception cref="ArgumentException">The key is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void SingleDelete(ReadOnlySpan<byte> key) => Add(WriteBatchTag.SingleDeletion, 0, key, default, hasValue: false);

    /// <summary>Single-deletes <paramref name="key"/> in the column family <paramref name="columnFamily"/>; see <see cref="SingleDelete(ReadOnlySpan{byte})"/>.</summary>
    /// <param name="columnFamily">The column family; not dropped.</param>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="columnFamily"/> is null.</exception>
    /// <exception cref="ArgumentException">The family is dropped, the key is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void SingleDelete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key) =>
        Add(WriteBatchTag.SingleDeletion, FamilyId(columnFamily), key, default, hasValue: false);

    /// <summary>Adds the merge operand <paramref name="value"/> for <paramref name="key"/> in the default column family.</summary>
    /// <remarks>The family's merge operator combines the operands when the key is read or compacted.</remarks>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <param name="value">The operand: any bytes, possibly empty, at most <see cref="MaxValueLength"/>.</param>
    /// <exception cref="ArgumentException">The key or operand is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(WriteBatchTag.Merge, 0, key, value, hasValue: true);

    /// <summary>Adds a merge operand for <paramref name="key"/> in the column family <paramref name="columnFamily"/>.</summary>
    /// <param name="columnFamily">The column family; not dropped.</param>
    /// <param name="key">The key: any bytes, possibly empty, at most <see cref="MaxKeyLength"/>.</param>
    /// <param name="value">The operand: any bytes, possibly empty, at most <see cref="MaxValueLength"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="columnFamily"/> is null.</exception>
    /// <exception cref="ArgumentException">The family is dropped, the key or operand is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void Merge(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        Add(WriteBatchTag.Merge, FamilyId(columnFamily), key, value, hasValue: true);

    /// <summary>Deletes every key in [<paramref name="begin"/>, <paramref name="end"/>) from the default column family.</summary>
    /// <remarks>
    /// The batch does not know the family's comparator and does not compare the bounds. A range whose
    /// begin equals its end is empty; RocksDB refuses a batch whose range ends before it begins when
    /// the batch is written (<c>InvalidArgument: end key comes before start key</c>).
    /// </remarks>
    /// <param name="begin">The first key deleted: at most <see cref="MaxKeyLength"/> bytes.</param>
    /// <param name="end">The first key after the range, not deleted: at most <see cref="MaxKeyLength"/> bytes.</param>
    /// <exception cref="ArgumentException">A bound is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void DeleteRange(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end) => AddRange(0, begin, end);

    /// <summary>Deletes every key in [<paramref name="begin"/>, <paramref name="end"/>) from the column family <paramref name="columnFamily"/>.</summary>
    /// <remarks>See <see cref="DeleteRange(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</remarks>
    /// <param name="columnFamily">The column family; not dropped.</param>
    /// <param name="begin">The first key deleted: at most <see cref="MaxKeyLength"/> bytes.</param>
    /// <param name="end">The first key after the range, not deleted: at most <see cref="MaxKeyLength"/> bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="columnFamily"/> is null.</exception>
    /// <exception cref="ArgumentException">The family is dropped, a bound is too long, or the batch would exceed <see cref="MaxDataSize"/>.</exception>
    public void DeleteRange(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end) =>
        AddRange(FamilyId(columnFamily), begin, end);

    /// <summary>Removes every update, keeping the allocated buffer for reuse.</summary>
    public void Clear()
    {
        _rep.AsSpan(0, WriteBatchFormat.HeaderSize).Clear();
        _length = WriteBatchFormat.HeaderSize;
    }

    /// <summary>
    /// Decodes and validates an encoded batch (a WAL record): the header, every record, and the count.
    /// </summary>
    /// <param name="rep">The encoded batch; copied.</param>
    /// <param name="file">The log the batch was read from, for the exception; null when not from a file.</param>
    /// <param name="fileOffset">The offset in <paramref name="file"/> of the log record holding the batch.</param>
    /// <returns>A batch holding a copy of <paramref name="rep"/>.</returns>
    /// <exception cref="CorruptionException">
    /// The batch does not decode. Without <paramref name="file"/>, the offset is the failing record's
    /// offset within the batch; with it, the log record's offset in the file (the message gives both).
    /// </exception>
    /// <exception cref="NotSupportedException">A record this engine cannot apply (see <see cref="WriteBatchReader.TryReadNext"/>).</exception>
    internal static WriteBatch FromRep(ReadOnlySpan<byte> rep, string? file = null, long fileOffset = -1)
    {
        try
        {
            Validate(rep);
        }
        catch (CorruptionException e) when (file is not null)
        {
            throw new CorruptionException($"{e.Reason}, at offset {e.Offset} of the write batch", file, fileOffset, e);
        }
        catch (NotSupportedException e) when (file is not null)
        {
            throw new NotSupportedException($"{file} at offset {fileOffset}: {e.Message}", e);
        }

        if (rep.Length > MaxDataSize)
        {
            throw new NotSupportedException($"A write batch of {rep.Length} bytes is larger than {MaxDataSize}.");
        }

        return new WriteBatch(rep.ToArray());
    }

    /// <summary>Sets the sequence number of the first update (done by the writer that assigns sequences).</summary>
    internal void SetSequence(ulong sequence) => Coding.WriteFixed64(_rep, sequence);

    /// <summary>A reader over the batch's records. REQUIRES: the batch is not changed while it is read.</summary>
    internal WriteBatchReader NewReader() => new(Rep);

    /// <summary>
    /// Appends <paramref name="other"/>'s updates after this batch's, as one batch (group commit); the
    /// sequence number is left as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The result would exceed <see cref="MaxDataSize"/>.</exception>
    internal void Append(WriteBatch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ReadOnlySpan<byte> records = other.Rep[WriteBatchFormat.HeaderSize..];
        int count = other.Count; // read first: other may be this batch
        EnsureRoom(records.Length);
        records.CopyTo(_rep.AsSpan(_length));
        _length += records.Length;
        SetCount(Count + count);
    }

    private static void Validate(ReadOnlySpan<byte> rep)
    {
        var reader = new WriteBatchReader(rep);
        uint found = 0;
        while (reader.TryReadNext(out _))
        {
            found++;
        }

        if (found != reader.Count)
        {
            throw new CorruptionException($"the write batch header counts {reader.Count} records but the batch holds {found}", null, WriteBatchFormat.CountOffset);
        }
    }

    private static uint FamilyId(ColumnFamilyHandle columnFamily)
    {
        ArgumentNullException.ThrowIfNull(columnFamily);
        if (columnFamily.IsDropped)
        {
            throw new ArgumentException($"Column family {columnFamily} has been dropped.", nameof(columnFamily));
        }

        return columnFamily.Id;
    }

    private void AddRange(uint family, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end)
    {
        if (end.Length > MaxKeyLength)
        {
            throw new ArgumentException($"The range end is {end.Length} bytes; keys are limited to {MaxKeyLength} bytes.", nameof(end));
        }

        if (begin.Length > MaxKeyLength)
        {
            throw new ArgumentException($"The range begin is {begin.Length} bytes; keys are limited to {MaxKeyLength} bytes.", nameof(begin));
        }

        Add(WriteBatchTag.RangeDeletion, family, begin, end, hasValue: true);
    }

    private void Add(WriteBatchTag tag, uint family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool hasValue)
    {
        if (key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"The key is {key.Length} bytes; keys are limited to {MaxKeyLength} bytes.", nameof(key));
        }

        if (value.Length > MaxValueLength)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; values are limited to {MaxValueLength} bytes.", nameof(value));
        }

        if (family != 0)
        {
            tag = tag switch
            {
                WriteBatchTag.Value => WriteBatchTag.ColumnFamilyValue,
                WriteBatchTag.Deletion => WriteBatchTag.ColumnFamilyDeletion,
                WriteBatchTag.SingleDeletion => WriteBatchTag.ColumnFamilySingleDeletion,
                WriteBatchTag.Merge => WriteBatchTag.ColumnFamilyMerge,
                WriteBatchTag.RangeDeletion => WriteBatchTag.ColumnFamilyRangeDeletion,
                _ => throw new UnreachableException(),
            };
        }

        long size = 1 + (family != 0 ? Coding.VarintLength(family) : 0)
            + Coding.VarintLength((uint)key.Length) + key.Length
            + (hasValue ? Coding.VarintLength((uint)value.Length) + value.Length : 0);
        EnsureRoom(size);

        Span<byte> output = _rep.AsSpan(_length);
        int n = 0;
        output[n++] = (byte)tag;
        if (family != 0)
        {
            n += Coding.WriteVarint32(output[n..], family);
        }

        n += Coding.WriteVarint32(output[n..], (uint)key.Length);
        key.CopyTo(output[n..]);
        n += key.Length;
        if (hasValue)
        {
            n += Coding.WriteVarint32(output[n..], (uint)value.Length);
            value.CopyTo(output[n..]);
            n += value.Length;
        }

        Debug.Assert(n == size, "record size miscomputed");
        _length += n;
        SetCount(Count + 1);
    }

    private void SetCount(int count) => Coding.WriteFixed32(_rep.AsSpan(WriteBatchFormat.CountOffset), (uint)count);

    private void EnsureRoom(long bytes)
    {
        long needed = _length + bytes;
        if (needed > MaxDataSize)
        {
            throw new ArgumentException($"The write batch would grow to {needed} bytes; batches are limited to {MaxDataSize} bytes.");
        }

        if (needed > _rep.Length)
        {
            Array.Resize(ref _rep, (int)Math.Clamp(2L * _rep.Length, needed, MaxDataSize));
        }
    }
}
