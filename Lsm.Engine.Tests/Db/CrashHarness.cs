using System.Globalization;
using System.Text;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>How a crash image treats the bytes written but not synced when it was taken.</summary>
internal enum CrashMode
{
    /// <summary>Every unsynced byte is lost (<see cref="InMemoryCrashOptions.DropUnsynced"/>).</summary>
    DropUnsynced,

    /// <summary>Each file keeps a random prefix of its unsynced tail (<see cref="InMemoryUnsyncedTail.KeepRandomPrefix"/>).</summary>
    TornTail,

    /// <summary>
    /// As <see cref="TornTail"/>, then zeros up to a random length (<see cref="InMemoryUnsyncedTail.KeepRandomPrefixThenZeros"/>).
    /// Zeros inside a record make a whole record fail its checksum, which the default recovery mode rightly refuses, so
    /// these images are opened with <see cref="WalRecoveryMode.PointInTimeRecovery"/>.
    /// </summary>
    TornTailThenZeros,
}

/// <summary>
/// A crash image: what the disk would hold had the machine crashed at one moment, and the range of history prefix
/// lengths the database may recover to from it.
/// </summary>
/// <remarks>
/// <see cref="Lo"/> is the prefix every synced, acknowledged write (and everything a previous recovery showed) had
/// reached before the image was taken; <see cref="Hi"/> counts every write issued by the time it was taken (an
/// unsynced or in-flight write may survive, but only with everything before it). Images taken while the database was
/// opening from a crash image get both bounds once the open shows what it recovered: a crash during recovery must not
/// lose any of it. (Opening after a clean close, a crash may still lose the unsynced tail of the last log.)
/// </remarks>
internal sealed class CrashImage(InMemoryFileSystem disk, string where, CrashMode mode, WalRecoveryMode recovery, int lo, int hi)
{
    public InMemoryFileSystem Disk { get; } = disk;

    public string Where { get; } = where;

    public CrashMode Mode { get; } = mode;

    /// <summary>How the image is opened: as the open it was taken in, if any; <see cref="WalRecoveryMode.PointInTimeRecovery"/> for zeroed tails.</summary>
    public WalRecoveryMode Recovery { get; } = recovery;

    public int Lo { get; set; } = lo;

    public int Hi { get; set; } = hi;

    public override string ToString() => $"crash at '{Where}' ({Mode}, opened with {Recovery}), prefix in [{Lo}, {Hi}]";
}

/// <summary>
/// Drives one database on an <see cref="InMemoryFileSystem"/> through random batches, takes crash images at chosen
/// moments (between writes, or from a <see cref="FileSystemFault.OnFire"/> on any thread, flush thread included), and
/// checks each image: it opens without error, and holds exactly the state after some prefix of the history that keeps
/// every synced write (<see cref="CrashImage"/>). A crash then continues the run from one of the images.
/// </summary>
/// <remarks>
/// Two column families (<c>default</c>, <c>cf1</c>), merges with <see cref="UInt64AddOperator"/>, small write buffers so
/// flushes, MANIFEST writes and log switches happen between crashes. Each failure message names the seed, the image and
/// the closest prefix, and lists the disk. Not thread-safe, except <see cref="Capture"/>.
/// </remarks>
internal sealed class CrashHarness
{
    public const string DbPath = "/db";

    private readonly int _seed;
    private readonly Random _random;
    private readonly Random _captureRandom;
    private readonly long _writeBufferSize;
    private readonly int _maxBackgroundFlushes;
    private readonly List<IReadOnlyList<ModelEntry>> _history = [];
    private readonly List<bool> _synced = [];
    private readonly Lock _imagesLock = new();
    private readonly List<CrashImage> _images = [];
    private readonly byte[][] _probeKeys;

    private readonly ModelDatabase _start = new();
    private int _startIndex;
    private int _issued;
    private int _durable;
    private int _imageSeed;
    private volatile bool _opening;
    private int _openLo;
    private int _openHi;
    private int _openImageFloor = -1;
    private WalRecoveryMode _openRecovery = WalRecoveryMode.TolerateCorruptedTailRecords;
    private InMemoryFileSystem _disk = new();
    private FaultInjectingFileSystem? _faulty;
    private LsmDb? _db;
    private ColumnFamilyHandle[] _handles = [];

