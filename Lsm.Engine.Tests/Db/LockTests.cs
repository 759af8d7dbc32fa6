using System.Diagnostics;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

/// <summary>The LOCK file excludes other processes the way RocksDB's does: with a POSIX record lock (fcntl).</summary>
public sealed class LockTests
{
    [Fact]
    public void OpenDatabase_HoldsRecordLock_ThatAnotherProcessCannotTake()
    {
        if (!OperatingSystem.IsLinux() || !CanRun("python3"))
        {
            return; // the check needs Linux record locks and a second process that takes one (python3's fcntl.lockf)
        }

        using var dir = new TempDirectory();
        string path = dir.File("db");
        string lockFile = Path.Combine(path, "LOCK");
        using (LsmDb.Open(path, new DbOptions { CreateIfMissing = true }))
        {
            Assert.Equal(1, TryLockFromChild(lockFile)); // held: the child's fcntl lock fails
        }

        Assert.Equal(0, TryLockFromChild(lockFile)); // released on dispose
    }

    /// <summary>Runs python3 taking a non-blocking fcntl write lock; exit code 0 = it got the lock, 1 = it is held.</summary>
    private static int TryLockFromChild(string lockFile)
    {
        var start = new ProcessStartInfo("python3")
        {
            ArgumentList =
            {
                "-c",
                "import fcntl,sys\nf=open(sys.argv[1],'a')\ntry:\n fcntl.lockf(f,fcntl.LOCK_EX|fcntl.LOCK_NB)\nexcept OSError:\n sys.exit(1)\nsys.exit(0)",
                lockFile,
            },
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        process.WaitForExit(30_000);
        return process.ExitCode;
    }

    private static bool CanRun(string program)
    {
        try
        {
            using Process? p = Process.Start(new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, RedirectStandardError = true });
            p?.WaitForExit(10_000);
            return p is { ExitCode: 0 };
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
