using Lsm.Engine.Db;
using Lsm.Engine.IO;
using Lsm.Engine.Versions;
using Lsm.Engine.Wal;

namespace Lsm.Engine;

/// <summary>
/// An embedded, persistent, ordered key-value store: RocksDB's design and file formats in managed code.
/// </summary>
/// <remarks>
/// <para>
/// Writes go to a write-ahead log and a memtable; full memtables are flushed by background threads to
/// level-0 tables. A database directory is a RocksDB database directory. Thread-safe: any number of threads
/// may read and write at once; concurrent writers are committed in groups (one log append, at most one sync).
/// </para>
/// <para>
/// A database opened with <see cref="OpenReadOnly"/> reads the directory and never writes to it; its write
/// operations throw <see cref="NotSupportedException"/>.
/// </para>
/// <para>
/// Limits: keys up to <see cref="WriteBatch.MaxKeyLength"/> bytes (empty keys are allowed, as in RocksDB), values
/// up to <see cref="WriteBatch.MaxValueLength"/> bytes. Every operation on a disposed database throws
/// <see cref="ObjectDisposedException"/>; on a dropped column family, <see cref="InvalidOperationException"/>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// using var db = LsmDb.Open("/data/db", new DbOptions { CreateIfMissing = true });
/// db.Put("apple"u8, "red"u8);
/// byte[]? value = db.Get("apple"u8);
/// </code>
/// </example>
public sealed partial class LsmDb : IDisposable
{
    private readonly object _mutex = new();
    private readonly DbOptions _options;
    private readonly IFileSystem _fs;
    private readonly IDisposable _lock;
    private readonly VersionSet _versions;
    private readonly TableCache _tables;
    private readonly Dictionary<uint, ColumnFamilyData> _columnFamilies = [];
    private readonly string _sessionId = Table.TableBuilderContext.NewSessionId();
    private readonly Tickers _tickers = new();
    private BlockCache? _defaultBlockCache;

    private LogWriter? _wal;
    private ulong _walNumber;
    private Exception? _backgroundError;
    private long _backgroundErrorCount;
    private bool _disposed;

    private LsmDb(string path, DbOptions options, IFileSystem fs, IDisposable dbLock, VersionSet versions, bool readOnly = false)
    {
        Path = path;
        _options = options;
        _fs = fs;
        _lock = dbLock;
        _versions = versions;
        _tables = new TableCache(fs, path, _tickers, BlockCacheFor);
        IsReadOnly = readOnly;
    }

    /// <summary>
    /// True when the database was opened with <see cref="OpenReadOnly"/>: it never writes to its directory, and
    /// every write operation throws <see cref="NotSupportedException"/>.
    /// </summary>
    public bool IsReadOnly { get; }

    /// <summary>The database directory.</summary>
    public string Path { get; }

    /// <summary>The default column family, which every database has.</summary>
    public ColumnFamilyHandle DefaultColumnFamily { get; private set; } = null!;

