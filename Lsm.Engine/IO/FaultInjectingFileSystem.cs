namespace Lsm.Engine.IO;

/// <summary>
/// Wraps any <see cref="IFileSystem"/>, counts every operation by kind and fails the ones its rules select
/// (<see cref="FileSystemFault"/>: operation × path × which call), so tests can drive the engine through I/O errors,
/// full disks, torn writes and failed syncs, and choose crash points ("the 37th sync").
/// </summary>
/// <remarks>
/// <para>
/// A call is counted, then the rules are asked in the order they were added: each rule whose operation and path match
/// counts the call, and the first that fires decides the fault. With no rules the wrapper only counts. A fault is
/// raised before the inner call runs, so it leaves the inner file system untouched, except for the writes that
/// <see cref="FaultKind.TornAppend"/> and a failed <see cref="FileSystemOperation.Sync"/> make on purpose.
/// </para>
/// <para>
/// Thread-safe: rules may be added and removed while other threads use the file system; a call sees the rules as
/// they were when it started.
/// </para>
/// </remarks>
internal sealed class FaultInjectingFileSystem : IFileSystem
{
    private const string InjectedKey = "Lsm.Engine.IO.InjectedFault";

    private readonly Lock _rulesLock = new();
    private readonly long[] _counts = new long[Enum.GetValues<FileSystemOperation>().Length];
    private volatile FileSystemFault[] _rules = [];

