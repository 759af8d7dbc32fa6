using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Db;

/// <summary>
/// Open table readers by file number, shared by every read: a table's footer, properties and range deletions are
/// loaded once, and its index and filter too unless they live in the block cache. Each reader reads through the
/// block cache of its family's <see cref="TableOptions"/>. Thread-safe.
/// </summary>
internal sealed class TableCache : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly Dictionary<ulong, TableReader> _tables = [];
    private readonly Lock _lock = new();
    private readonly Tickers _tickers;
    private readonly Func<TableOptions, BlockCache?> _blockCacheFor;

    /// <param name="fs">The file system.</param>
    /// <param name="dbPath">The database directory.</param>
    /// <param name="tickers">Where the readers count block cache hits, misses and bytes read.</param>
    /// <param name="blockCacheFor">The block cache tables with given options read through (null: none).</param>
    public TableCache(IFileSystem fs, string dbPath, Tickers tickers, Func<TableOptions, BlockCache?> blockCacheFor)
    {
        _fs = fs;
        _dbPath = dbPath;
        _tickers = tickers;
        _blockCacheFor = blockCacheFor;
    }

    /// <summary>The reader of table <paramref name="fileNumber"/>, opening it on first use with <paramref name="table"/> options.</summary>
    /// <param name="fileNumber">The table's file number.</param>
    /// <param name="table">The family's table options: comparator and block cache.</param>
    /// <param name="level">The table's level when the caller knows it: a level-0 table opened with
    /// <see cref="TableOptions.PinL0FilterAndIndexBlocksInCache"/> pins its index and filter; -1 when unknown.</param>
    public TableReader Get(ulong fileNumber, TableOptions table, int level = -1)
    {
        lock (_lock)
        {
            if (_tables.TryGetValue(fileNumber, out TableReader? reader))
            {
                return reader;
            }
        }

        return Open(fileNumber, table, level);
    }

    /// <summary>
    /// The reader of <paramref name="file"/>: the one it already holds (<see cref="FileMetadata.Reader"/>, no lock
    /// taken), or the table cache's, which it then keeps.
    /// </summary>
    /// <param name="file">The table.</param>
    /// <param name="table">The family's table options: comparator and block cache.</param>
    /// <param name="level">The table's level when known (see <see cref="Get(ulong, TableOptions, int)"/>); -1 when unknown.</param>
    public TableReader Get(FileMetadata file, TableOptions table, int level = -1)
    {
        TableReader? reader = Volatile.Read(ref file.Reader);
        if (reader is null)
        {
            reader = Get(file.FileNumber, table, level);
            Volatile.Write(ref file.Reader, reader);
        }

        return reader;
    }

    private TableReader Open(ulong fileNumber, TableOptions table, int level)
    {
        string path = Path.Join(_dbPath, DbFileName.Table(fileNumber));
        BlockCache? cache = _blockCacheFor(table);
        TableReader opened = TableReader.Open(_fs.OpenRead(path), ownsFile: true, new TableReaderOptions
        {
            Comparator = table.Comparator,
            BlockCache = cache,
            CacheIndexAndFilterBlocks = table.CacheIndexAndFilterBlocks && cache is not null,
            HighPriorityIndexAndFilter = table.CacheIndexAndFilterBlocksWithHighPriority,
            PinIndexAndFilter = table.PinL0FilterAndIndexBlocksInCache && level == 0,
            Tickers = _tickers,
        });
        lock (_lock)
        {
            if (_tables.TryGetValue(fileNumber, out TableReader? raced))
            {
                opened.Dispose();
                return raced;
            }

            _tables[fileNumber] = opened;
            return opened;
        }
    }

    /// <summary>
    /// Opens the reader of a table ahead of its first read (a new flush or compaction output, every table at open:
    /// RocksDB's <c>max_open_files = -1</c>), so that reads never pay for loading its index and filter. Best effort: a
    /// table that fails to open is left for the first read to report.
    /// </summary>
    public void Preload(FileMetadata file, TableOptions table, int level)
    {
        try
        {
            Get(file, table, level);
        }
        catch (Exception e) when (e is IOException or CorruptionException or NotSupportedException or UnauthorizedAccessException)
        {
            // The first read of the table reports it.
        }
    }

    /// <summary>Closes the reader of a deleted table. Readers still using it keep a working handle until then.</summary>
    public void Evict(ulong fileNumber)
    {
        lock (_lock)
        {
            if (_tables.Remove(fileNumber, out TableReader? reader))
            {
                reader.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (TableReader reader in _tables.Values)
            {
                reader.Dispose();
            }

            _tables.Clear();
        }
    }
}
