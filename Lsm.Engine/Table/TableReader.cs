using System.Buffers;
using System.Diagnostics;
using Lsm.Engine.Cache;
using Lsm.Engine.Db;
using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;
using Lsm.Engine.IO;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Table;

/// <summary>
/// Opens a block-based table, RocksDB's or ours, and serves point lookups and iterators over it.
/// </summary>
/// <remarks>
/// <para>
/// Open reads the footer, the metaindex, the properties, the index and the filter, verifying each
/// block's checksum; data blocks are read, verified and decompressed on demand with positional reads.
/// Thread-safe: after Open the reader is immutable and any number of threads may read through it,
/// each with its own iterators. See format-spec.md, "SST files".
/// </para>
/// <para>
/// With a <see cref="BlockCache"/> (<see cref="TableReaderOptions.BlockCache"/>) every data block is looked up in
/// the cache under (this reader's cache id, the block's offset) and read, verified, decompressed and parsed into
/// the cache's native memory on a miss; readers hold a reference (<see cref="BlockLease"/>) while they use it. With
/// <see cref="TableReaderOptions.CacheIndexAndFilterBlocks"/> the index and filter blocks live in the cache too
/// instead of in the reader (inserted at open; held for the reader's lifetime when pinned), and each use looks them up.
/// </para>
/// </remarks>
internal sealed class TableReader : IDisposable
{
    /// <summary>A thread keeps a decompression scratch up to this size between reads; larger ones go back to the pool.</summary>
    private const int MaxScratchLength = 1 << 20;

    [ThreadStatic]
    private static byte[]? t_scratch;

    private readonly IRandomAccessFile _file;
    private readonly bool _ownsFile;
    private readonly Dictionary<string, long> _metaHandleLocations = new(StringComparer.Ordinal);
    private readonly BlockCache? _cache;
    private readonly ulong _cacheId;
    private readonly Tickers? _tickers;
    private readonly TableReaderOptions _options;
    private readonly CachePriority _metaPriority;
    private long _indexHandleLocation;
    private BlockHandle _filterHandle;
    private long _filterHandleLocation;
    private bool _filterInCache;
    private CacheHandle _pinnedIndex;
    private Block _pinnedIndexBlock;
    private CacheHandle _pinnedFilter;
    private int _disposed;

    private TableReader(IRandomAccessFile file, bool ownsFile, TableReaderOptions options)
    {
        _file = file;
        _ownsFile = ownsFile;
        _options = options;
        _cache = options.BlockCache;
        _cacheId = _cache?.NewTableId() ?? 0;
        _tickers = options.Tickers;
        _metaPriority = options.HighPriorityIndexAndFilter ? CachePriority.High : CachePriority.Low;
        Comparator = new InternalKeyComparator(options.Comparator);
        MetaBlocks = new SortedDictionary<string, BlockHandle>(StringComparer.Ordinal);
    }

    public string FileName => _file.Name;

    public long FileSize => _file.Length;

    public Footer Footer { get; private set; }

    public TableProperties Properties { get; private set; } = new();

    public InternalKeyComparator Comparator { get; }

    /// <summary>Meta block names (filter, properties, index, range deletions, ...) and where they are.</summary>
    public SortedDictionary<string, BlockHandle> MetaBlocks { get; }

    public BlockHandle IndexHandle { get; private set; }

    /// <summary>The index block, when the reader keeps it (no <see cref="TableReaderOptions.CacheIndexAndFilterBlocks"/>); otherwise the default (empty) block: use <see cref="AcquireIndex"/>.</summary>
    public Block IndexBlock { get; private set; }

    /// <summary>Whether the index lives in the block cache (looked up on each use) rather than in the reader.</summary>
    internal bool IndexInCache { get; private set; }

    /// <summary>The range deletions of the table's <c>rocksdb.range_del</c> block, in stored order.</summary>
    public IReadOnlyList<RangeTombstone> RangeTombstones { get; private set; } = [];

    /// <summary>The table's filter, or null when it has none this engine can use.</summary>
    public FilterReader? Filter { get; private set; }

    /// <summary>Why the table's filter is not used, when it has one that is not supported; otherwise null.</summary>
    public string? UnusedFilter { get; private set; }

    internal IKeyOrder IndexOrder { get; private set; } = null!;

