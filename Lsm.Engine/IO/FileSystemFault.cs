namespace Lsm.Engine.IO;

/// <summary>
/// One fault rule of a <see cref="FaultInjectingFileSystem"/>: which calls it matches (operation × path), on which of
/// them it fires (<see cref="Trigger"/>), and what then happens (<see cref="Kind"/>).
/// </summary>
/// <remarks>
/// <para>
/// Example: the third sync of any WAL fails, and the bytes stay unsynced:
/// <c>new FileSystemFault { Operation = FileSystemOperation.Sync, PathFilter = FileSystemFault.NameEndsWith(".log"), Trigger = FaultTrigger.OnNthCall(3) }</c>.
/// </para>
/// <para>
/// Thread-safe: the counters and the seeded generator are guarded, so a rule may be shared by threads and added or
/// removed while the engine runs. With several threads the order in which calls are numbered is theirs, so only
/// single-threaded runs replay exactly.
/// </para>
/// </remarks>
internal sealed class FileSystemFault
{
    private readonly Lock _lock = new();
    private Random? _random;
    private long _matches;
    private long _fires;

    /// <summary>The operation the rule matches, or null for every operation. Default: null.</summary>
    public FileSystemOperation? Operation { get; init; }

    /// <summary>
    /// Which paths the rule matches, given the full path as the engine passed it (for <see cref="FileSystemOperation.Rename"/>
    /// the rule matches if either path does; for reads and writes, the path the file was opened with); null for every
    /// path. Default: null.
    /// </summary>
    public Func<string, bool>? PathFilter { get; init; }

    /// <summary>On which matching calls the rule fires. Default: <see cref="FaultTrigger.Always"/>.</summary>
    public FaultTrigger Trigger { get; init; } = FaultTrigger.Always;

    /// <summary>What a firing does. Default: <see cref="FaultKind.IOError"/>.</summary>
    public FaultKind Kind { get; init; } = FaultKind.IOError;

    /// <summary>
    /// For <see cref="FaultKind.TornAppend"/>: how many bytes of the append reach the file before the failure (capped
    /// below the append's length), or null to draw a length from 0 to one less than the append's, from <see cref="Seed"/>.
    /// Default: null.
    /// </summary>
    public int? TornAppendBytes { get; init; }

    /// <summary>Seeds the rule's generator (probability trigger, torn lengths, corrupted bytes). Default: 0.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Called (with the operation and path) each time the rule fires, before the fault takes effect and before the
    /// operation runs: to take a <see cref="InMemoryFileSystem.CrashClone"/> at a chosen point, or to add more rules.
    /// Default: null.
    /// </summary>
    public Action<FileSystemOperation, string>? OnFire { get; init; }

    /// <summary>How many calls have matched the operation and path so far.</summary>
    public long Matches => Interlocked.Read(ref _matches);

    /// <summary>How many times the rule has fired.</summary>
    public long Fires => Interlocked.Read(ref _fires);

    /// <summary>A path filter matching paths whose file name ends with <paramref name="suffix"/> (ordinal).</summary>
    public static Func<string, bool> NameEndsWith(string suffix) =>
        path => Path.GetFileName(path.AsSpan()).EndsWith(suffix, StringComparison.Ordinal);

    /// <summary>A path filter matching paths whose file name is exactly <paramref name="name"/> (ordinal).</summary>
    public static Func<string, bool> NameIs(string name) =>
        path => Path.GetFileName(path.AsSpan()).SequenceEqual(name);

    public override string ToString() =>
        $"{Kind} on {(Operation is { } op ? op.ToString() : "any operation")}{(PathFilter is null ? "" : " (filtered paths)")}, {Trigger}";

    /// <summary>Throws if the kind cannot apply to the operation.</summary>
    internal void Validate()
    {
        if (Kind == FaultKind.TornAppend && Operation != FileSystemOperation.Append)
        {
            throw new ArgumentException($"A {nameof(FaultKind.TornAppend)} fault needs {nameof(Operation)} = {nameof(FileSystemOperation.Append)}.");
        }

        if (Kind == FaultKind.CorruptRead && Operation != FileSystemOperation.Read)
        {
            throw new ArgumentException($"A {nameof(FaultKind.CorruptRead)} fault needs {nameof(Operation)} = {nameof(FileSystemOperation.Read)}.");
        }

        if (TornAppendBytes is < 0)
        {
            throw new ArgumentException($"{nameof(TornAppendBytes)} cannot be negative.");
        }
    }

    /// <summary>Counts the call if it matches, and says whether the rule fires on it.</summary>
    internal bool Evaluate(FileSystemOperation operation, string path, string? otherPath)
    {
        if ((Operation is { } op && op != operation)
            || (PathFilter is { } filter && !filter(path) && (otherPath is null || !filter(otherPath))))
        {
            return false;
        }

        lock (_lock)
        {
            _matches++;
            if (!Trigger.Fires(_matches, Random))
            {
                return false;
            }

            _fires++;
            return true;
        }
    }