    public FaultInjectingFileSystem(IFileSystem inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>
    /// The <see cref="Exception.HResult"/> of a full disk, as .NET reports it: the errno ENOSPC (28) on Unix,
    /// <c>HRESULT_FROM_WIN32(ERROR_DISK_FULL)</c> on Windows.
    /// </summary>
    public static int DiskFullHResult { get; } = OperatingSystem.IsWindows() ? unchecked((int)0x80070070) : 28;

    /// <summary>The wrapped file system.</summary>
    public IFileSystem Inner { get; }

    /// <summary>Whether <paramref name="exception"/> was thrown by a fault rule rather than by the wrapped file system.</summary>
    public static bool IsInjected(Exception exception) => exception.Data.Contains(InjectedKey);

    /// <summary>Adds a rule, after those already present; it applies to calls that start from now on.</summary>
    /// <returns><paramref name="rule"/>, to keep for <see cref="RemoveRule"/> or to read its counters.</returns>
    /// <exception cref="ArgumentException">The rule's kind cannot apply to its operation.</exception>
    public FileSystemFault AddRule(FileSystemFault rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        lock (_rulesLock)
        {
            _rules = [.. _rules, rule];
        }

        return rule;
    }

    /// <summary>Removes a rule; returns false if it was not present.</summary>
    public bool RemoveRule(FileSystemFault rule)
    {
        lock (_rulesLock)
        {
            int i = Array.IndexOf(_rules, rule);
            if (i < 0)
            {
                return false;
            }

            _rules = [.. _rules.AsSpan(0, i), .. _rules.AsSpan(i + 1)];
            return true;
        }
    }

    /// <summary>Removes every rule.</summary>
    public void ClearRules()
    {
        lock (_rulesLock)
        {
            _rules = [];
        }
    }

    /// <summary>How many calls of <paramref name="operation"/> have been made, failed ones included.</summary>
    public long GetCount(FileSystemOperation operation) => Interlocked.Read(ref _counts[(int)operation]);

    /// <summary>Every operation's count.</summary>
    public IReadOnlyDictionary<FileSystemOperation, long> GetCounts() =>
        Enum.GetValues<FileSystemOperation>().ToDictionary(op => op, GetCount);

    /// <summary>Sets every count back to zero. Rules keep their own counters.</summary>
    public void ResetCounts()
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            Interlocked.Exchange(ref _counts[i], 0);
        }
    }

    public IWritableFile Create(string path)
    {
        Apply(FileSystemOperation.Create, path);
        return new FaultInjectingWritableFile(this, Inner.Create(path));
    }

    public IRandomAccessFile OpenRead(string path)
    {
        Apply(FileSystemOperation.OpenRead, path);
        return new FaultInjectingRandomAccessFile(this, Inner.OpenRead(path));
    }

    public bool FileExists(string path)
    {
        Apply(FileSystemOperation.FileExists, path);
        return Inner.FileExists(path);
    }

    public bool DirectoryExists(string path)
    {
        Apply(FileSystemOperation.DirectoryExists, path);
        return Inner.DirectoryExists(path);
    }

    public long GetFileLength(string path)
    {
        Apply(FileSystemOperation.GetFileLength, path);
        return Inner.GetFileLength(path);
    }

    public void Delete(string path)
    {
        Apply(FileSystemOperation.Delete, path);
        Inner.Delete(path);
    }

    public void Rename(string from, string to)
    {
        Apply(FileSystemOperation.Rename, from, to);
        Inner.Rename(from, to);
    }

    public void CreateDirectory(string path)
    {
        Apply(FileSystemOperation.CreateDirectory, path);
        Inner.CreateDirectory(path);
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        Apply(FileSystemOperation.ListFiles, directory);
        return Inner.ListFiles(directory);
    }

    public void SyncDirectory(string directory)
    {
        Apply(FileSystemOperation.SyncDirectory, directory);
        Inner.SyncDirectory(directory);
    }

    public IDisposable Lock(string path)
    {
        Apply(FileSystemOperation.Lock, path);
        return Inner.Lock(path);
    }

    /// <summary>Counts the call and returns the rule that fires on it, if any, after running its <see cref="FileSystemFault.OnFire"/>.</summary>
    private FileSystemFault? Hit(FileSystemOperation operation, string path, string? otherPath = null)
    {
        Interlocked.Increment(ref _counts[(int)operation]);
        FileSystemFault? fired = null;
        foreach (FileSystemFault rule in _rules)
        {
            if (rule.Evaluate(operation, path, otherPath) && fired is null)
            {
                fired = rule;
            }
        }

        fired?.OnFire?.Invoke(operation, path);
        return fired;
    }

    /// <summary>Counts the call and throws if a rule fires with an error.</summary>
    private void Apply(FileSystemOperation operation, string path, string? otherPath = null)
    {
        if (Hit(operation, path, otherPath) is { } rule)
        {
            ThrowFor(rule, operation, path);
        }
    }

    private static void ThrowFor(FileSystemFault rule, FileSystemOperation operation, string path)
    {
        switch (rule.Kind)
        {
            case FaultKind.None:
            case FaultKind.CorruptRead:
                return;
            case FaultKind.DiskFull:
            case FaultKind.TornAppend:
                throw Injected(new IOException($"No space left on device: {operation} of '{path}' (injected fault: {rule}).", DiskFullHResult));
            default:
                throw Injected(new IOException($"I/O error: {operation} of '{path}' (injected fault: {rule})."));
        }
    }

    private static IOException Injected(IOException exception)
    {
        exception.Data[InjectedKey] = true;
        return exception;
    }

    /// <summary>A writable file whose appends, flushes and syncs go through the rules.</summary>
    private sealed class FaultInjectingWritableFile(FaultInjectingFileSystem fs, IWritableFile inner) : IWritableFile
    {
        public string Name => inner.Name;

        public long Length => inner.Length;

        public void Append(ReadOnlySpan<byte> data)
        {
            if (fs.Hit(FileSystemOperation.Append, Name) is { } rule)
            {
                if (rule.Kind == FaultKind.TornAppend)
                {
                    // The prefix reaches the OS, as a write(2) cut short by a full disk leaves it.
                    inner.Append(data[..rule.TornLength(data.Length)]);
                    inner.Flush();
                }

                ThrowFor(rule, FileSystemOperation.Append, Name);
            }

            inner.Append(data);
        }

        public void Flush()
        {
            if (fs.Hit(FileSystemOperation.Flush, Name) is { } rule)
            {
                ThrowFor(rule, FileSystemOperation.Flush, Name);
            }

            inner.Flush();
        }

        public void Sync()
        {
            if (fs.Hit(FileSystemOperation.Sync, Name) is { } rule && rule.Kind != FaultKind.None)
            {
                // fsync failed after write(2) succeeded: the bytes are in the file, readable, but not durable.
                inner.Flush();
                ThrowFor(rule, FileSystemOperation.Sync, Name);
            }

            inner.Sync();
        }

        public void Dispose() => inner.Dispose();
    }

    /// <summary>A reader whose reads go through the rules.</summary>
    private sealed class FaultInjectingRandomAccessFile(FaultInjectingFileSystem fs, IRandomAccessFile inner) : IRandomAccessFile
    {
        public string Name => inner.Name;

        public long Length => inner.Length;

        public int Read(long offset, Span<byte> destination)
        {
            FileSystemFault? rule = fs.Hit(FileSystemOperation.Read, Name);
            if (rule is not null)
            {
                ThrowFor(rule, FileSystemOperation.Read, Name);
            }

            int n = inner.Read(offset, destination);
            if (rule?.Kind == FaultKind.CorruptRead && n > 0)
            {
                (int index, byte mask) = rule.Corruption(n);
                destination[index] ^= mask;
            }

            return n;
        }

        public void Dispose() => inner.Dispose();
    }
}
