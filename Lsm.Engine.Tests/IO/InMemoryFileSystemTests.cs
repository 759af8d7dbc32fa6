using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.IO;

/// <summary>The contract over the in-memory file system, and its own behaviour short of crashes: buffering, paths, inspection.</summary>
public sealed class InMemoryFileSystemTests : FileSystemContractTests
{
    private readonly InMemoryFileSystem _memory;

    public InMemoryFileSystemTests()
        : this(new InMemoryFileSystem())
    {
    }

    private InMemoryFileSystemTests(InMemoryFileSystem memory)
        : base(memory, "/db")
    {
        _memory = memory;
    }

    [Fact]
    public void Append_NotFlushed_InvisibleUntilFlush()
    {
        using IWritableFile file = Fs.Create("/db/000003.log");
        file.Append(Bytes(10));
        Assert.Equal(10, file.Length);
        Assert.Equal(0, Fs.GetFileLength("/db/000003.log"));

        file.Flush();
        Assert.Equal(10, Fs.GetFileLength("/db/000003.log"));
    }

    [Fact]
    public void Dispose_WithBufferedBytes_FlushesThem()
    {
        IWritableFile file = Fs.Create("/db/f");
        file.Append(Bytes(10));
        file.Dispose();
        Assert.Equal(Bytes(10), _memory.ReadAllBytes("/db/f"));
        Assert.Throws<ObjectDisposedException>(() => file.Append(Bytes(1)));
    }

    [Fact]
    public void Paths_SpelledDifferently_NameTheSameFile()
    {
        WriteFile("/db/f", Bytes(4));
        Assert.True(Fs.FileExists("db/f"));
        Assert.True(Fs.FileExists("/db//f"));
        Assert.True(Fs.FileExists("/db/./sub/../f"));
        Assert.False(Fs.FileExists("/DB/f"));
    }

    [Fact]
    public void Reader_OpenedBeforeMoreFlushes_KeepsLengthAtOpenButReadsNewBytes()
    {
        using IWritableFile writer = Fs.Create("/db/f");
        writer.Append(Bytes(10));
        writer.Flush();
        using IRandomAccessFile reader = Fs.OpenRead("/db/f");
        writer.Append(Bytes(10));
        writer.Flush();

        Assert.Equal(10, reader.Length);
        Assert.Equal(20, reader.Read(0, new byte[30]));
    }

    [Fact]
    public void GetFiles_AfterWritesAndSyncs_ReportsLengthsAndDurableNames()
    {
        WriteFile("/db/synced", Bytes(100));
        Fs.SyncDirectory("/db");
        WriteFile("/db/unsynced", Bytes(50), sync: false);
        using (IWritableFile partly = Fs.Create("/db/partly"))
        {
            partly.Append(Bytes(30));
            partly.Sync();
            partly.Append(Bytes(20));
        }

        Assert.Equal(
            new[]
            {
                new InMemoryFileState("/db/partly", 50, 30, NameSynced: false),
                new InMemoryFileState("/db/synced", 100, 100, NameSynced: true),
                new InMemoryFileState("/db/unsynced", 50, 0, NameSynced: false),
            },
            _memory.GetFiles());
    }

    [Fact]
    public void Describe_DeletedDurableFile_ListsItAsReturningInACrash()
    {
        WriteFile("/db/000004.sst", Bytes(10));
        WriteFile("/db/000005.sst", Bytes(20));
        Fs.SyncDirectory("/db");
        Fs.Delete("/db/000004.sst");

        Assert.Equal(
            "/db/000005.sst length=20 synced=20\n"
            + "/db/000004.sst (durable name of a file no longer here: returns in a crash)\n",
            _memory.Describe());
    }

    [Fact]
    public void ReadAllBytes_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => _memory.ReadAllBytes("/db/missing"));
    }
}
