using System.Security.Cryptography;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Table;

/// <summary>
/// Writes a block-based table, RocksDB's format, from internal keys added in sorted order.
/// </summary>
/// <remarks>
/// File layout (see format-spec.md, "SST files"):
/// <code>
/// [data block 1] ... [data block N]   each: contents | compression type u8 | checksum u32
/// [filter block]                      full Bloom filter over user keys, when enabled
/// [index block]                       one entry per data block: separator key -> block handle
/// [properties block]
/// [metaindex block]                   meta block name -> handle (filter, properties, index from v6)
/// [footer]                            53 bytes
/// </code>
/// Not thread-safe. REQUIRES: keys are added in strictly increasing internal-key order. The caller
/// owns the file: <see cref="Finish"/> flushes but does not sync, so the caller decides durability.
/// </remarks>
internal sealed class TableBuilder : IDisposable
{
    private readonly IWritableFile _file;
    private readonly TableOptions _options;
    private readonly TableBuilderContext _context;
    private readonly InternalKeyComparator _comparator;
    private readonly BlockBuilder _dataBlock;
    private BlockBuilder? _rangeDeletions;   // the rocksdb.range_del meta block, when any range deletion is added
    private readonly FullFilterBuilder? _filter;
    private readonly ByteBuffer _compressed = new(8192);
    private readonly List<(byte[] Separator, BlockHandle Handle)> _index = [];
    private readonly uint _baseContextChecksum;
    private readonly int _deviationLimit;

    private byte[]? _pendingLastKey;     // last key of the block just written, awaiting the next block's first key
    private BlockHandle _pendingHandle;
    private byte[] _lastKeyBuffer = new byte[64];
    private int _lastKeyLength;
    private byte[]? _smallestKey;
    private ulong _offset;

    // Index keys can drop their sequence numbers unless some block boundary falls between two versions of
    // the same user key; then every index key keeps its full internal key (RocksDB's rule from format 3).
    private bool _indexNeedsSequence;
    private bool _finished;

    // Properties gathered as entries arrive.
    private ulong _numEntries;
    private ulong _numDeletions;
    private ulong _numMerges;
    private ulong _numRangeDeletions;
    private ulong _rawKeySize;
    private ulong _rawValueSize;
    private ulong _dataSize;
    private ulong _numDataBlocks;
    private ulong _smallestSeq = ulong.MaxValue;
    private ulong _largestSeq;

    public TableBuilder(IWritableFile file, TableOptions options, TableBuilderContext context)
    {
        options.Validate();
        _file = file;
        _options = options;
        _context = context;
        _comparator = new InternalKeyComparator(options.Comparator);
        _dataBlock = new BlockBuilder(options.BlockRestartInterval);
        _filter = options.BloomBitsPerKey > 0 ? new FullFilterBuilder(options.BloomBitsPerKey) : null;
        _deviationLimit = (int)(((long)options.BlockSize * 90 + 99) / 100); // 10% deviation, rounded up as RocksDB does
        if (options.FormatVersion >= 6)
        {
            // Non-zero and random, so that a block copied from another file does not verify here.
            do
            {
                _baseContextChecksum = (uint)RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
            }
            while (_baseContextChecksum == 0);
        }
    }

    public ulong NumEntries => _numEntries;

    private ReadOnlySpan<byte> LastKey => _lastKeyBuffer.AsSpan(0, _lastKeyLength);

    /// <summary>Bytes written so far (the final size once <see cref="Finish"/> returns).</summary>
    public ulong FileSize => _offset;

    /// <summary>
    /// Adds an entry. <paramref name="internalKey"/> is a user key plus its 8-byte trailer. A range deletion
    /// (kind <see cref="ValueKind.RangeDeletion"/>, the value being the exclusive end user key) goes to the
    /// range-deletion meta block, in the order given; every other kind must come in increasing key order.
    /// </summary>
    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        if (_finished)
        {
            throw new InvalidOperationException("The table is already finished.");
        }