    internal BlockValueFormat IndexFormat { get; private set; }

    internal bool IndexHasFirstKey { get; private set; }

    /// <summary>The index block's restart key words (bytewise tables with large indexes), or null.</summary>
    internal RestartKeyWords? IndexWords { get; private set; }

    /// <summary>For ingested external files, the sequence number every key takes; -1 when keys keep their own.</summary>
    internal long GlobalSequence { get; private set; } = -1;

    /// <summary>Opens the table at <paramref name="path"/>.</summary>
    /// <exception cref="CorruptionException">The file is not a valid table.</exception>
    /// <exception cref="NotSupportedException">The table uses a feature this engine does not read.</exception>
    public static TableReader Open(string path, KeyComparator? comparator = null) =>
        Open(new LocalRandomAccessFile(path), ownsFile: true, comparator);

    public static TableReader Open(IRandomAccessFile file, bool ownsFile, KeyComparator? comparator = null) =>
        Open(file, ownsFile, comparator is null ? TableReaderOptions.Uncached : new TableReaderOptions { Comparator = comparator });

    /// <summary>Opens the table in <paramref name="file"/>, reading through the options' block cache.</summary>
    public static TableReader Open(IRandomAccessFile file, bool ownsFile, TableReaderOptions options)
    {
        var reader = new TableReader(file, ownsFile, options);
        try
        {
            reader.Load();
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private void Load()
    {
        long length = _file.Length;
        if (length < TableFormat.FooterLength)
        {
            throw new CorruptionException($"file of {length} bytes is too short to be a table", _file.Name, 0);
        }

        Span<byte> footerBytes = stackalloc byte[TableFormat.FooterLength];
        long footerOffset = length - TableFormat.FooterLength;
        ReadExactly(footerOffset, footerBytes);
        Footer = Footer.Decode(footerBytes, (ulong)footerOffset, _file.Name);

        Block metaindex = ReadBlock(Footer.MetaindexHandle, footerOffset);
        var iterator = new BlockIterator();
        iterator.Reset(metaindex, UserKeyOrder.Bytewise);
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            string name = System.Text.Encoding.UTF8.GetString(iterator.Key);
            if (BlockHandle.TryDecode(iterator.Value, out BlockHandle handle) == 0)
            {
                throw new CorruptionException($"bad block handle for meta block {name}", _file.Name, metaindex.FileOffset + iterator.EntryOffset);
            }

            MetaBlocks[name] = handle;
            _metaHandleLocations[name] = metaindex.FileOffset + iterator.EntryOffset;
        }

        if (MetaBlocks.TryGetValue(TableFormat.PropertiesBlockName, out BlockHandle propertiesHandle))
        {
            Properties = PropertiesBlock.Decode(
                ReadBlock(propertiesHandle, _metaHandleLocations[TableFormat.PropertiesBlockName]), Footer.FormatVersion);
        }
        else
        {
            Properties = new TableProperties { FormatVersion = Footer.FormatVersion };
        }

        if (Properties.ComparatorName.Length > 0 && Properties.ComparatorName != Comparator.UserComparator.Name)
        {
            throw new NotSupportedException(
                $"{_file.Name} was written with comparator '{Properties.ComparatorName}', not '{Comparator.UserComparator.Name}'.");
        }

        if (Properties.IndexType == 2)
        {
            throw new NotSupportedException($"{_file.Name} has a partitioned (two-level) index, which this engine does not read yet.");
        }

        if (Properties.ExternalFileVersion >= 2 && Properties.ExternalFileGlobalSequence != 0)
        {
            GlobalSequence = (long)Math.Min(Properties.ExternalFileGlobalSequence, InternalKey.MaxSequence);
        }

        IndexHandle = Footer.FormatVersion >= 6
            ? MetaBlocks.GetValueOrDefault(TableFormat.IndexBlockName)
            : Footer.IndexHandle;
        if (IndexHandle.IsNull && Footer.FormatVersion >= 6 && !MetaBlocks.ContainsKey(TableFormat.IndexBlockName))
        {
            throw new CorruptionException("metaindex has no index block entry", _file.Name, (long)Footer.MetaindexHandle.Offset);
        }

        _indexHandleLocation = Footer.FormatVersion >= 6 ? _metaHandleLocations[TableFormat.IndexBlockName] : footerOffset;
        IndexOrder = Properties.IndexKeyIsUserKey ? new UserKeyOrder(Comparator.UserComparator) : Comparator;
        IndexFormat = Properties.IndexValueIsDeltaEncoded ? BlockValueFormat.DeltaEncodedHandles : BlockValueFormat.LengthPrefixed;
        IndexHasFirstKey = Properties.IndexType == 3;
        if (_cache is not null && _options.CacheIndexAndFilterBlocks)
        {
            // Inserted now (RocksDB prefetches them at open too), so the first reads hit; held only when pinned.
            IndexInCache = true;
            CacheHandle index = ReadIntoCache(IndexHandle, _indexHandleLocation, BlockKind.Index, _metaPriority, parseAsBlock: true);
            if (_options.PinIndexAndFilter)
            {
                _pinnedIndex = index;
                _pinnedIndexBlock = Block.Parse(index.Pointer, index.Length, _file.Name, (long)IndexHandle.Offset, verifyRestarts: false);
            }
            else
            {
                _cache.Release(index);
            }
        }
        else
        {
            IndexBlock = ReadBlock(IndexHandle, _indexHandleLocation);
        }

        if (!IndexInCache && Comparator.UserComparator is BytewiseComparator)
        {
            var index = new BlockIterator();
            index.Reset(IndexBlock, IndexOrder, IndexFormat, isIndex: true, IndexHasFirstKey);
            IndexWords = RestartKeyWords.TryBuild(index, IndexBlock.NumRestarts, internalKeys: !Properties.IndexKeyIsUserKey);
        }

        if (MetaBlocks.ContainsKey(TableFormat.CompressionDictBlockName))
        {
            throw new NotSupportedException(
                $"{_file.Name} uses a compression dictionary ({TableFormat.CompressionDictBlockName}, written when RocksDB's compression_opts.max_dict_bytes > 0), which this engine does not read.");
        }

        LoadRangeTombstones();
        LoadFilter();
    }

    private void LoadRangeTombstones()
    {
        if (!MetaBlocks.TryGetValue(TableFormat.RangeDelBlockName, out BlockHandle handle))
        {
            return;
        }

        Block block = ReadBlock(handle, _metaHandleLocations[TableFormat.RangeDelBlockName]);
        var iterator = new BlockIterator();
        iterator.Reset(block, Comparator, globalSequence: GlobalSequence);
        var tombstones = new List<RangeTombstone>();
        for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
        {
            if (iterator.Key.Length < InternalKey.TrailerSize || InternalKey.Kind(iterator.Key) != ValueKind.RangeDeletion)
            {
                throw new CorruptionException("range deletion block holds an entry of another kind", _file.Name, block.FileOffset + iterator.EntryOffset);
            }

            tombstones.Add(new RangeTombstone(
                InternalKey.UserKey(iterator.Key).ToArray(), iterator.Value.ToArray(), InternalKey.Sequence(iterator.Key)));
        }

        RangeTombstones = tombstones;
    }

    private void LoadFilter()
    {
        foreach ((string name, BlockHandle handle) in MetaBlocks)
        {
            if (name.StartsWith(TableFormat.FullFilterBlockPrefix, StringComparison.Ordinal))
            {
                if (IndexInCache)
                {
                    _filterInCache = true;
                    _filterHandle = handle;
                    _filterHandleLocation = _metaHandleLocations[name];
                    CacheHandle cached = ReadIntoCache(handle, _filterHandleLocation, BlockKind.Filter, _metaPriority, parseAsBlock: false);
                    Filter = FilterReader.CreateDetached(cached.Span);
                    if (_options.PinIndexAndFilter)
                    {
                        _pinnedFilter = cached;
                    }
                    else
                    {
                        _cache!.Release(cached);
                    }
                }
                else
                {
                    byte[] contents = ReadBlockContents(handle, out _, _metaHandleLocations[name]);
                    Filter = FilterReader.Create(contents);
                }

                if (!Properties.WholeKeyFiltering)
                {
                    // A prefix-only filter cannot answer whole-key probes.
                    UnusedFilter = "prefix-only filter (whole key filtering off)";
                    Filter = null;
                }

                return;
            }

            if (name.StartsWith(TableFormat.PartitionedFilterBlockPrefix, StringComparison.Ordinal))
            {
                UnusedFilter = "partitioned filter (not supported; every probe reads the data block)";
                return;
            }

            if (name.StartsWith(TableFormat.ObsoleteFilterBlockPrefix, StringComparison.Ordinal))
            {
                UnusedFilter = "obsolete block-based filter (not supported; every probe reads the data block)";
                return;
            }
        }
    }

    /// <summary>Whether <paramref name="userKey"/> may be in the table; false only when the filter rules it out.</summary>
    /// <remarks>A filter kept in the block cache is looked up (and read again after an eviction) for each probe.</remarks>
    public bool KeyMayMatch(ReadOnlySpan<byte> userKey) => Filter is null || KeyMayMatch(userKey, Xxph3.GetSliceHash64(userKey));

    /// <summary>
    /// <see cref="KeyMayMatch(ReadOnlySpan{byte})"/> for a caller that has hashed the key already
    /// (<paramref name="sliceHash"/> = <see cref="Xxph3.GetSliceHash64"/> of <paramref name="userKey"/>).
    /// </summary>
    internal bool KeyMayMatch(ReadOnlySpan<byte> userKey, ulong sliceHash)
    {
        FilterReader? filter = Filter;
        if (filter is null)
        {
            return true;
        }

        if (!_filterInCache)
        {
            return filter.KeyMayMatch(userKey, sliceHash);
        }

        if (_pinnedFilter.IsValid)
        {
            return filter.KeyMayMatch(_pinnedFilter.Span, userKey, sliceHash);
        }

        CacheHandle cached = AcquireCached(_filterHandle, _filterHandleLocation, BlockKind.Filter, _metaPriority, parseAsBlock: false);
        try
        {
            return filter.KeyMayMatch(cached.Span, userKey, sliceHash);
        }
        finally
        {
            _cache!.Release(cached);
        }
    }

    /// <summary>
    /// Starts loading the part of the filter a probe of <paramref name="sliceHash"/> reads, when the filter is held by
    /// the reader or pinned (a filter looked up in the cache is not): a lookup prefetches for every table it may
    /// probe before probing the first, so their memory misses overlap.
    /// </summary>
    internal void PrefetchFilter(ulong sliceHash)
    {
        FilterReader? filter = Filter;
        if (filter is null)
        {
            return;
        }

        if (!_filterInCache)
        {
            filter.Prefetch(default, sliceHash);
        }
        else if (_pinnedFilter.IsValid)
        {
            filter.Prefetch(_pinnedFilter.Span, sliceHash);
        }
    }

    /// <summary>
    /// The index block: the reader's own, the pinned cached one, or one looked up in the cache and held by
    /// <paramref name="lease"/> (whose previous block is released). Valid while the lease holds it.
    /// </summary>
    internal Block AcquireIndex(ref BlockLease lease)
    {
        if (!IndexInCache)
        {
            return IndexBlock;
        }

        if (_pinnedIndex.IsValid)
        {
            return _pinnedIndexBlock;
        }

        CacheHandle cached = AcquireCached(IndexHandle, _indexHandleLocation, BlockKind.Index, _metaPriority, parseAsBlock: true);
        lease.Hold(_cache!, cached);
        return Block.Parse(cached.Pointer, cached.Length, _file.Name, (long)IndexHandle.Offset, verifyRestarts: false);
    }

    public TableIterator NewIterator() => new(this);

    /// <summary>
    /// An iterator whose reads do not fill the block cache when <paramref name="fillCache"/> is false (blocks already
    /// cached are still used): for compactions, whose inputs are about to be deleted (RocksDB's <c>fill_cache</c>).
    /// </summary>
    public TableIterator NewIterator(bool fillCache) => new(this) { FillCache = fillCache };

    /// <summary>
    /// Finds the newest entry for <paramref name="userKey"/> with sequence at most <paramref name="sequence"/>.
    /// The filter is consulted first. Returns false when the table holds no such entry. When a range
    /// deletion in this table hides the key (it is newer than the entry found, or there is none), the
    /// result is kind <see cref="ValueKind.RangeDeletion"/> with an empty value.
    /// </summary>
    /// <remarks>
    /// <paramref name="scratch"/> is left at the entry found, and <paramref name="value"/> points into its
    /// block buffer: both are valid until <paramref name="scratch"/> moves or is reused.
    /// </remarks>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong sequence, TableIterator scratch, out ValueKind kind, out ReadOnlySpan<byte> value) =>
        TryGet(userKey, sequence, scratch, KeyMayMatch(userKey), out kind, out value);

    /// <summary>
    /// <see cref="TryGet(ReadOnlySpan{byte}, ulong, TableIterator, out ValueKind, out ReadOnlySpan{byte})"/>
    /// for a caller that has already asked the filter (<paramref name="mayMatch"/>), so the key is hashed once.
    /// </summary>
    internal bool TryGet(ReadOnlySpan<byte> userKey, ulong sequence, TableIterator scratch, bool mayMatch, out ValueKind kind, out ReadOnlySpan<byte> value)
    {
        Debug.Assert(ReferenceEquals(scratch.Table, this), "the scratch iterator reads another table");
        kind = default;
        value = default;
        bool found = mayMatch && TryGetPoint(userKey, sequence, scratch, out kind, out value);
        if (TryFindCoveringTombstone(userKey, sequence, out ulong cover) && (!found || cover > InternalKey.Sequence(scratch.Key)))
        {
            kind = ValueKind.RangeDeletion;
            value = default;
            return true;
        }

        return found;
    }

    /// <summary>
    /// The sequence of the newest range tombstone of this table, at most <paramref name="sequence"/>, that covers
    /// <paramref name="userKey"/>; 0 when none does. Every older entry of the key is deleted.
    /// </summary>
    internal ulong MaxCoveringTombstoneSequence(ReadOnlySpan<byte> userKey, ulong sequence) =>
        TryFindCoveringTombstone(userKey, sequence, out ulong cover) ? cover : 0;

    /// <summary>Whether a range tombstone at most <paramref name="sequence"/> covers <paramref name="userKey"/> (one at sequence 0, in an external file, included); the newest one's sequence.</summary>
    private bool TryFindCoveringTombstone(ReadOnlySpan<byte> userKey, ulong sequence, out ulong tombstoneSequence)
    {
        IReadOnlyList<RangeTombstone> tombstones = RangeTombstones;
        bool covered = false;
        tombstoneSequence = 0;
        for (int i = 0; i < tombstones.Count; i++)
        {
            RangeTombstone tombstone = tombstones[i];
            if (tombstone.Sequence <= sequence && (!covered || tombstone.Sequence > tombstoneSequence)
                && tombstone.Covers(Comparator.UserComparator, userKey))
            {
                covered = true;
                tombstoneSequence = tombstone.Sequence;
            }
        }

        return covered;
    }

    /// <summary>The newest point entry of <paramref name="userKey"/> at most <paramref name="sequence"/>, range tombstones not applied; the scratch iterator stands on it.</summary>
    internal bool TryGetPoint(ReadOnlySpan<byte> userKey, ulong sequence, TableIterator scratch, out ValueKind kind, out ReadOnlySpan<byte> value)
    {
        kind = default;
        value = default;
        Span<byte> target = userKey.Length <= 256 ? stackalloc byte[userKey.Length + InternalKey.TrailerSize] : new byte[userKey.Length + InternalKey.TrailerSize];
        InternalKey.Write(target, userKey, sequence, InternalKey.KindForSeek);
        scratch.Seek(target);
        if (!scratch.Valid || Comparator.UserComparator.Compare(InternalKey.UserKey(scratch.Key), userKey) != 0)
        {
            return false;
        }

        kind = InternalKey.Kind(scratch.Key);
        value = scratch.Value;
        return true;
    }

    /// <summary>Reads every block the table refers to and verifies its checksum (and that it decompresses and parses).</summary>
    /// <exception cref="CorruptionException">The first bad block, with its offset.</exception>
    public void VerifyChecksums()
    {
        foreach ((string name, BlockHandle handle) in MetaBlocks)
        {
            ReadBlockContents(handle, out _, _metaHandleLocations[name]);
        }

        var lease = default(BlockLease);
        try
        {
            var index = new BlockIterator();
            index.Reset(AcquireIndex(ref lease), IndexOrder, IndexFormat, isIndex: true, IndexHasFirstKey);
            for (index.SeekToFirst(); index.Valid; index.Next())
            {
                Block block = ReadBlock(index.Handle, (long)IndexHandle.Offset + index.EntryOffset);
                var data = new BlockIterator();
                data.Reset(block, Comparator);
                for (data.SeekToFirst(); data.Valid; data.Next())
                {
                }
            }
        }
        finally
        {
            lease.Dispose();
        }
    }

    /// <summary>
    /// Reads a block of <paramref name="kind"/> for an iterator: from the block cache when the reader has one (the
    /// lease then holds a reference to it), else from the file into the lease's buffer. The lease's previous block
    /// is released first, and the returned block is valid until the lease is next filled or released.
    /// </summary>
    /// <param name="handle">Where the block is.</param>
    /// <param name="handleLocation">Where <paramref name="handle"/> itself was read from, reported if it points outside the file.</param>
    /// <param name="kind">What the block holds, for the counters.</param>
    /// <param name="lease">Holds the block's memory.</param>
    /// <param name="fillCache">Whether a block missing from the cache is inserted, or only read into the lease's buffer.</param>
    internal Block ReadBlock(BlockHandle handle, long handleLocation, BlockKind kind, ref BlockLease lease, bool fillCache = true)
    {
        lease.Release();
        if (_cache is null)
        {
            return ReadBlock(handle, handleLocation, ref lease.Buffer);
        }

        CacheHandle cached;
        if (!fillCache)
        {
            if (!TryGetCached(handle, kind, out cached))
            {
                return ReadBlock(handle, handleLocation, ref lease.Buffer);
            }
        }
        else
        {
            cached = AcquireCached(handle, handleLocation, kind, CachePriority.Low, parseAsBlock: true);
        }

        lease.Hold(_cache, cached);
        return Block.Parse(cached.Pointer, cached.Length, _file.Name, (long)handle.Offset, verifyRestarts: false);
    }

    /// <summary>A referenced cache entry for the block at <paramref name="handle"/>: a hit, or the block read into the cache.</summary>
    private CacheHandle AcquireCached(BlockHandle handle, long handleLocation, BlockKind kind, CachePriority priority, bool parseAsBlock) =>
        TryGetCached(handle, kind, out CacheHandle cached) ? cached : ReadIntoCache(handle, handleLocation, kind, priority, parseAsBlock);

    /// <summary>Looks the block up in the cache, counting the hit or the miss.</summary>
    private bool TryGetCached(BlockHandle handle, BlockKind kind, out CacheHandle cached)
    {
        bool hit = _cache!.TryGet(_cacheId, handle.Offset, kind, out cached);
        if (_tickers is not null)
        {
            if (hit)
            {
                _tickers.Add(Ticker.BlockCacheHit);
                _tickers.Add(HitTicker(kind));
                _tickers.Add(Ticker.BlockCacheBytesRead, cached.Length);
            }
            else
            {
                _tickers.Add(Ticker.BlockCacheMiss);
                _tickers.Add(MissTicker(kind));
            }
        }

        return hit;
    }

    /// <summary>
    /// Reads a block from the file into this thread's scratch, verifies its checksum, decompresses (or copies) it into
    /// native memory of the cache, verifies its restart array when <paramref name="parseAsBlock"/>, and only then
    /// inserts it: a cached block is always a verified one, and a miss takes one native allocation.
    /// </summary>
    private CacheHandle ReadIntoCache(BlockHandle handle, long handleLocation, BlockKind kind, CachePriority priority, bool parseAsBlock)
    {
        BlockCache cache = _cache!;
        CheckHandle(handle, handleLocation);
        int size = (int)handle.Size;
        long offset = (long)handle.Offset;
        int rawLength = size + TableFormat.BlockTrailerSize;
        byte[] raw = TakeScratch(rawLength);
        NativeBlock contents = default;
        try
        {
            ReadExactly(offset, raw.AsSpan(0, rawLength));
            _tickers?.Add(Ticker.TableBytesRead, rawLength);
            CompressionType compression = VerifyTrailer(raw.AsSpan(0, rawLength), handle);
            ReadOnlySpan<byte> stored = raw.AsSpan(0, size);
            if (compression == CompressionType.None)
            {
                contents = cache.Allocate(size);
                stored.CopyTo(contents.Span);
            }
            else
            {
                int length = BlockCompression.UncompressedLength(compression, stored, _file.Name, offset, BlockCompression.MaxUncompressedSize(compression, size));
                contents = cache.Allocate(length);
                BlockCompression.DecompressInto(compression, stored, contents.Span, _file.Name, offset);
            }

            if (parseAsBlock)
            {
                Block.Parse(contents.Pointer, contents.Length, _file.Name, offset);
            }
        }
        catch
        {
            if (contents.Pointer != 0)
            {
                cache.Free(contents);
            }

            throw;
        }
        finally
        {
            PutScratch(raw);
        }

        CacheHandle inserted = cache.Insert(_cacheId, handle.Offset, kind, priority, contents, out bool cached);
        if (_tickers is not null)
        {
            _tickers.Add(cached ? Ticker.BlockCacheAdd : Ticker.BlockCacheAddFailures);
            if (cached)
            {
                _tickers.Add(Ticker.BlockCacheBytesWrite, contents.Length);
            }
        }

        return inserted;
    }

    private static Ticker HitTicker(BlockKind kind) => kind switch
    {
        BlockKind.Index => Ticker.BlockCacheIndexHit,
        BlockKind.Filter => Ticker.BlockCacheFilterHit,
        _ => Ticker.BlockCacheDataHit,
    };

    private static Ticker MissTicker(BlockKind kind) => kind switch
    {
        BlockKind.Index => Ticker.BlockCacheIndexMiss,
        BlockKind.Filter => Ticker.BlockCacheFilterMiss,
        _ => Ticker.BlockCacheDataMiss,
    };

    /// <summary>Reads, verifies and decompresses a block into its own array, then parses its restart array.</summary>
    /// <remarks>For blocks kept as long as the reader (index, metaindex, properties); data blocks go through a <see cref="BlockBuffer"/>.</remarks>
    public Block ReadBlock(BlockHandle handle, long handleLocation = -1)
    {
        byte[] contents = ReadBlockContents(handle, out _, handleLocation);
        return Block.Parse(contents, contents.Length, _file.Name, (long)handle.Offset);
    }

    /// <summary>
    /// Reads, verifies and decompresses a block into <paramref name="buffer"/>, then parses its restart array.
    /// The block lives in the buffer's array: it is valid until the buffer is next filled or released.
    /// </summary>
    /// <remarks>
    /// The path every data block takes from the file, allocation-free once the buffer (and this thread's
    /// decompression scratch) have grown to the table's block size. A block cache slots in here: on a hit it
    /// would hand out a pinned cached block instead of filling the buffer, released at the same points.
    /// </remarks>
    /// <param name="handle">Where the block is.</param>
    /// <param name="handleLocation">Where <paramref name="handle"/> itself was read from, reported if it points outside the file.</param>
    /// <param name="buffer">Receives the block's uncompressed contents; its previous contents are lost.</param>
    internal Block ReadBlock(BlockHandle handle, long handleLocation, ref BlockBuffer buffer)
    {
        CheckHandle(handle, handleLocation);
        int size = (int)handle.Size;
        long offset = (long)handle.Offset;
        byte[] raw = buffer.Ensure(size + TableFormat.BlockTrailerSize);
        ReadExactly(offset, raw.AsSpan(0, size + TableFormat.BlockTrailerSize));
        _tickers?.Add(Ticker.TableBytesRead, size + TableFormat.BlockTrailerSize);
        CompressionType compression = VerifyTrailer(raw.AsSpan(0, size + TableFormat.BlockTrailerSize), handle);
        int length = size;
        if (compression != CompressionType.None)
        {
            // Decompress into this thread's scratch, then swap it into the buffer: the raw array becomes the
            // next scratch, so neither is copied nor allocated. Both come from ArrayPool.Shared.
            ReadOnlySpan<byte> compressed = raw.AsSpan(0, size);
            length = BlockCompression.UncompressedLength(compression, compressed, _file.Name, offset, BlockCompression.MaxUncompressedSize(compression, size));
            byte[] scratch = TakeScratch(length);
            BlockCompression.DecompressInto(compression, compressed, scratch.AsSpan(0, length), _file.Name, offset);
            PutScratch(buffer.Exchange(scratch));
        }

        return Block.Parse(buffer.Array, length, _file.Name, offset);
    }

    /// <summary>Reads a block and its trailer, checks the checksum, and returns the uncompressed contents in a new array.</summary>
    /// <param name="handle">Where the block is.</param>
    /// <param name="compression">How the block was stored.</param>
    /// <param name="handleLocation">Where <paramref name="handle"/> itself was read from, reported if it points outside the file.</param>
    public byte[] ReadBlockContents(BlockHandle handle, out CompressionType compression, long handleLocation = -1)
    {
        CheckHandle(handle, handleLocation);
        int size = (int)handle.Size;
        long offset = (long)handle.Offset;
        byte[] raw = new byte[size + TableFormat.BlockTrailerSize];
        ReadExactly(offset, raw);
        compression = VerifyTrailer(raw, handle);
        if (compression == CompressionType.None)
        {
            Array.Resize(ref raw, size);
            return raw;
        }

        return BlockCompression.Decompress(compression, raw.AsSpan(0, size), _file.Name, offset, BlockCompression.MaxUncompressedSize(compression, size));
    }

    private void CheckHandle(BlockHandle handle, long handleLocation)
    {
        ulong limit = Footer.FooterOffset;
        if (handle.Offset > limit || handle.Size > limit - handle.Offset || limit - handle.Offset - handle.Size < TableFormat.BlockTrailerSize)
        {
            throw new CorruptionException(
                $"block handle {handle} lies outside the table", _file.Name, handleLocation >= 0 ? handleLocation : (long)limit);
        }
    }

    /// <summary>Checks the checksum of a block read with its trailer and returns how the block is compressed.</summary>
    private CompressionType VerifyTrailer(ReadOnlySpan<byte> raw, BlockHandle handle)
    {
        int size = raw.Length - TableFormat.BlockTrailerSize;
        byte type = raw[size];
        if (Footer.ChecksumType != ChecksumType.None)
        {
            uint stored = Coding.ReadFixed32(raw[(size + 1)..]);
            uint computed = BlockChecksum.Compute(Footer.ChecksumType, raw[..size], type)
                + BlockChecksum.ContextModifier(Footer.BaseContextChecksum, handle.Offset);
            if (stored != computed)
            {
                throw new CorruptionException(
                    $"block checksum mismatch: stored 0x{stored:x8}, computed 0x{computed:x8} ({Footer.ChecksumType})", _file.Name, (long)handle.Offset);
            }
        }

        if (type > (byte)CompressionType.Zstd)
        {
            // The checksum held, so this is a real type: format 7's custom compression managers use 0x80 and up.
            throw new NotSupportedException($"Block at offset {handle.Offset} in {_file.Name} uses custom compression type 0x{type:x2}.");
        }

        return (CompressionType)type;
    }

    /// <summary>Takes this thread's decompression scratch, grown to at least <paramref name="length"/> bytes.</summary>
    /// <remarks>Taken, not borrowed: a nested or failed read simply finds none and rents another.</remarks>
    private static byte[] TakeScratch(int length)
    {
        byte[]? scratch = t_scratch;
        t_scratch = null;
        if (scratch is null || scratch.Length < length)
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }

            scratch = ArrayPool<byte>.Shared.Rent(length);
        }

        return scratch;
    }

    private static void PutScratch(byte[] array)
    {
        if (array.Length > MaxScratchLength)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else if (array.Length > 0)
        {
            t_scratch = array;
        }
    }

    private void ReadExactly(long offset, Span<byte> destination)
    {
        int n = _file.Read(offset, destination);
        if (n != destination.Length)
        {
            throw new CorruptionException($"short read: {n} of {destination.Length} bytes", _file.Name, offset);
        }
    }

    /// <summary>Releases the pinned cache entries and closes the file when the reader owns it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_pinnedIndex.IsValid)
        {
            _cache!.Release(_pinnedIndex);
            _pinnedIndex = default;
        }

        if (_pinnedFilter.IsValid)
        {
            _cache!.Release(_pinnedFilter);
            _pinnedFilter = default;
        }

        if (_ownsFile)
        {
            _file.Dispose();
        }
    }
}
