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

    private LogWriter? _wal;
    private ulong _walNumber;
    private Exception? _backgroundError;
    private long _backgroundErrorCount;
    private bool _disposed;

    private LsmDb(string path, DbOptions options, IFileSystem fs, IDisposable dbLock, VersionSet versions)
    {
        Path = path;
        _options = options;
        _fs = fs;
        _lock = dbLock;
        _versions = versions;
        _tables = new TableCache(fs, path);
    }

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

    private static VersionSet OpenVersions(IFileSystem fs, string path, DbOptions options)
    {
        var comparators = new Dictionary<string, KeyComparator>(StringComparer.Ordinal);
        foreach ((string name, ColumnFamilyOptions cf) in options.ColumnFamilies)
        {
            comparators[name] = cf.Table.Comparator;
        }

        var versionOptions = new VersionSetOptions
        {
            Comparator = options.DefaultColumnFamilyOptions.Table.Comparator,
            ColumnFamilyComparators = comparators,
            VerifyTableFiles = options.ParanoidChecks,
        };
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

    /// <summary>
    /// Closes the database: waits for a running flush, stops the background threads, closes the log (its
    /// contents reach the operating system; memtables are not flushed, the log holds them) and releases the lock.
    /// </summary>
    public void Dispose() => DisposeCore(releaseLock: true);

    private void DisposeCore(bool releaseLock)
    {
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
            }

            _tables.Dispose();
            _versions.Dispose();
        }

        if (releaseLock)
        {
            _lock.Dispose();
        }
    }
}
