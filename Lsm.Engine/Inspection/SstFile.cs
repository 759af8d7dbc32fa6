using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine;

/// <summary>
/// Read access to one SST file, RocksDB's or ours: its footer, properties, blocks and entries.
/// </summary>
/// <remarks>
/// This is the inspection API that <c>lsm sst</c> is built on. Opening validates the footer and loads
/// the index, filter and properties; data blocks are read on demand. Any corruption found ends in a
/// <see cref="CorruptionException"/> naming the file and offset. Thread-safe for concurrent readers;
/// each <see cref="SstIterator"/> belongs to one thread.
/// </remarks>
/// <example>
/// <code>
/// using var sst = SstFile.Open("000012.sst");
/// using var it = sst.NewIterator();
/// for (it.SeekToFirst(); it.Valid; it.Next()) Console.WriteLine(it.FormatKey());
/// </code>
/// </example>
public sealed class SstFile : IDisposable
{
    private readonly TableReader _reader;
    private bool _disposed;

    private SstFile(TableReader reader)
    {
        _reader = reader;
    }

    /// <summary>Opens the table at <paramref name="path"/>.</summary>
    /// <param name="path">The SST file.</param>
    /// <param name="comparator">The comparator the table was written with; default bytewise. Its name must match the table's.</param>
    /// <returns>The open table.</returns>
    /// <exception cref="CorruptionException">The file is not a valid table.</exception>
    /// <exception cref="NotSupportedException">The table uses a feature this engine does not read (e.g. a partitioned index).</exception>
    public static SstFile Open(string path, KeyComparator? comparator = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new SstFile(TableReader.Open(path, comparator));
    }

    /// <summary>The file's path.</summary>
    public string Path => _reader.FileName;

    /// <summary>The file's size in bytes.</summary>
    public long FileSize => _reader.FileSize;

    /// <summary>The table's properties block.</summary>
    public TableProperties Properties => _reader.Properties;

    /// <summary>The table's footer.</summary>
    public SstFooterInfo Footer
    {
        get
        {
            Footer f = _reader.Footer;
            return new SstFooterInfo(
                f.FormatVersion,
                f.ChecksumType,
                (long)f.MetaindexHandle.Offset,
                (long)f.MetaindexHandle.Size,
                (long)_reader.IndexHandle.Offset,
                (long)_reader.IndexHandle.Size,
                f.BaseContextChecksum,
                (long)f.FooterOffset);
        }
    }

    /// <summary>The table's filter, or null when it has none.</summary>
    public SstFilterInfo? Filter
    {
        get
        {
            foreach ((string name, BlockHandle handle) in _reader.MetaBlocks)
            {
                if (name.StartsWith(TableFormat.FullFilterBlockPrefix, StringComparison.Ordinal)
                    || name.StartsWith(TableFormat.PartitionedFilterBlockPrefix, StringComparison.Ordinal)
                    || name.StartsWith(TableFormat.ObsoleteFilterBlockPrefix, StringComparison.Ordinal))
                {
                    var filter = _reader.Filter;
                    return new SstFilterInfo(
                        name,
                        filter?.Kind ?? _reader.UnusedFilter ?? "unknown",
                        (long)handle.Size,
                        filter?.NumProbes ?? 0,
                        filter is not null);
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Reads every block, verifying checksums, and lists them in file order: data blocks, then the meta
    /// blocks, the index and the metaindex.
    /// </summary>
    /// <returns>The blocks, in file order.</returns>
    /// <exception cref="CorruptionException">A block fails its checksum or does not parse.</exception>
    public IReadOnlyList<SstBlockInfo> ReadBlocks()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var blocks = new List<SstBlockInfo>();
        var index = new BlockIterator();
        index.Reset(_reader.IndexBlock, _reader.IndexOrder, _reader.IndexFormat, isIndex: true, _reader.IndexHasFirstKey);
        for (index.SeekToFirst(); index.Valid; index.Next())
        {
            blocks.Add(Describe("data", index.Handle, countEntries: true));
        }

        foreach ((string name, BlockHandle handle) in _reader.MetaBlocks)
        {
            if (name == TableFormat.IndexBlockName)
            {
                continue;
            }

            bool entries = !name.Contains("filter", StringComparison.Ordinal);
            blocks.Add(Describe(name, handle, countEntries: entries));
        }

        blocks.Add(Describe("index", _reader.IndexHandle, countEntries: true));
        blocks.Add(Describe("metaindex", _reader.Footer.MetaindexHandle, countEntries: true));
        blocks.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return blocks;
    }

    /// <summary>Reads every block and checks its checksum; throws on the first bad one.</summary>
    /// <exception cref="CorruptionException">The first block that fails, with its offset.</exception>
    public void VerifyChecksums()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _reader.VerifyChecksums();
    }

    /// <summary>Whether the table may hold <paramref name="userKey"/>: false only when the filter rules it out.</summary>
    /// <param name="userKey">The key to probe.</param>
    /// <returns>False when the key is certainly absent.</returns>
    public bool KeyMayMatch(ReadOnlySpan<byte> userKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _reader.KeyMayMatch(userKey);
    }

    /// <summary>Creates an iterator over the table's entries, positioned nowhere.</summary>
    /// <returns>A new iterator; dispose it when done.</returns>
    public SstIterator NewIterator()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new SstIterator(this, _reader.NewIterator());
    }

    /// <summary>
    /// Looks up the newest entry of <paramref name="userKey"/> (the filter first, then one data block).
    /// </summary>
    /// <param name="userKey">The key.</param>
    /// <param name="kind">The kind of the entry found (a value, deletion, merge operand...).</param>
    /// <param name="value">A copy of the entry's value.</param>
    /// <returns>True when the table holds an entry for the key.</returns>
    public bool TryGet(ReadOnlySpan<byte> userKey, out ValueKind kind, out byte[] value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var iterator = _reader.NewIterator();
        if (_reader.TryGet(userKey, InternalKey.MaxSequence, iterator, out kind, out ReadOnlySpan<byte> found))
        {
            value = found.ToArray();
            return true;
        }

        value = [];
        return false;
    }

    internal TableReader Reader => _reader;

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private SstBlockInfo Describe(string kind, BlockHandle handle, bool countEntries)
    {
        byte[] contents = _reader.ReadBlockContents(handle, out CompressionType compression);
        int entries = 0;
        if (countEntries)
        {
            Block block = Block.Parse(contents, contents.Length, _reader.FileName, (long)handle.Offset);
            var iterator = new BlockIterator();
            bool isIndex = kind == "index";
            iterator.Reset(
                block,
                isIndex ? _reader.IndexOrder : UserKeyOrder.Bytewise,
                isIndex ? _reader.IndexFormat : BlockValueFormat.LengthPrefixed,
                isIndex,
                isIndex && _reader.IndexHasFirstKey);
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                entries++;
            }
        }

        return new SstBlockInfo(kind, (long)handle.Offset, (long)handle.Size, compression, contents.Length, entries);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _reader.Dispose();
        }
    }
}
