using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.IO;

/// <summary>
/// Crashes of the in-memory file system keep exactly what was made durable: file bytes by
/// <see cref="IWritableFile.Sync"/>, names (creations, renames, deletions) by <see cref="IFileSystem.SyncDirectory"/>.
/// </summary>
public sealed class InMemoryFileSystemCrashTests
{
    private const string Dir = "/db";
    private readonly InMemoryFileSystem _fs = new();

    public InMemoryFileSystemCrashTests()
    {
        _fs.CreateDirectory(Dir);
    }

    private static byte[] Bytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Creates a file with <paramref name="contents"/>, syncs it and (by default) its directory: the RocksDB recipe for a durable new file.</summary>
    private void WriteDurable(string path, byte[] contents, bool syncDirectory = true)
    {
        using (IWritableFile file = _fs.Create(path))
        {
            file.Append(contents);
            file.Sync();
        }

        if (syncDirectory)
        {
            _fs.SyncDirectory(Dir);
        }
    }

    [Fact]
    public void Crash_SyncedFileInSyncedDirectory_Kept()
    {
        WriteDurable("/db/000001.sst", Bytes(5000));

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal(Bytes(5000), after.ReadAllBytes("/db/000001.sst"));
    }

    [Fact]
    public void Crash_UnsyncedAppend_Dropped()
    {
        WriteDurable("/db/000002.log", Bytes(100));
        using (IWritableFile file = _fs.Create("/db/000003.log"))
        {
            _fs.SyncDirectory(Dir);
            file.Append(Bytes(100, 2));
            file.Sync();
            file.Append(Bytes(50, 3));
            file.Flush(); // readable now, but not durable
            Assert.Equal(150, _fs.GetFileLength("/db/000003.log"));
        }

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal(Bytes(100, 2), after.ReadAllBytes("/db/000003.log"));
        Assert.Equal(Bytes(100), after.ReadAllBytes("/db/000002.log"));
    }

    [Fact]
    public void Crash_NeverSyncedFileInSyncedDirectory_KeptEmpty()
    {
        using (IWritableFile file = _fs.Create("/db/000004.log"))
        {
            _fs.SyncDirectory(Dir);
            file.Append(Bytes(100));
        }

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Empty(after.ReadAllBytes("/db/000004.log"));
    }

    [Fact]
    public void Crash_SyncedFileButDirectoryNotSynced_Gone()
    {
        WriteDurable("/db/000005.sst", Bytes(100), syncDirectory: false);

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.False(after.FileExists("/db/000005.sst"));
        Assert.Empty(after.ListFiles(Dir));
        Assert.True(after.DirectoryExists(Dir));
    }

    [Fact]
    public void Crash_RenameNotDirectorySynced_Reverted()
    {
        WriteDurable("/db/CURRENT", "MANIFEST-000001\n"u8.ToArray());
        WriteDurable("/db/CURRENT.dbtmp", "MANIFEST-000009\n"u8.ToArray(), syncDirectory: false);
        _fs.Rename("/db/CURRENT.dbtmp", "/db/CURRENT");

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal("MANIFEST-000001\n"u8.ToArray(), after.ReadAllBytes("/db/CURRENT"));
        Assert.Equal(new[] { "CURRENT" }, after.ListFiles(Dir));
    }

    [Fact]
    public void Crash_RenameDirectorySynced_Kept()
    {
        WriteDurable("/db/CURRENT", "MANIFEST-000001\n"u8.ToArray());
        WriteDurable("/db/CURRENT.dbtmp", "MANIFEST-000009\n"u8.ToArray(), syncDirectory: false);
        _fs.Rename("/db/CURRENT.dbtmp", "/db/CURRENT");
        _fs.SyncDirectory(Dir);

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal("MANIFEST-000009\n"u8.ToArray(), after.ReadAllBytes("/db/CURRENT"));
        Assert.Equal(new[] { "CURRENT" }, after.ListFiles(Dir));
    }

    [Fact]
    public void Crash_DeleteNotDirectorySynced_FileBack()
    {
        WriteDurable("/db/000006.sst", Bytes(300));
        _fs.Delete("/db/000006.sst");
        Assert.False(_fs.FileExists("/db/000006.sst"));

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal(Bytes(300), after.ReadAllBytes("/db/000006.sst"));
    }

