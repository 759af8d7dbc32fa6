using System.Runtime.InteropServices;

namespace Lsm.Engine.IO;

/// <summary>The real file system: <see cref="FileStream"/>, <see cref="RandomAccess"/> and, for directory sync, libc.</summary>
/// <remarks>
/// <para>
/// Thread-safe and stateless apart from the process-wide lock registry, so <see cref="Instance"/> serves everyone.
/// </para>
/// <para>
/// <see cref="SyncDirectory"/> calls <c>open(2)</c> and <c>fsync(2)</c> through libc on Linux and macOS, because .NET
/// refuses to open a directory as a file. On Windows it does nothing: a directory cannot be flushed there, and
/// NTFS journals directory changes itself.
/// </para>
/// <para>
/// <see cref="Lock"/> opens the lock file with <see cref="FileShare.None"/>, which .NET turns into
/// <c>flock(LOCK_EX | LOCK_NB)</c> on Unix and a sharing violation on Windows, so other processes (and other
/// handles in this one) are kept out. A process-wide registry of held paths backs it up, so a second lock in this
/// process fails with a clear message even where the OS would allow it (file systems without <c>flock</c>, or
/// <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> set). On Linux it also takes the <c>fcntl</c> record lock RocksDB takes
/// (<c>flock</c> and record locks ignore each other), so a RocksDB process and this engine keep each other out.
/// </para>
/// </remarks>
internal sealed partial class LocalFileSystem : IFileSystem
{
    private static readonly HashSet<string> LockedPaths = new(OperatingSystem.IsLinux() ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);

    /// <summary>The shared instance; the type has no per-instance state.</summary>
    public static LocalFileSystem Instance { get; } = new();

    public IWritableFile Create(string path) => new LocalWritableFile(path);

    public IRandomAccessFile OpenRead(string path)
    {
        try
        {
            return new LocalRandomAccessFile(path);
        }
        catch (DirectoryNotFoundException e)
        {
            // The interface promises FileNotFoundException for any missing file, whatever part of the path is missing.
            throw new FileNotFoundException($"Could not find file '{path}'.", path, e);
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public long GetFileLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"Could not find file '{path}'.", path, e);
        }
    }

    public void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // A file in a missing directory does not exist either: nothing to delete.
        }
    }

    public void Rename(string from, string to) => File.Move(from, to, overwrite: true);

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory)
    {
        var names = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            names.Add(Path.GetFileName(file));
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public void SyncDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Could not find directory '{directory}' to sync.");
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            FsyncDirectory(directory);
        }
    }

    public IDisposable Lock(string path)
    {
        string key = Path.GetFullPath(path);
        lock (LockedPaths)
        {
            if (!LockedPaths.Add(key))
            {
                throw new IOException($"Lock on '{path}' is already held by this process.");
            }
        }

        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            if (OperatingSystem.IsLinux() && !TryTakeRecordLock(stream))
            {
                int errno = Marshal.GetLastPInvokeError();
                stream.Dispose();
                throw new IOException($"Lock on '{path}' is held by another process (fcntl: {Marshal.GetPInvokeErrorMessage(errno)}).", errno);
            }

            return new FileLock(key, stream);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            Release(key);
            throw new IOException($"Lock on '{path}' is held by another process or handle: {e.Message}", e);
        }
        catch
        {
            Release(key);
            throw;
        }
    }

    /// <summary>
    /// Takes a POSIX record lock (<c>fcntl(F_SETLK, F_WRLCK)</c>) on the whole lock file, the kind RocksDB takes, so a
    /// RocksDB process and this engine exclude each other: the lock .NET takes for <see cref="FileShare.None"/>
    /// (<c>flock</c>) does not conflict with record locks on Linux.
    /// </summary>
    private static bool TryTakeRecordLock(FileStream stream)
    {
        var request = new NativeMethods.FlockRecord { Type = NativeMethods.WriteLock, Whence = 0, Start = 0, Length = 0 };
        int fd = (int)stream.SafeFileHandle.DangerousGetHandle();
        return NativeMethods.Fcntl(fd, NativeMethods.SetLock, ref request) == 0;
    }

    private static void Release(string key)
    {
        lock (LockedPaths)
        {
            LockedPaths.Remove(key);
        }
    }

    private static void FsyncDirectory(string directory)
    {
        int fd = NativeMethods.Open(directory, NativeMethods.ReadOnlyCloseOnExec);
        if (fd < 0)
        {
            throw ErrnoException("open", directory);
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                throw ErrnoException("fsync", directory);
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static IOException ErrnoException(string call, string directory)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of directory '{directory}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).", errno);
    }

    /// <summary>The held lock: closing the stream releases the OS lock, then the registry entry.</summary>
    private sealed class FileLock(string key, FileStream stream) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                stream.Dispose();
                Release(key);
            }
        }
    }

    /// <summary>The three libc calls directory sync needs; "libc" resolves to the C library on Linux and macOS.</summary>
    private static partial class NativeMethods
    {
        /// <summary>
        /// <c>O_RDONLY | O_CLOEXEC</c>. <c>O_RDONLY</c> is 0 everywhere; <c>O_CLOEXEC</c> is the same on every CPU .NET
        /// supports on Linux, but differs on macOS and FreeBSD. <c>O_DIRECTORY</c> is left out: its value differs between
        /// Linux CPUs, and the caller has checked that the path is a directory.
        /// </summary>
        public static readonly int ReadOnlyCloseOnExec =
            OperatingSystem.IsLinux() ? 0x80000 : OperatingSystem.IsMacOS() ? 0x1000000 : OperatingSystem.IsFreeBSD() ? 0x100000 : 0;

        [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
        public static partial int Close(int fd);

        /// <summary><c>F_SETLK</c> on Linux (every CPU).</summary>
        public const int SetLock = 6;

        /// <summary><c>F_WRLCK</c> on Linux.</summary>
        public const short WriteLock = 1;

        /// <summary>Linux's <c>struct flock</c> on 64-bit CPUs: type, whence, start, length (0 = to the end), pid.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct FlockRecord
        {
            public short Type;
            public short Whence;
            public long Start;
            public long Length;
            public int Pid;
        }

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        public static partial int Fcntl(int fd, int command, ref FlockRecord record);
    }
}