    /// <param name="seed">Seeds the batches and the choice of crashes.</param>
    /// <param name="writeBufferSize">Each family's write buffer: small, so flushes and log switches happen often.</param>
    /// <param name="keysPerFamily">The key space of each family.</param>
    /// <param name="maxBackgroundFlushes">Flush threads: with two, both families flush at once.</param>
    public CrashHarness(int seed, long writeBufferSize = 16 * 1024, int keysPerFamily = 300, int maxBackgroundFlushes = 1)
    {
        _seed = seed;
        _maxBackgroundFlushes = maxBackgroundFlushes;
        _random = new Random(seed);
        _captureRandom = new Random(~seed);
        _writeBufferSize = writeBufferSize;
        KeysPerFamily = keysPerFamily;
        _probeKeys = [.. Enumerable.Range(0, keysPerFamily).Where(i => i % 7 == 0).Select(i => System.Text.Encoding.UTF8.GetBytes(Key(i)))];
    }

    public int KeysPerFamily { get; }

    /// <summary>Images checked so far.</summary>
    public int ImagesVerified { get; private set; }

    /// <summary>How many images were taken at each kind of moment ("Sync WAL", "Rename dbtmp (open)", "between writes", ...).</summary>
    public SortedDictionary<string, int> Categories { get; } = new(StringComparer.Ordinal);

    /// <summary>The batches written so far (a crash cuts it to what survived).</summary>
    public int HistoryLength => _history.Count;

    public LsmDb Db => _db ?? throw new InvalidOperationException("not open");

    public FaultInjectingFileSystem Faulty => _faulty ?? throw new InvalidOperationException("not open");

    /// <summary>The current disk, for tests that take their own images or sync a directory.</summary>
    public InMemoryFileSystem Disk => _disk;

    public static string Key(int i) => $"k{i:D4}";

    public static DbOptions Options(
        IFileSystem fs,
        long writeBufferSize,
        WalRecoveryMode recovery = WalRecoveryMode.TolerateCorruptedTailRecords,
        int maxBackgroundFlushes = 1,
        CompactionStyle style = CompactionStyle.Level)
    {
        // Small level targets and files, so that flushes of tiny memtables soon lead to compactions.
        var cf = new ColumnFamilyOptions
        {
            WriteBufferSize = writeBufferSize,
            MergeOperator = UInt64AddOperator.Instance,
            CompactionStyle = style,
            Level0FileNumCompactionTrigger = 2,
            TargetFileSizeBase = 2 * writeBufferSize,
            MaxBytesForLevelBase = 4 * writeBufferSize,
        };
        return new DbOptions
        {
            CreateIfMissing = true,
            CreateMissingColumnFamilies = true,
            FileSystem = fs,
            WalRecoveryMode = recovery,
            MaxBackgroundFlushes = maxBackgroundFlushes,
            DefaultColumnFamilyOptions = cf,
            ColumnFamilies = new Dictionary<string, ColumnFamilyOptions> { [ModelDatabase.ColumnFamilyNames[1]] = cf },
        };
    }

