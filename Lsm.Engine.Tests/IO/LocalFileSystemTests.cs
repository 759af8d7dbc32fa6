using System.Diagnostics;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.IO;

/// <summary>The contract over the real file system, in a temporary directory, and what only the real one does: OS locks.</summary>
public sealed class LocalFileSystemTests : FileSystemContractTests
{
    private readonly TempDirectory _temp;

    public LocalFileSystemTests()
        : this(new TempDirectory())
    {
    }

    private LocalFileSystemTests(TempDirectory temp)
        : base(LocalFileSystem.Instance, Path.Combine(temp.Path, "db"))
    {
        _temp = temp;
    }

    public override void Dispose()
    {
        _temp.Dispose();
        base.Dispose();
    }

    [Fact]
    public void Lock_Held_OtherHandleInThisProcessCannotOpenTheFileExclusively()
    {
        // The OS lock itself, not the registry: another FileShare.None open of the file fails.
        using IDisposable held = Fs.Lock(PathOf("LOCK"));
        Assert.Throws<IOException>(() => new FileStream(PathOf("LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
    }

    [Fact]
    public void Lock_HeldThroughAnotherInstance_ThrowsWithProcessMessage()
    {
        using IDisposable held = Fs.Lock(PathOf("LOCK"));
        IOException e = Assert.Throws<IOException>(() => new LocalFileSystem().Lock(PathOf("LOCK")));
        Assert.Contains("this process", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lock_HeldByThisProcess_OtherProcessCannotTakeIt()
    {
        // flock(1) takes the same kind of lock .NET takes for FileShare.None on Linux; -n fails at once with exit 1.
        string? flock = new[] { "/usr/bin/flock", "/bin/flock" }.FirstOrDefault(File.Exists);
        if (!OperatingSystem.IsLinux() || flock is null)
        {
            return;
        }

        using (Fs.Lock(PathOf("LOCK")))
        {
            Assert.Equal(1, RunFlock(flock, PathOf("LOCK")));
        }

        Assert.Equal(0, RunFlock(flock, PathOf("LOCK")));
    }

    [Fact]
    public void SyncDirectory_RootOfTemporaryTree_Succeeds()
    {
        Fs.SyncDirectory(_temp.Path);
    }

    private static int RunFlock(string flock, string path)
    {
        using var process = Process.Start(new ProcessStartInfo(flock, ["-n", path, "true"]) { UseShellExecute = false })!;
        Assert.True(process.WaitForExit(30_000), "flock did not finish");
        return process.ExitCode;
    }
}