        if (internalKey.Length < InternalKey.TrailerSize)
        {
            throw new ArgumentException("An internal key has at least 8 bytes.", nameof(internalKey));
        }

        if (InternalKey.Kind(internalKey) == ValueKind.RangeDeletion)
        {
            AddRangeDeletion(internalKey, value);
            return;
        }

        if (_smallestKey is not null && _comparator.Compare(internalKey, LastKey) <= 0)
        {
            throw new ArgumentException("Keys must be added in strictly increasing order.", nameof(internalKey));
        }

        if (!_dataBlock.IsEmpty && BlockIsFull(internalKey.Length, value.Length))
        {
            FlushDataBlock();
        }

        if (_pendingLastKey is not null)
        {
            AddIndexEntry(_pendingLastKey, internalKey, _pendingHandle);
            _pendingLastKey = null;
        }

        ReadOnlySpan<byte> userKey = InternalKey.UserKey(internalKey);
        ValueKind kind = InternalKey.Kind(internalKey);
        ulong sequence = InternalKey.Sequence(internalKey);
        _filter?.AddKey(userKey);
        _dataBlock.Add(internalKey, value);

        if (_lastKeyBuffer.Length < internalKey.Length)
        {
            _lastKeyBuffer = new byte[Math.Max(internalKey.Length, _lastKeyBuffer.Length * 2)];
        }