    /// <summary>
    /// Opens the database on the current disk through a fresh fault injector (<paramref name="rules"/> are added to it
    /// first, so crash images can be taken during recovery), and checks that what it recovered is an allowed prefix.
    /// </summary>
    public void Open(Action<FaultInjectingFileSystem>? rules = null)
    {
        if (_db is not null)
        {
            throw new InvalidOperationException("already open");
        }

        _faulty = new FaultInjectingFileSystem(_disk);
        rules?.Invoke(_faulty);

        // Images taken from here until the check below get the recovered prefix as both bounds.
        string before = _disk.Describe();
        _opening = true;
        int k;
        try
        {
            try
            {
                _db = LsmDb.Open(DbPath, Options(_faulty, _writeBufferSize, _openRecovery, _maxBackgroundFlushes));
            }
            catch (Exception e)
            {
                throw new CrashCheckException(
                    $"{Header()}: open after a crash failed (torn tails must be tolerated; nothing else was damaged) [{_openRecovery}, prefix in [{_openLo}, {_openHi}]]\n{before}", e);
            }

            _handles = ModelDatabase.Handles(_db);
            ModelDatabase recovered = ModelDatabase.Read(_db, _probeKeys);
            k = ModelDatabase.FindPrefix(_start, _startIndex, _history, _openLo, _openHi, recovered);
            if (k < 0)
            {
                throw new CrashCheckException(Mismatch($"open after crash [{_openRecovery}]", _openLo, _openHi, recovered, before));
            }
        }
        catch
        {
            _opening = false;
            throw;
        }

        // What this open recovered is the history from now on; it is as durable as a synced write. The model's start
        // moves up to it, but not past what images taken during the open may fall back to.
        int start = _openImageFloor < 0 ? k : Math.Min(k, _openImageFloor);
        for (int i = _startIndex; i < start; i++)
        {
            _start.Apply(_history[i]);
        }

        _history.RemoveRange(k, _history.Count - k);
        _synced.RemoveRange(k, _synced.Count - k);
        _startIndex = start;
        _issued = k;
        _durable = k;
        lock (_imagesLock)
        {
            // Under the lock that Capture holds from reading _opening to adding its image, so an image a background
            // thread (a compaction the open started) takes as the open ends cannot miss its bounds.
            _opening = false;
            foreach (CrashImage image in _images.Where(image => image.Lo < 0))
            {
                image.Lo = _openImageFloor < 0 ? k : _openImageFloor;
                image.Hi = k;
            }
        }
    }

    /// <summary>A random batch of 1 to 6 operations over both families; one put in a hundred is 4 to 40 KB, so log records span the log's 32 KiB blocks.</summary>
    public ModelEntry[] RandomBatch()
    {
        var batch = new ModelEntry[_random.Next(1, 7)];
        for (int i = 0; i < batch.Length; i++)
        {
            int cf = _random.Next(4) == 0 ? 1 : 0;
            string key = Key(_random.Next(KeysPerFamily));
            int kind = _random.Next(50);
            batch[i] = kind switch
            {
                < 30 => ModelEntry.Put(cf, key, Value(_history.Count, _random.Next(100) == 0 ? _random.Next(4096, 40960) : _random.Next(16, 200))),
                < 40 => ModelEntry.Delete(cf, key),
                < 49 => ModelEntry.Merge(cf, key, (ulong)_random.Next(1, 1000)),
                _ => RandomRange(cf, key),
            };
        }

        return batch;
    }

    /// <summary>A range deletion from <paramref name="begin"/> over a few keys.</summary>
    private ModelEntry RandomRange(int cf, string begin)
    {
        string end = Key(Math.Min(KeysPerFamily, int.Parse(begin.AsSpan(1), CultureInfo.InvariantCulture) + _random.Next(0, 5)));
        return ModelEntry.DeleteRange(cf, begin, end);
    }

    /// <summary>Writes one batch and records it; <paramref name="sync"/> makes it (and everything before it) required after a crash.</summary>
    public void Write(IReadOnlyList<ModelEntry> batch, bool sync)
    {
        WriteBatch wb = ModelDatabase.ToWriteBatch(batch, _handles);
        _history.Add(batch);
        _synced.Add(sync);
        Interlocked.Increment(ref _issued);
        Db.Write(wb, sync ? new WriteOptions { Sync = true } : null);
        if (sync)
        {
            Volatile.Write(ref _durable, _history.Count);
        }
    }

    /// <summary>Writes <paramref name="count"/> random batches, each synced with probability <paramref name="syncProbability"/>; takes an image between writes with probability <paramref name="imageProbability"/>, and flushes a random family with probability <paramref name="flushProbability"/>.</summary>
    public void WriteRandom(int count, double syncProbability, double imageProbability = 0, double flushProbability = 0)
    {
        for (int i = 0; i < count; i++)
        {
            Write(RandomBatch(), _random.NextDouble() < syncProbability);
            if (_random.NextDouble() < flushProbability)
            {
                Db.Flush(_handles[_random.Next(_handles.Length)]);
            }

            if (_random.NextDouble() < imageProbability)
            {
                Capture("between writes");
            }
        }
    }

    public void Flush(int cf) => Db.Flush(_handles[cf]);

