using System.Globalization;
using System.Text;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;

namespace Lsm.Engine.Versions;

/// <summary>
/// The database-wide state that the MANIFEST records (RocksDB's <c>VersionSet</c>): the counters (next file
/// number, last sequence, log numbers), the column families and their current <see cref="Version"/>s, and
/// the MANIFEST writer that makes each change durable before it is installed.
/// </summary>
/// <remarks>
/// <para>Lifecycle, as RocksDB's:</para>
/// <list type="number">
/// <item><description><see cref="Create"/> writes a new database's first MANIFEST (<c>MANIFEST-000001</c>:
/// db id, log number 0, next file number 2, last sequence 0), CURRENT and IDENTITY; <see cref="Recover"/>
/// replays the MANIFEST that CURRENT names.</description></item>
/// <item><description>Neither keeps a MANIFEST open for appending: the first <see cref="LogAndApply(uint, VersionEdit)"/>
/// after either starts a new MANIFEST holding a snapshot of the state, appends its edits, syncs, and switches
/// CURRENT to it. RocksDB does the same on every open. Later calls append to that MANIFEST until it outgrows
/// <see cref="VersionSetOptions.MaxManifestFileSize"/> (auto-tuned), when the next call starts another.</description></item>
/// <item><description>A failed MANIFEST write leaves the in-memory state as it was and forgets the writer, so
/// the next call starts a new MANIFEST; the old one stays named by CURRENT until then.</description></item>
/// </list>
/// <para>
/// Thread safety: the mutators (<see cref="LogAndApply(uint, VersionEdit)"/>, <see cref="CreateColumnFamily"/>,
/// <see cref="DropColumnFamily"/>, <see cref="RollOverManifest"/>) are meant to be called under the database
/// mutex, one at a time; they also serialize on an internal lock. Readers call <see cref="AcquireCurrent"/>
/// from any thread and <see cref="Version.Unref"/> when done; <see cref="LiveFiles"/> and the counters may be
/// read from any thread.
/// </para>
/// <para>
/// Invariants: each live column family's <see cref="ColumnFamilyState.Current"/> holds one reference of the set;
/// a version is in the live set exactly while its count is above zero; <see cref="NextFileNumber"/> exceeds
/// every file number in any version and the MANIFEST's number.
/// </para>
/// </remarks>
internal sealed partial class VersionSet : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly VersionSetOptions _options;

    // Guards the current pointers and the live-version set; never held during I/O.
    private readonly object _versionsLock = new();
    private readonly HashSet<Version> _liveVersions = new(ReferenceEqualityComparer.Instance);

    // Serializes the mutators (the database mutex should already do so).
    private readonly object _writeLock = new();
    private readonly SortedDictionary<uint, ColumnFamilyState> _columnFamilies = [];
    private readonly SortedDictionary<ulong, ulong?> _wals = [];

    private long _nextFileNumber;
    private long _lastSequence;
    private ulong _descriptorLastSequence;
    private ulong _prevLogNumber;
    private ulong _minLogNumberToKeep;
    private uint _maxColumnFamily;
    private Wal.LogWriter? _manifest;
    private ulong _manifestFileNumber;
    private long _manifestFileSize;
    private ulong _lastCompactedManifestFileSize;
    private bool _disposed;

    private VersionSet(IFileSystem fs, string dbPath, VersionSetOptions options, string dbId)
    {
        _fs = fs;
        DbPath = dbPath;
        _options = options;
        DbId = dbId;
    }

    /// <summary>The database directory.</summary>
    public string DbPath { get; }

    /// <summary>The database's identity (recorded in the MANIFEST and the IDENTITY file).</summary>
    public string DbId { get; private set; }

    /// <summary>The number the next <see cref="NewFileNumber"/> returns.</summary>
    public ulong NextFileNumber => (ulong)Interlocked.Read(ref _nextFileNumber);

    /// <summary>
    /// The last sequence number used by a write. The write path advances it (<see cref="SetLastSequence"/>);
    /// recovery starts it at the MANIFEST's. Flush edits should carry it as <see cref="VersionEdit.LastSequence"/>.
    /// </summary>
    public ulong LastSequence => (ulong)Interlocked.Read(ref _lastSequence);

    /// <summary>The largest last sequence recorded in the MANIFEST.</summary>
    public ulong DescriptorLastSequence => _descriptorLastSequence;

    /// <summary>Legacy previous log number (0 unless a RocksDB MANIFEST recorded another).</summary>
    public ulong PrevLogNumber => _prevLogNumber;

    /// <summary>The largest min-log-number-to-keep recorded: logs below it are obsolete database-wide.</summary>
    public ulong MinLogNumberToKeep => _minLogNumberToKeep;

    /// <summary>The largest column family id ever used.</summary>
    public uint MaxColumnFamily => _maxColumnFamily;

    /// <summary>The number of the MANIFEST that CURRENT names.</summary>
    public ulong ManifestFileNumber => _manifestFileNumber;

    /// <summary>The size of that MANIFEST as far as this set knows (read or written).</summary>
    public long ManifestFileSize => _manifestFileSize;

    /// <summary>The write-ahead logs tracked in the MANIFEST (RocksDB <c>track_and_verify_wals_in_manifest</c>), with synced sizes.</summary>
    public IReadOnlyDictionary<ulong, ulong?> TrackedWals
    {
        get
        {
            lock (_writeLock)
            {
                return new SortedDictionary<ulong, ulong?>(_wals);
            }
        }
    }

    /// <summary>The live (not dropped) column families, by id.</summary>
    public IReadOnlyList<ColumnFamilyState> ColumnFamilies
    {
        get
        {
            lock (_versionsLock)
            {
                return [.. _columnFamilies.Values];
            }
        }
    }

    /// <summary>The column family with <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentException">No live column family has that id.</exception>
    public ColumnFamilyState GetColumnFamily(uint id)
    {
        lock (_versionsLock)
        {
            return _columnFamilies.TryGetValue(id, out ColumnFamilyState? cf)
                ? cf
                : throw new ArgumentException($"No column family with id {id}.", nameof(id));
        }
    }

    /// <summary>The live column family named <paramref name="name"/>, or null.</summary>
    public ColumnFamilyState? FindColumnFamily(string name)
    {
        lock (_versionsLock)
        {
            foreach (ColumnFamilyState cf in _columnFamilies.Values)
            {
                if (cf.Name == name)
                {
                    return cf;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// The current version of column family <paramref name="columnFamilyId"/>, referenced for the caller,
    /// who must call <see cref="Version.Unref"/> when done. Any thread.
    /// </summary>
    public Version AcquireCurrent(uint columnFamilyId)
    {
        lock (_versionsLock)
        {
            if (!_columnFamilies.TryGetValue(columnFamilyId, out ColumnFamilyState? cf))
            {
                throw new ArgumentException($"No column family with id {columnFamilyId}.", nameof(columnFamilyId));
            }

            cf.Current.Ref();
            return cf.Current;
        }
    }

    /// <summary>Allocates a file number (for a table, log, MANIFEST or OPTIONS file).</summary>
    public ulong NewFileNumber() => (ulong)Interlocked.Increment(ref _nextFileNumber) - 1;

    /// <summary>Makes sure <see cref="NewFileNumber"/> never returns <paramref name="number"/> or less (recovery of files found on disk).</summary>
    public void MarkFileNumberUsed(ulong number)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _nextFileNumber);
        }
        while ((ulong)current <= number && Interlocked.CompareExchange(ref _nextFileNumber, (long)(number + 1), current) != current);
    }

    /// <summary>Advances <see cref="LastSequence"/> (never moves it back).</summary>
    public void SetLastSequence(ulong sequence)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _lastSequence);
        }
        while ((ulong)current < sequence && Interlocked.CompareExchange(ref _lastSequence, (long)sequence, current) != current);
    }

    /// <summary>
    /// The smallest log number any live column family still needs: logs below it (and below
    /// <see cref="PrevLogNumber"/> when that is set) are obsolete.
    /// </summary>
    public ulong MinLiveLogNumber()
    {
        lock (_versionsLock)
        {
            ulong min = ulong.MaxValue;
            foreach (ColumnFamilyState cf in _columnFamilies.Values)
            {
                min = Math.Min(min, cf.LogNumber);
            }

            return min == ulong.MaxValue ? 0 : min;
        }
    }

    /// <summary>
    /// The state as text, for tests and tools: the counters, then per column family its id, name, log number
    /// and shape (<see cref="Version.ToString"/>).
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.Append(c, $"next-file-number: {NextFileNumber}\nlast-sequence: {LastSequence}\nprev-log-number: {PrevLogNumber}\n");
        text.Append(c, $"min-log-number-to-keep: {MinLogNumberToKeep}\nmax-column-family: {MaxColumnFamily}\n");
        foreach ((ulong number, ulong? synced) in TrackedWals)
        {
            text.Append(c, $"tracked-wal: {DbFileName.Number(number)}{(synced is ulong s ? $" synced={s}" : "")}\n");
        }
        foreach (ColumnFamilyState cf in ColumnFamilies)
        {
            text.Append(c, $"column family {cf.Id} {cf.Name}: log-number {cf.LogNumber}, comparator {cf.Comparator.Name}\n");
            text.Append(cf.Current.ToString()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Closes the MANIFEST (without deleting anything). The set must not be used afterwards.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _manifest?.Dispose();
            _manifest = null;
        }
    }

    private string PathOf(string name) => Path.Join(DbPath, name);

    /// <summary>Called by a version whose count reached zero.</summary>
    private void OnVersionDead(Version version)
    {
        lock (_versionsLock)
        {
            _liveVersions.Remove(version);
        }
    }

    /// <summary>Makes <paramref name="version"/> current for <paramref name="cf"/>, taking the set's reference and releasing the old one.</summary>
    private void Install(ColumnFamilyState cf, Version version)
    {
        lock (_versionsLock)
        {
            Version old = cf.Current;
            version.Ref();
            _liveVersions.Add(version);
            cf.Current = version;
            old.Unref();
        }
    }
}