        internalKey.CopyTo(_lastKeyBuffer);
        _lastKeyLength = internalKey.Length;
        _smallestKey ??= internalKey.ToArray();
        _numEntries++;
        _rawKeySize += (ulong)internalKey.Length;
        _rawValueSize += (ulong)value.Length;
        _smallestSeq = Math.Min(_smallestSeq, sequence);
        _largestSeq = Math.Max(_largestSeq, sequence);
        switch (kind)
        {
            case ValueKind.Deletion or ValueKind.SingleDeletion or ValueKind.DeletionWithTimestamp:
                _numDeletions++;
                break;
            case ValueKind.Merge:
                _numMerges++;
                break;
        }
    }

    private void AddRangeDeletion(ReadOnlySpan<byte> startInternalKey, ReadOnlySpan<byte> endUserKey)
    {
        _rangeDeletions ??= new BlockBuilder(1);
        _rangeDeletions.Add(startInternalKey, endUserKey);
        ulong sequence = InternalKey.Sequence(startInternalKey);
        _smallestSeq = Math.Min(_smallestSeq, sequence);
        _largestSeq = Math.Max(_largestSeq, sequence);
        _numEntries++;
        _numDeletions++;
        _numRangeDeletions++;
        _rawKeySize += (ulong)startInternalKey.Length;
        _rawValueSize += (ulong)endUserKey.Length;
    }

    /// <summary>Writes the remaining data, the meta blocks and the footer; returns the table's properties.</summary>
    public TableProperties Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException("The table is already finished.");
        }

        if (!_dataBlock.IsEmpty)
        {
            FlushDataBlock();
        }

        if (_pendingLastKey is not null)
        {
            // The last block's index key is its last key itself (RocksDB's kShortenSeparators mode).
            _index.Add((_pendingLastKey, _pendingHandle));
            _pendingLastKey = null;
        }

        ulong tailStart = _offset;
        var metaindex = new SortedDictionary<string, BlockHandle>(StringComparer.Ordinal);

        ulong filterSize = 0;
        ulong filterEntries = 0;
        if (_filter is not null && _filter.KeyCount > 0)
        {
            filterEntries = (ulong)_filter.KeyCount; // before Finish, which resets the builder
            byte[] filter = _filter.FinishRented(out int filterLength);
            filterSize = (ulong)filterLength;
            metaindex[FilterPolicyNames.FullFilterMetaIndexKey] = WriteRawBlock(filter.AsSpan(0, filterLength), CompressionType.None);
            System.Buffers.ArrayPool<byte>.Shared.Return(filter);
        }

        bool indexKeysAreInternal = _indexNeedsSequence;
        BlockHandle indexHandle = WriteIndexBlock(indexKeysAreInternal, out int indexLength);
        if (_options.FormatVersion >= 6)
        {
            metaindex[TableFormat.IndexBlockName] = indexHandle;
        }

        if (_rangeDeletions is not null)
        {
            metaindex[TableFormat.RangeDelBlockName] = WriteRawBlock(_rangeDeletions.Finish(), CompressionType.None);
        }

        byte[] properties = PropertiesBlock.Encode(CollectProperties(
            indexLength, indexKeysAreInternal, filterSize, filterEntries, tailStart));
        metaindex[TableFormat.PropertiesBlockName] = WriteRawBlock(properties, CompressionType.None);

        using var metaBuilder = new BlockBuilder(1);
        foreach ((string name, BlockHandle handle) in metaindex)
        {
            metaBuilder.Add(System.Text.Encoding.UTF8.GetBytes(name), handle.Encode());
        }

        BlockHandle metaindexHandle = WriteRawBlock(metaBuilder.Finish(), CompressionType.None);
        byte[] footer = Footer.Encode(
            _options.Checksum, _options.FormatVersion, metaindexHandle, indexHandle, _baseContextChecksum, _offset);
        _file.Append(footer);
        _offset += (ulong)footer.Length;
        _file.Flush();
        _finished = true;

        // The properties as a reader will see them.
        return PropertiesBlock.Decode(Block.Parse(properties, properties.Length, _file.Name, 0), _options.FormatVersion);
    }

    /// <summary>
    /// RocksDB's flush-by-size policy: a block is full at the target size, or once past 90% of it when the
    /// next entry would take it over.
    /// </summary>
    private bool BlockIsFull(int keyLength, int valueLength)
    {
        int current = _dataBlock.CurrentSizeEstimate;
        if (current >= _options.BlockSize)
        {
            return true;
        }

        return current > _deviationLimit && _dataBlock.EstimateSizeAfter(keyLength, valueLength) > _options.BlockSize;
    }

    private void FlushDataBlock()
    {
        ReadOnlySpan<byte> contents = _dataBlock.Finish();
        BlockHandle handle = WriteBlock(contents, _options.Compression);
        _dataSize += handle.Size + TableFormat.BlockTrailerSize;
        _numDataBlocks++;
        _pendingLastKey = _dataBlock.LastKey.ToArray();
        _pendingHandle = handle;
        _dataBlock.Reset();
    }

    /// <summary>Records the separator between two blocks: a short key k with last &lt;= k &lt; next.</summary>
    private void AddIndexEntry(byte[] lastKeyInBlock, ReadOnlySpan<byte> firstKeyInNextBlock, BlockHandle handle)
    {
        ReadOnlySpan<byte> userStart = InternalKey.UserKey(lastKeyInBlock);
        ReadOnlySpan<byte> userLimit = InternalKey.UserKey(firstKeyInNextBlock);
        if (_options.Comparator.Compare(userStart, userLimit) == 0)
        {
            // Two versions of one user key straddle the boundary: a user key alone cannot tell the blocks apart.
            _indexNeedsSequence = true;
        }

        byte[] shortened = _options.Comparator.FindShortestSeparator(userStart, userLimit);
        byte[] separator = lastKeyInBlock;
        if (shortened.Length <= userStart.Length && _options.Comparator.Compare(userStart, shortened) < 0)
        {
            // Shorter physically but larger logically: tack on the earliest possible trailer.
            separator = InternalKey.Create(shortened, InternalKey.MaxSequence, InternalKey.KindForSeek);
        }

        _index.Add((separator, handle));
    }

    /// <remarks>
    /// The index has restart interval 1, so every entry stores its whole key and whole handle; from format
    /// version 4 its entries omit the value length (the handle's varints delimit themselves).
    /// </remarks>
    private BlockHandle WriteIndexBlock(bool internalKeys, out int length)
    {
        using var builder = new BlockBuilder(1, valueDeltaEncoding: _options.FormatVersion >= 4);
        Span<byte> encoded = stackalloc byte[BlockHandle.MaxEncodedLength];
        foreach ((byte[] separator, BlockHandle handle) in _index)
        {
            ReadOnlySpan<byte> key = internalKeys ? separator : InternalKey.UserKey(separator);
            builder.Add(key, encoded[..handle.EncodeTo(encoded)]);
        }

        ReadOnlySpan<byte> block = builder.Finish();
        length = block.Length;
        return WriteRawBlock(block, CompressionType.None); // written from the builder's pooled buffer: no copy
    }

    private Dictionary<string, byte[]> CollectProperties(
        int indexSize, bool indexKeysAreInternal, ulong filterSize, ulong filterEntries, ulong tailStart)
    {
        bool external = _context.IsExternal;
        var p = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [TablePropertyNames.OriginalFileNumber] = PropertiesBlock.Varint(_context.FileNumber),
            [TablePropertyNames.RawKeySize] = PropertiesBlock.Varint(_rawKeySize),
            [TablePropertyNames.RawValueSize] = PropertiesBlock.Varint(_rawValueSize),
            [TablePropertyNames.DataSize] = PropertiesBlock.Varint(_dataSize),
            [TablePropertyNames.IndexSize] = PropertiesBlock.Varint((ulong)indexSize + TableFormat.BlockTrailerSize),
            [TablePropertyNames.IndexKeyIsUserKey] = PropertiesBlock.Varint(indexKeysAreInternal ? 0UL : 1UL),
            [TablePropertyNames.IndexValueIsDeltaEncoded] = PropertiesBlock.Varint(_options.FormatVersion >= 4 ? 1UL : 0UL),
            [TablePropertyNames.NumEntries] = PropertiesBlock.Varint(_numEntries),
            [TablePropertyNames.NumFilterEntries] = PropertiesBlock.Varint(filterEntries),
            [TablePropertyNames.DeletedKeys] = PropertiesBlock.Varint(_numDeletions),
            [TablePropertyNames.MergeOperands] = PropertiesBlock.Varint(_numMerges),
            [TablePropertyNames.NumRangeDeletions] = PropertiesBlock.Varint(_numRangeDeletions),
            [TablePropertyNames.NumDataBlocks] = PropertiesBlock.Varint(_numDataBlocks),
            [TablePropertyNames.NumUniformBlocks] = PropertiesBlock.Varint(0),
            [TablePropertyNames.FilterSize] = PropertiesBlock.Varint(filterSize),
            [TablePropertyNames.FormatVersion] = PropertiesBlock.Varint((ulong)_options.FormatVersion),
            [TablePropertyNames.FixedKeyLength] = PropertiesBlock.Varint(0),
            [TablePropertyNames.ColumnFamilyId] = PropertiesBlock.Varint(_context.ColumnFamilyId),
            [TablePropertyNames.CreationTime] = PropertiesBlock.Varint(_context.CreationTime),
            [TablePropertyNames.OldestKeyTime] = PropertiesBlock.Varint(0),
            [TablePropertyNames.NewestKeyTime] = PropertiesBlock.Varint(0),
            [TablePropertyNames.TailStartOffset] = PropertiesBlock.Varint(tailStart),
            [TablePropertyNames.DbId] = PropertiesBlock.Text(_context.DbId),
            [TablePropertyNames.DbSessionId] = PropertiesBlock.Text(_context.DbSessionId),
            [TablePropertyNames.Comparator] = PropertiesBlock.Text(_options.Comparator.Name),
            [TablePropertyNames.MergeOperator] = PropertiesBlock.Text(_context.MergeOperatorName),
            [TablePropertyNames.PrefixExtractorName] = PropertiesBlock.Text("nullptr"),
            [TablePropertyNames.PropertyCollectors] = PropertiesBlock.Text("[]"),
            [TablePropertyNames.Compression] = PropertiesBlock.Text(CompressionName(_options.Compression)),
            [TablePropertyNames.CompressionOptions] = PropertiesBlock.Text(""),
            [TablePropertyNames.DataBlockRestartInterval] = PropertiesBlock.Varint((ulong)_options.BlockRestartInterval),
            [TablePropertyNames.IndexBlockRestartInterval] = PropertiesBlock.Varint(1),
            [TablePropertyNames.IndexType] = PropertiesBlock.Fixed32(0),
            [TablePropertyNames.WholeKeyFiltering] = PropertiesBlock.Text("1"),
            [TablePropertyNames.PrefixFiltering] = PropertiesBlock.Text("0"),
        };
        if (_context.FileCreationTime > 0)
        {
            p[TablePropertyNames.FileCreationTime] = PropertiesBlock.Varint(_context.FileCreationTime);
        }

        if (_context.ColumnFamilyName.Length > 0)
        {
            p[TablePropertyNames.ColumnFamilyName] = PropertiesBlock.Text(_context.ColumnFamilyName);
        }

        if (_filter is not null)
        {
            p[TablePropertyNames.FilterPolicy] = PropertiesBlock.Text(FilterPolicyNames.BloomFilterPolicyName);
        }

        if (_smallestKey is not null)
        {
            p[TablePropertyNames.SmallestKey] = _smallestKey;
            p[TablePropertyNames.LargestKey] = LastKey.ToArray();
        }

        if (_numEntries > 0)
        {
            p[TablePropertyNames.KeySmallestSeqno] = PropertiesBlock.Varint(_smallestSeq);
            p[TablePropertyNames.KeyLargestSeqno] = PropertiesBlock.Varint(_largestSeq);
        }

        if (external)
        {
            p[TablePropertyNames.ExternalSstFileVersion] = PropertiesBlock.Fixed32(2);
            p[TablePropertyNames.ExternalSstFileGlobalSeqno] = PropertiesBlock.Fixed64(0);
        }

        return p;
    }

    /// <summary>RocksDB's names for the legacy (format version &lt; 7) compression property.</summary>
    internal static string CompressionName(CompressionType type) => type switch
    {
        CompressionType.None => "NoCompression",
        CompressionType.Snappy => "Snappy",
        CompressionType.Zlib => "Zlib",
        CompressionType.BZip2 => "BZip2",
        CompressionType.Lz4 => "LZ4",
        CompressionType.Lz4HC => "LZ4HC",
        CompressionType.Xpress => "Xpress",
        CompressionType.Zstd => "ZSTD",
        _ => "Unknown",
    };

    /// <summary>Compresses when it pays (see <see cref="BlockCompression"/>), then writes block and trailer.</summary>
    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents, CompressionType compression)
    {
        if (compression != CompressionType.None && BlockCompression.TryCompress(compression, contents, _compressed))
        {
            return WriteRawBlock(_compressed.WrittenSpan, compression);
        }

        return WriteRawBlock(contents, CompressionType.None);
    }

    private BlockHandle WriteRawBlock(ReadOnlySpan<byte> contents, CompressionType compression)
    {
        var handle = new BlockHandle(_offset, (ulong)contents.Length);
        Span<byte> trailer = stackalloc byte[TableFormat.BlockTrailerSize];
        trailer[0] = (byte)compression;
        uint checksum = BlockChecksum.Compute(_options.Checksum, contents, (byte)compression)
            + BlockChecksum.ContextModifier(_baseContextChecksum, _offset);
        Coding.WriteFixed32(trailer[1..], checksum);
        _file.Append(contents);
        _file.Append(trailer);
        _offset += (ulong)contents.Length + TableFormat.BlockTrailerSize;
        return handle;
    }

    public void Dispose()
    {
        _dataBlock.Dispose();
        _rangeDeletions?.Dispose();
        _compressed.Dispose();
    }
}