    /// <summary>How many of <paramref name="length"/> bytes a torn append writes: fewer than all, unless there are none.</summary>
    internal int TornLength(int length)
    {
        if (length == 0)
        {
            return 0;
        }

        lock (_lock)
        {
            return TornAppendBytes is { } n ? Math.Min(n, length - 1) : Random.Next(length);
        }
    }

    /// <summary>Which of <paramref name="length"/> bytes to corrupt, and the bit mask to flip in it.</summary>
    internal (int Index, byte Mask) Corruption(int length)
    {
        lock (_lock)
        {
            return (Random.Next(length), (byte)(1 << Random.Next(8)));
        }
    }

    private Random Random => _random ??= new Random(Seed);
}

/// <summary>The operations a <see cref="FaultInjectingFileSystem"/> counts and can fail: every member of <see cref="IFileSystem"/>, and the reads and writes of its files.</summary>
internal enum FileSystemOperation
{
    /// <summary><see cref="IFileSystem.Create"/>.</summary>
    Create,

    /// <summary><see cref="IFileSystem.OpenRead"/>.</summary>
    OpenRead,

    /// <summary><see cref="IFileSystem.FileExists"/>.</summary>
    FileExists,

    /// <summary><see cref="IFileSystem.DirectoryExists"/>.</summary>
    DirectoryExists,

    /// <summary><see cref="IFileSystem.GetFileLength"/>.</summary>
    GetFileLength,

    /// <summary><see cref="IFileSystem.Delete"/>.</summary>
    Delete,

    /// <summary><see cref="IFileSystem.Rename"/>.</summary>
    Rename,

    /// <summary><see cref="IFileSystem.CreateDirectory"/>.</summary>
    CreateDirectory,

    /// <summary><see cref="IFileSystem.ListFiles"/>.</summary>
    ListFiles,

    /// <summary><see cref="IFileSystem.SyncDirectory"/>.</summary>
    SyncDirectory,

    /// <summary><see cref="IFileSystem.Lock"/>.</summary>
    Lock,

    /// <summary><see cref="IRandomAccessFile.Read"/>.</summary>
    Read,

    /// <summary><see cref="IWritableFile.Append"/>.</summary>
    Append,

    /// <summary><see cref="IWritableFile.Flush"/>.</summary>
    Flush,

    /// <summary><see cref="IWritableFile.Sync"/>.</summary>
    Sync,
}

/// <summary>What a firing <see cref="FileSystemFault"/> does to the call.</summary>
internal enum FaultKind
{
    /// <summary>Nothing: the call proceeds. For rules that only count or run <see cref="FileSystemFault.OnFire"/>.</summary>
    None,

    /// <summary>
    /// The call throws an <see cref="IOException"/> saying the fault was injected, and does nothing else, except that a
    /// failed <see cref="FileSystemOperation.Sync"/> first flushes: the bytes reach the file, readable but not durable,
    /// as when <c>fsync</c> fails.
    /// </summary>
    IOError,

    /// <summary>As <see cref="IOError"/>, with the error of a full disk (ENOSPC; ERROR_DISK_FULL on Windows).</summary>
    DiskFull,

    /// <summary>
    /// <see cref="FileSystemOperation.Append"/> only: a prefix of the data is appended and flushed (see
    /// <see cref="FileSystemFault.TornAppendBytes"/>), then the call fails as <see cref="DiskFull"/>.
    /// </summary>
    TornAppend,

    /// <summary><see cref="FileSystemOperation.Read"/> only: the read succeeds, with one bit flipped in one of the bytes returned.</summary>
    CorruptRead,
}

/// <summary>On which of its matching calls (numbered from 1) a <see cref="FileSystemFault"/> fires.</summary>
/// <remarks>The default value is <see cref="Always"/>.</remarks>
internal readonly record struct FaultTrigger
{
    private readonly long _from;          // first call that fires; 0 means 1
    private readonly long _to;            // last call that fires; 0 means no last
    private readonly double _skipChance;  // 1 - probability, so that the default fires always

    private FaultTrigger(long from, long to, double probability)
    {
        _from = from;
        _to = to;
        _skipChance = 1 - probability;
    }

    /// <summary>Every matching call.</summary>
    public static FaultTrigger Always => default;

    /// <summary>Only the <paramref name="n"/>th matching call (1 is the first).</summary>
    public static FaultTrigger OnNthCall(long n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return new(n, n, 1);
    }

    /// <summary>The <paramref name="n"/>th matching call and every one after it.</summary>
    public static FaultTrigger FromNthCall(long n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        return new(n, 0, 1);
    }

    /// <summary>Each matching call independently with probability <paramref name="p"/>, drawn from the rule's seeded generator.</summary>
    public static FaultTrigger WithProbability(double p)
    {
        if (!(p is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "A probability is between 0 and 1.");
        }

        return new(0, 0, p);
    }

    public override string ToString() =>
        _skipChance > 0 ? $"with probability {1 - _skipChance}"
        : _to != 0 && _from == _to ? $"call #{_from}"
        : _from <= 1 ? "every call"
        : $"from call #{_from}";

    internal bool Fires(long callNumber, Random random) =>
        callNumber >= Math.Max(_from, 1)
        && (_to == 0 || callNumber <= _to)
        && (_skipChance <= 0 || random.NextDouble() >= _skipChance);
}