    /// <summary>Compacts the whole key range of a family (<see cref="LsmDb.CompactRange"/>).</summary>
    public void Compact(int cf) => Db.CompactRange(_handles[cf]);

    /// <summary>
    /// Takes a crash image of the disk now, in a random mode (or <paramref name="mode"/>). Thread-safe: called from
    /// fault rules on the writing thread, the flush thread or during open and close.
    /// </summary>
    public void Capture(string where, CrashMode? mode = null)
    {
        lock (_imagesLock)
        {
            CaptureLocked(where, mode);
        }
    }

    private void CaptureLocked(string where, CrashMode? mode)
    {
        CrashMode chosen = mode ?? (CrashMode)(_captureRandom.Next(5) switch { < 2 => 0, < 4 => 1, _ => 2 });
        int seed = ++_imageSeed;

        // An image taken during an open is opened as that open was, so both must recover the same state.
        bool opening = _opening;
        WalRecoveryMode recovery = chosen == CrashMode.TornTailThenZeros ? WalRecoveryMode.PointInTimeRecovery : WalRecoveryMode.TolerateCorruptedTailRecords;
        if (opening)
        {
            chosen = chosen == CrashMode.TornTailThenZeros && _openRecovery != WalRecoveryMode.PointInTimeRecovery ? CrashMode.TornTail : chosen;
            recovery = _openRecovery;
        }

        int lo = Volatile.Read(ref _durable);
        InMemoryFileSystem image = _disk.CrashClone(chosen switch
        {
            CrashMode.DropUnsynced => InMemoryCrashOptions.DropUnsynced,
            CrashMode.TornTail => InMemoryCrashOptions.TornTail(seed),
            _ => new InMemoryCrashOptions { UnsyncedTail = InMemoryUnsyncedTail.KeepRandomPrefixThenZeros, Seed = seed },
        });
        int hi = Volatile.Read(ref _issued);
        string category = opening ? where + " (open)" : where;
        _images.Add(new CrashImage(image, category, chosen, recovery, opening ? -1 : lo, opening ? -1 : hi));
        Categories[category] = Categories.GetValueOrDefault(category) + 1;
    }

    /// <summary>A rule that takes an image on every call of <paramref name="operation"/> (any operation when null) that <paramref name="probability"/> selects.</summary>
    /// <param name="operation">The operation; every one when null.</param>
    /// <param name="probability">The chance that a matching call is a crash point; 1 for every call.</param>
    /// <param name="pathFilter">Which paths; every one when null.</param>
    /// <param name="seed">Seeds the rule's choices.</param>
    /// <param name="modes">Take one image per mode instead of one in a random mode.</param>
    /// <param name="unless">Calls not to take an image at (those another rule samples).</param>
    public FileSystemFault CaptureRule(
        FileSystemOperation? operation,
        double probability,
        Func<string, bool>? pathFilter = null,
        int seed = 0,
        CrashMode[]? modes = null,
        Func<FileSystemOperation, string, bool>? unless = null) => new()
    {
        Operation = operation,
        PathFilter = pathFilter,
        Kind = FaultKind.None,
        Trigger = probability >= 1 ? FaultTrigger.Always : FaultTrigger.WithProbability(probability),
        Seed = seed,
        OnFire = (op, path) =>
        {
            if (!Mutates(op) || unless?.Invoke(op, path) == true)
            {
                return; // a read leaves the disk as it will be before the next call that changes it
            }

            if (modes is null)
            {
                Capture($"{op} {FileKind(path)}");
                return;
            }

            foreach (CrashMode mode in modes)
            {
                Capture($"{op} {FileKind(path)}", mode);
            }
        },
    };

    /// <summary>
    /// Rules that take an image (in each of <paramref name="modes"/>) before every call that changes the disk, except
    /// table appends, of which a sample of <paramref name="tableAppends"/> is taken (a table is dozens of appends alike).
    /// </summary>
    public void AddEveryCallRules(FaultInjectingFileSystem fs, CrashMode[] modes, double tableAppends = 0.2)
    {
        static bool TableAppend(FileSystemOperation op, string path) => op == FileSystemOperation.Append && FileKind(path) == "SST";
        fs.AddRule(CaptureRule(FileSystemOperation.Append, tableAppends, path => FileKind(path) == "SST", seed: 1, modes: modes));
        fs.AddRule(CaptureRule(null, 1, modes: modes, unless: TableAppend));
    }