    /// <summary>
    /// Opens the database in <paramref name="path"/>, creating it when <see cref="DbOptions.CreateIfMissing"/>
    /// allows, and recovers every write the write-ahead logs hold. Every column family is opened.
    /// </summary>
    /// <param name="path">The database directory.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <returns>The open database.</returns>
    /// <exception cref="IOException">The database is locked by another process or instance, or a file operation failed.</exception>
    /// <exception cref="FileNotFoundException">There is no database and <see cref="DbOptions.CreateIfMissing"/> is false.</exception>
    /// <exception cref="CorruptionException">A log, MANIFEST or table is damaged beyond what the recovery mode allows.</exception>
    public static LsmDb Open(string path, DbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DbOptions();
        options.Validate();
        IFileSystem fs = options.FileSystem;
        path = System.IO.Path.GetFullPath(path);
        if (!fs.DirectoryExists(path))
        {
            if (!options.CreateIfMissing)
            {
                throw new FileNotFoundException($"No database at {path} (set DbOptions.CreateIfMissing to create one).", path);
            }

            fs.CreateDirectory(path);
        }

        IDisposable dbLock;
        try
        {
            dbLock = fs.Lock(System.IO.Path.Join(path, DbFileName.Lock));
        }
        catch (IOException e)
        {
            throw new IOException($"The database at {path} is in use by another process or instance (its LOCK file is held).", e);
        }

        try
        {
            VersionSet versions = OpenVersions(fs, path, options);
            var db = new LsmDb(path, options, fs, dbLock, versions);
            try
            {
                db.Recover();
                db.PreloadTables();
                db.StartBackgroundThreads();
                return db;
            }
            catch
            {
                db.DisposeCore(releaseLock: false);
                throw;
            }
        }
        catch
        {
            dbLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the database in <paramref name="path"/> for reading only, as RocksDB's <c>DB::OpenForReadOnly</c>: the
    /// MANIFEST is read and the live write-ahead logs are replayed into memory, but nothing at all is written to
    /// the directory (no new log or MANIFEST, no table, no OPTIONS file, no deletion) and the LOCK is not taken,
    /// so it also opens a database that another process (LsmEngine or RocksDB) has open.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Reads, iterators, snapshots and <see cref="GetProperty"/> work as on a read-write database. Writes
    /// (<see cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, <see cref="Delete(ReadOnlySpan{byte})"/>,
    /// <see cref="Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, <see cref="Write"/>), <see cref="Flush"/>,
    /// <see cref="CreateColumnFamily"/> and <see cref="DropColumnFamily"/> throw <see cref="NotSupportedException"/>,
    /// as a read-only <see cref="Stream"/> does.
    /// </para>
    /// <para>
    /// The view is the state of the files at the open; later writes by another process are not seen (reopen to
    /// see them). Replayed writes stay in memory however large the logs are (nothing is flushed). Every column
    /// family is opened. <see cref="DbOptions.WalRecoveryMode"/> applies as in <see cref="Open"/>;
    /// <see cref="DbOptions.CreateIfMissing"/>, <see cref="DbOptions.ErrorIfExists"/>,
    /// <see cref="DbOptions.CreateMissingColumnFamilies"/> and <see cref="DbOptions.MaxBackgroundFlushes"/> do not.
    /// A write in flight in another process may show as a torn last record: it ends replay cleanly except in
    /// <see cref="WalRecoveryMode.AbsoluteConsistency"/>.
    /// </para>
    /// </remarks>
    /// <param name="path">The database directory.</param>
    /// <param name="options">Options; defaults when null.</param>
    /// <returns>The open, read-only database.</returns>
    /// <exception cref="FileNotFoundException">There is no database (no directory, or no CURRENT file) in <paramref name="path"/>.</exception>
    /// <exception cref="InvalidOperationException">A column family named in <see cref="DbOptions.ColumnFamilies"/> does not exist.</exception>
    /// <exception cref="CorruptionException">A log, MANIFEST or table is damaged beyond what the recovery mode allows.</exception>
    /// <exception cref="IOException">A file operation failed.</exception>
    public static LsmDb OpenReadOnly(string path, DbOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new DbOptions();
        options.Validate();
        IFileSystem fs = options.FileSystem;
        path = System.IO.Path.GetFullPath(path);
        if (!fs.DirectoryExists(path) || !fs.FileExists(System.IO.Path.Join(path, DbFileName.Current)))
        {
            throw new FileNotFoundException(
                $"No database at {path} (no CURRENT file); a read-only open never creates one, whatever DbOptions.CreateIfMissing says.", path);
        }

        VersionSet versions = VersionSet.Recover(fs, path, VersionOptions(options));
        var db = new LsmDb(path, options, fs, NoLock.Instance, versions, readOnly: true);
        try
        {
            db.RecoverReadOnly();
            db.PreloadTables();
            return db;
        }
        catch
        {
            db.DisposeCore(releaseLock: false);
            throw;
        }
    }

    private static VersionSetOptions VersionOptions(DbOptions options)
    {
        var comparators = new Dictionary<string, KeyComparator>(StringComparer.Ordinal);
        foreach ((string name, ColumnFamilyOptions cf) in options.ColumnFamilies)
        {
            comparators[name] = cf.Table.Comparator;
        }

        return new VersionSetOptions
        {
            Comparator = options.DefaultColumnFamilyOptions.Table.Comparator,
            ColumnFamilyComparators = comparators,
            VerifyTableFiles = options.ParanoidChecks,
        };
    }

    private static VersionSet OpenVersions(IFileSystem fs, string path, DbOptions options)
    {
        VersionSetOptions versionOptions = VersionOptions(options);
        if (fs.FileExists(System.IO.Path.Join(path, DbFileName.Current)))
        {
            if (options.ErrorIfExists)
            {
                throw new IOException($"A database already exists at {path} (DbOptions.ErrorIfExists is set).");
            }

            return VersionSet.Recover(fs, path, versionOptions);
        }

        if (!options.CreateIfMissing)
        {
            throw new FileNotFoundException($"No database at {path} (set DbOptions.CreateIfMissing to create one).", path);
        }

        return VersionSet.Create(fs, path, versionOptions);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Refuses an operation that would write to the directory of a database opened with <see cref="OpenReadOnly"/>.</summary>
    private void ThrowIfReadOnly([System.Runtime.CompilerServices.CallerMemberName] string operation = "")
    {
        if (IsReadOnly)
        {
            throw new NotSupportedException($"{operation} is not supported: the database at {Path} was opened read-only (LsmDb.OpenReadOnly).");
        }
    }

    /// <summary>
    /// The block cache reads of tables with <paramref name="table"/> options go through: theirs, or the database's own
    /// (<see cref="TableOptions.DefaultBlockCacheCapacity"/>, created on first use and disposed with the database), or
    /// none with <see cref="TableOptions.NoBlockCache"/>.
    /// </summary>
    internal BlockCache? BlockCacheFor(TableOptions table)
    {
        if (table.NoBlockCache)
        {
            return null;
        }

        if (table.BlockCache is BlockCache cache)
        {
            return cache;
        }

        lock (_mutex)
        {
            return _defaultBlockCache ??= new BlockCache(TableOptions.DefaultBlockCacheCapacity);
        }
    }

    /// <summary>Opens every live table's reader (best effort), as RocksDB does at open with <c>max_open_files = -1</c>.</summary>
    private void PreloadTables()
    {
        List<(FileMetadata File, TableOptions Table, int Level)> tables = [];
        lock (_mutex)
        {
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                foreach ((int level, FileMetadata file) in cf.State.Current.AllFiles())
                {
                    tables.Add((file, cf.Options.Table, level));
                }
            }
        }

        foreach ((FileMetadata file, TableOptions table, int level) in tables)
        {
            _tables.Preload(file, table, level);
        }
    }

    /// <summary>What a read-only database holds instead of the LOCK: nothing.</summary>
    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// Closes the database: waits for a running flush, stops the background threads, closes the log (its
    /// contents reach the operating system; memtables are not flushed, the log holds them) and releases the lock.
    /// </summary>
    public void Dispose() => DisposeCore(releaseLock: true);

    private void DisposeCore(bool releaseLock)
    {
        Metrics.EngineMeter.Unregister(this);
        lock (_mutex)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Monitor.PulseAll(_mutex);

            // A write group's leader appends to the log outside the mutex: let the queue drain first.
            while (_writers.Count > 0)
            {
                Monitor.Wait(_mutex);
            }
        }

        StopBackgroundThreads();
        lock (_mutex)
        {
            try
            {
                _wal?.Flush();
            }
            catch (IOException)
            {
                // The log's unflushed tail is lost as in a crash; recovery handles a torn tail.
            }

            _wal?.Dispose();
            _wal = null;
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                cf.Mem.Unref();
                foreach (ImmutableMemTable imm in cf.Imm)
                {
                    imm.Mem.Unref();
                }

                cf.Imm.Clear();
                cf.DropSuperVersion();
            }

            _tables.Dispose();
            _versions.Dispose();
            _defaultBlockCache?.Dispose();
        }

        if (releaseLock)
        {
            _lock.Dispose();
        }
    }
}