    [Fact]
    public void Crash_DeleteDirectorySynced_FileGone()
    {
        WriteDurable("/db/000006.sst", Bytes(300));
        _fs.Delete("/db/000006.sst");
        _fs.SyncDirectory(Dir);

        Assert.False(_fs.CrashClone().FileExists("/db/000006.sst"));
    }

    [Fact]
    public void Crash_DeletedThenRecreatedName_OldFileBack()
    {
        WriteDurable("/db/IDENTITY", Bytes(10, 1));
        _fs.Delete("/db/IDENTITY");
        WriteDurable("/db/IDENTITY", Bytes(10, 2), syncDirectory: false);

        Assert.Equal(Bytes(10, 1), _fs.CrashClone().ReadAllBytes("/db/IDENTITY"));
    }

    [Fact]
    public void Crash_CreateTruncatedDurableFile_TruncationIsDurable()
    {
        WriteDurable("/db/f", Bytes(10));
        _fs.Create("/db/f").Dispose();

        Assert.Empty(_fs.CrashClone().ReadAllBytes("/db/f"));
    }

    [Fact]
    public void Crash_RenameAcrossDirectoriesOnlyTargetSynced_FileUnderBothNames()
    {
        _fs.CreateDirectory("/db/archive");
        WriteDurable("/db/000007.log", Bytes(40));
        _fs.Rename("/db/000007.log", "/db/archive/000007.log");
        _fs.SyncDirectory("/db/archive");

        InMemoryFileSystem after = _fs.CrashClone();

        Assert.Equal(Bytes(40), after.ReadAllBytes("/db/000007.log"));
        Assert.Equal(Bytes(40), after.ReadAllBytes("/db/archive/000007.log"));
    }

    [Fact]
    public void Crash_NestedDirectories_SurviveWithoutParentSync()
    {
        _fs.CreateDirectory("/db/a/b");
        using (IWritableFile file = _fs.Create("/db/a/b/f"))
        {
            file.Append(Bytes(8));
            file.Sync();
        }

        _fs.SyncDirectory("/db/a/b");

        Assert.Equal(Bytes(8), _fs.CrashClone().ReadAllBytes("/db/a/b/f"));
    }

    [Fact]
    public void CrashClone_Original_KeepsUnsyncedStateAndWorkingHandles()
    {
        using IWritableFile file = _fs.Create("/db/000008.log");
        file.Append(Bytes(10));
        file.Flush();

        InMemoryFileSystem after = _fs.CrashClone();
        file.Append(Bytes(10, 2));
        file.Sync();

        Assert.False(after.FileExists("/db/000008.log"));
        Assert.Equal(20, _fs.GetFileLength("/db/000008.log"));
    }

    [Fact]
    public void SimulateCrash_OpenHandles_ThrowAndWriteNothing()
    {
        WriteDurable("/db/000009.log", Bytes(10));
        IWritableFile writer = _fs.Create("/db/000010.log");
        _fs.SyncDirectory(Dir);
        writer.Append(Bytes(10));
        IRandomAccessFile reader = _fs.OpenRead("/db/000009.log");

        _fs.SimulateCrash();

        Assert.Throws<IOException>(() => writer.Append(Bytes(5)));
        Assert.Throws<IOException>(() => writer.Sync());
        Assert.Throws<IOException>(() => reader.Read(0, new byte[10]));
        writer.Dispose(); // harmless, and its buffered bytes are not flushed
        reader.Dispose();
        Assert.Empty(_fs.ReadAllBytes("/db/000010.log"));
        Assert.Equal(Bytes(10), _fs.ReadAllBytes("/db/000009.log"));
    }

    [Fact]
    public void SimulateCrash_HeldLock_Released()
    {
        IDisposable held = _fs.Lock("/db/LOCK");

        _fs.SimulateCrash();

        using IDisposable again = _fs.Lock("/db/LOCK");
        held.Dispose(); // the dead holder must not release the new one
        Assert.Throws<IOException>(() => _fs.Lock("/db/LOCK"));
    }