    /// <summary>Rules that take images at random file-system calls, weighted so that rare calls (renames, directory syncs, MANIFEST and table syncs) are well represented.</summary>
    public void AddRandomCaptureRules(FaultInjectingFileSystem fs, int seed)
    {
        static Func<string, bool> Kind(string kind) => path => FileKind(path) == kind;
        fs.AddRule(CaptureRule(FileSystemOperation.Rename, 0.5, seed: seed));
        fs.AddRule(CaptureRule(FileSystemOperation.SyncDirectory, 0.1, seed: seed + 1));
        fs.AddRule(CaptureRule(null, 0.06, Kind("MANIFEST"), seed + 2));
        fs.AddRule(CaptureRule(FileSystemOperation.Create, 0.15, seed: seed + 3));
        fs.AddRule(CaptureRule(FileSystemOperation.Sync, 0.15, Kind("SST"), seed + 4));
        fs.AddRule(CaptureRule(FileSystemOperation.Delete, 0.1, seed: seed + 5));
        fs.AddRule(CaptureRule(FileSystemOperation.Sync, 0.03, Kind("WAL"), seed + 6));
        fs.AddRule(CaptureRule(null, 0.004, seed: seed + 7));
    }

    /// <summary>Whether a call can change what a crash leaves: reads and listings cannot, so they are not worth a crash point.</summary>
    public static bool Mutates(FileSystemOperation operation) => operation is not (FileSystemOperation.OpenRead or FileSystemOperation.Read
        or FileSystemOperation.FileExists or FileSystemOperation.DirectoryExists or FileSystemOperation.GetFileLength or FileSystemOperation.ListFiles);

    /// <summary>The kind of database file a path names, for image categories.</summary>
    public static string FileKind(string path)
    {
        string name = Path.GetFileName(path);
        return name switch
        {
            _ when name.EndsWith(".log", StringComparison.Ordinal) => "WAL",
            _ when name.EndsWith(".sst", StringComparison.Ordinal) => "SST",
            _ when name.StartsWith("MANIFEST-", StringComparison.Ordinal) => "MANIFEST",
            _ when name.EndsWith(".dbtmp", StringComparison.Ordinal) => "dbtmp",
            "CURRENT" or "IDENTITY" or "LOCK" => name,
            _ when name.StartsWith("OPTIONS", StringComparison.Ordinal) => "OPTIONS",
            _ => "dir",
        };
    }

    /// <summary>Closes the database (images may still be taken while it closes).</summary>
    public void Close()
    {
        _db?.Dispose();
        _db = null;
        _faulty?.ClearRules();
    }

    /// <summary>Closes, then continues from <paramref name="image"/> (null: from the closed disk, where everything issued must survive).</summary>
    public void CrashTo(CrashImage? image)
    {
        Close();
        if (image is null)
        {
            // No crash: the open must find everything; a crash during it may lose what was never synced.
            _openLo = _history.Count;
            _openHi = _history.Count;
            _openImageFloor = _durable;
            _openRecovery = WalRecoveryMode.TolerateCorruptedTailRecords;
            return;
        }

        _disk = image.Disk;
        _openImageFloor = -1; // an image is all synced: a crash during its recovery loses nothing the recovery finds
        _openLo = image.Lo;
        _openHi = image.Hi;
        _openRecovery = image.Recovery;
    }

    /// <summary>
    /// Closes and opens the same disk again, without a crash; the open must find every write from the first
    /// <paramref name="lo"/> batches (those acknowledged), and may find writes that failed after them.
    /// </summary>
    public void ReopenHealthy(int lo)
    {
        CrashTo(null);
        _openLo = lo;
        Open();
    }

    /// <summary>The state after the first <paramref name="length"/> batches (at least where the model starts).</summary>
    public ModelDatabase StateAt(int length)
    {
        ModelDatabase state = _start.Clone();
        for (int i = _startIndex; i < length; i++)
        {
            state.Apply(_history[i]);
        }

        return state;
    }

    /// <summary>Removes and returns the images taken so far.</summary>
    public List<CrashImage> TakeImages()
    {
        lock (_imagesLock)
        {
            var images = new List<CrashImage>(_images);
            _images.Clear();
            return images;
        }
    }

    /// <summary>Picks one of <paramref name="images"/> at random (removing it), or null when there are none.</summary>
    public CrashImage? PickAndRemove(List<CrashImage> images)
    {
        if (images.Count == 0)
        {
            return null;
        }

        int i = _random.Next(images.Count);
        CrashImage image = images[i];
        images.RemoveAt(i);
        return image;
    }

    /// <summary>Opens a copy of each image and checks it (see <see cref="CrashImage"/>); throws <see cref="CrashCheckException"/> on the first bad one.</summary>
    public void Verify(IEnumerable<CrashImage> images)
    {
        foreach (CrashImage image in images)
        {
            Verify(image);
        }
    }

    public void Verify(CrashImage image)
    {
        if (image.Lo < 0)
        {
            throw new InvalidOperationException($"{image} was taken during an open that did not finish");
        }

        InMemoryFileSystem copy = image.Disk.CrashClone(); // everything in an image is synced: an exact copy, so the image stays as taken
        LsmDb db;
        try
        {
            db = LsmDb.Open(DbPath, Options(copy, _writeBufferSize, image.Recovery, _maxBackgroundFlushes));
        }
        catch (Exception e)
        {
            throw new CrashCheckException($"{Header()}: {image}: open failed\n{image.Disk.Describe()}", e);
        }

        using (db)
        {
            ModelDatabase actual = ModelDatabase.Read(db, _probeKeys);
            if (ModelDatabase.FindPrefix(_start, _startIndex, _history, image.Lo, image.Hi, actual) < 0)
            {
                throw new CrashCheckException(Mismatch(image.ToString(), image.Lo, image.Hi, actual, image.Disk.Describe()));
            }
        }

        ImagesVerified++;
    }

    private string Header() => $"seed {_seed}";

    private string Mismatch(string what, int lo, int hi, ModelDatabase actual, string disk)
    {
        (int closest, int differences) = ModelDatabase.ClosestPrefix(_start, _startIndex, _history, Math.Max(hi, lo), actual);
        ModelDatabase expected = _start.Clone();
        for (int i = _startIndex; i < closest; i++)
        {
            expected.Apply(_history[i]);
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Header()}: {what}: the database is not the state after any prefix in [{lo}, {hi}] of the history ");
        text.Append(CultureInfo.InvariantCulture, $"(the history starts at {_startIndex}; synced writes up to {lo} must survive).\n");
        text.Append(CultureInfo.InvariantCulture, $"Closest prefix: {closest} ({differences} keys differ):\n").Append(expected.Describe(actual));
        text.Append("Last batches (index, synced, operations):\n");
        int first = Math.Max(_startIndex, Math.Min(closest, lo) - 4);
        int end = Math.Min(_history.Count, Math.Max(hi, closest) + 2);
        for (int i = first; i < end; i++)
        {
            if (end - first > 30 && i == first + 10)
            {
                text.Append("  ...\n");
                i = end - 20;
            }

            text.Append(CultureInfo.InvariantCulture, $"  #{i} {(_synced[i] ? "sync" : "    ")} {string.Join("; ", _history[i].Take(4))}{(_history[i].Count > 4 ? "; ..." : "")}\n");
        }

        text.Append("Disk of the image (before it was opened):\n").Append(disk);
        return text.ToString();
    }

    /// <summary>A value that names the batch that wrote it, padded to <paramref name="length"/> bytes.</summary>
    private static byte[] Value(int index, int length)
    {
        string prefix = $"v{index}:";
        byte[] value = new byte[length];
        for (int i = 0; i < length; i++)
        {
            value[i] = i < prefix.Length ? (byte)prefix[i] : (byte)('a' + ((index + i) % 26));
        }

        return value;
    }
}

/// <summary>A crash image that does not open, or opens to a state no allowed prefix explains.</summary>
internal sealed class CrashCheckException : Exception
{
    public CrashCheckException(string message)
        : base(message)
    {
    }

    public CrashCheckException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