    [Fact]
    public void SimulateCrash_Afterwards_FileSystemWorksNormally()
    {
        WriteDurable("/db/f", Bytes(10));
        _fs.SimulateCrash();

        WriteDurable("/db/g", Bytes(20));
        _fs.SimulateCrash();

        Assert.Equal(new[] { "f", "g" }, _fs.ListFiles(Dir));
        Assert.All(_fs.GetFiles(), f => Assert.True(f.NameSynced && f.SyncedLength == f.Length));
    }

    [Fact]
    public void Crash_TornTail_KeepsPrefixOfUnsyncedBytesSameForSameSeed()
    {
        byte[] data = Bytes(1000);
        using (IWritableFile file = _fs.Create("/db/000011.log"))
        {
            _fs.SyncDirectory(Dir);
            file.Append(data.AsSpan(0, 200));
            file.Sync();
            file.Append(data.AsSpan(200));
        }

        var lengths = new HashSet<int>();
        for (int seed = 0; seed < 20; seed++)
        {
            byte[] kept = _fs.CrashClone(InMemoryCrashOptions.TornTail(seed)).ReadAllBytes("/db/000011.log");
            Assert.InRange(kept.Length, 200, 1000);
            Assert.Equal(data.AsSpan(0, kept.Length).ToArray(), kept);
            Assert.Equal(kept, _fs.CrashClone(InMemoryCrashOptions.TornTail(seed)).ReadAllBytes("/db/000011.log"));
            lengths.Add(kept.Length);
        }

        Assert.True(lengths.Count > 10, "torn crashes should cut the tail at many places");
    }

    [Fact]
    public void Crash_TornTailThenZeros_PrefixFollowedByZerosWithinOriginalLength()
    {
        byte[] data = Bytes(1000);
        data.AsSpan().Replace((byte)0, (byte)1);
        WriteDurable("/db/000012.log", [], syncDirectory: true);
        using (IWritableFile file = _fs.Create("/db/000012.log"))
        {
            file.Append(data);
        }

        bool sawZeros = false;
        for (int seed = 0; seed < 20; seed++)
        {
            var options = new InMemoryCrashOptions { UnsyncedTail = InMemoryUnsyncedTail.KeepRandomPrefixThenZeros, Seed = seed };
            byte[] kept = _fs.CrashClone(options).ReadAllBytes("/db/000012.log");
            Assert.InRange(kept.Length, 0, 1000);
            int prefix = kept.AsSpan().IndexOf((byte)0);
            prefix = prefix < 0 ? kept.Length : prefix;
            Assert.Equal(data.AsSpan(0, prefix).ToArray(), kept.AsSpan(0, prefix).ToArray());
            Assert.True(kept.AsSpan(prefix).IndexOfAnyExcept((byte)0) < 0);
            sawZeros |= prefix < kept.Length;
        }

        Assert.True(sawZeros);
    }

    [Fact]
    public void Crash_WhileOtherThreadsWriteAndSync_EveryFileIsAPrefixOfItsData()
    {
        const int Writers = 4;
        byte[][] data = [.. Enumerable.Range(0, Writers).Select(i => Bytes(64 * 1024, i))];
        for (int i = 0; i < Writers; i++)
        {
            _fs.Create($"/db/{i}.log").Dispose();
        }

        _fs.SyncDirectory(Dir);
        var clones = new List<InMemoryFileSystem>();
        Parallel.Invoke(
            [
                .. Enumerable.Range(0, Writers).Select(i => (Action)(() =>
                {
                    using IWritableFile file = _fs.Create($"/db/{i}.log");
                    for (int offset = 0; offset < data[i].Length; offset += 1024)
                    {
                        file.Append(data[i].AsSpan(offset, 1024));
                        if (offset % 4096 == 0)
                        {
                            file.Sync();
                        }
                    }
                })),
                () =>
                {
                    for (int n = 0; n < 50; n++)
                    {
                        _fs.SyncDirectory(Dir);
                        clones.Add(_fs.CrashClone(InMemoryCrashOptions.TornTail(n)));
                    }
                },
            ]);

        foreach (InMemoryFileSystem clone in clones)
        {
            for (int i = 0; i < Writers; i++)
            {
                byte[] kept = clone.ReadAllBytes($"/db/{i}.log");
                Assert.Equal(data[i].AsSpan(0, kept.Length).ToArray(), kept);
            }
        }
    }
}
