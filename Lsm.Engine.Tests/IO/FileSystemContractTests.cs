using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.IO;

/// <summary>
/// What every <see cref="IFileSystem"/> must do, run over each implementation: the real one in a temporary directory,
/// the in-memory one, and the fault injector with no rules over both.
/// </summary>
public abstract class FileSystemContractTests : IDisposable
{
    private protected FileSystemContractTests(IFileSystem fileSystem, string root)
    {
        Fs = fileSystem;
        Root = root;
        Fs.CreateDirectory(Root);
    }

    private protected IFileSystem Fs { get; }

    /// <summary>An existing, empty directory for the test.</summary>
    protected string Root { get; }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    protected string PathOf(string name) => Path.Combine(Root, name);

    private protected static byte[] Bytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private protected void WriteFile(string path, byte[] contents, bool sync = true)
    {
        using IWritableFile file = Fs.Create(path);
        file.Append(contents);
        if (sync)
        {
            file.Sync();
        }
    }

    private protected byte[] ReadFile(string path)
    {
        using IRandomAccessFile file = Fs.OpenRead(path);
        var buffer = new byte[file.Length];
        Assert.Equal(buffer.Length, file.Read(0, buffer));
        return buffer;
    }

    [Fact]
    public void Create_AppendAndDispose_ReadsBackSameBytes()
    {
        byte[] first = Bytes(1000, 1), second = Bytes(70_000, 2);
        string path = PathOf("000001.sst");
        using (IWritableFile file = Fs.Create(path))
        {
            file.Append(first);
            file.Append(second);
            file.Append([]);
            Assert.Equal(first.Length + second.Length, file.Length);
            Assert.Equal(path, file.Name);
        }

        Assert.Equal(first.Concat(second).ToArray(), ReadFile(path));
        Assert.Equal(first.Length + second.Length, Fs.GetFileLength(path));
    }

    [Fact]
    public void Append_AfterFlush_VisibleToReaderWhileStillOpen()
    {
        string path = PathOf("000002.log");
        using IWritableFile file = Fs.Create(path);
        file.Append(Bytes(10));
        file.Flush();
        Assert.Equal(10, Fs.GetFileLength(path));
        Assert.Equal(Bytes(10), ReadFile(path));

        file.Append(Bytes(5, 7));
        file.Sync();
        Assert.Equal(Bytes(10).Concat(Bytes(5, 7)).ToArray(), ReadFile(path));
    }

    [Fact]
    public void Read_AtOffsets_ReturnsThoseRanges()
    {
        byte[] data = Bytes(10_000);
        string path = PathOf("f");
        WriteFile(path, data);
        using IRandomAccessFile file = Fs.OpenRead(path);
        Assert.Equal(data.Length, file.Length);
        Assert.Equal(path, file.Name);

        var buffer = new byte[100];
        foreach (int offset in new[] { 0, 1, 4095, 4096, 9900 })
        {
            Assert.Equal(100, file.Read(offset, buffer));
            Assert.Equal(data.AsSpan(offset, 100).ToArray(), buffer);
        }
    }

    [Fact]
    public void Read_PastEnd_ReturnsShortCountThenZero()
    {
        string path = PathOf("f");
        WriteFile(path, Bytes(50));
        using IRandomAccessFile file = Fs.OpenRead(path);
        var buffer = new byte[100];
        Assert.Equal(20, file.Read(30, buffer));
        Assert.Equal(Bytes(50).AsSpan(30).ToArray(), buffer.AsSpan(0, 20).ToArray());
        Assert.Equal(0, file.Read(50, buffer));
        Assert.Equal(0, file.Read(1000, buffer));
    }

    [Fact]
    public void Read_ManyThreadsAtOnce_AllSeeTheirRanges()
    {
        byte[] data = Bytes(64 * 1024);
        string path = PathOf("f");
        WriteFile(path, data);
        using IRandomAccessFile file = Fs.OpenRead(path);
        Parallel.For(0, 200, i =>
        {
            int offset = i * 97 % (data.Length - 300);
            var buffer = new byte[300];
            Assert.Equal(300, file.Read(offset, buffer));
            Assert.True(data.AsSpan(offset, 300).SequenceEqual(buffer));
        });
    }

    [Fact]
    public void Create_ExistingFile_TruncatesIt()
    {
        string path = PathOf("f");
        WriteFile(path, Bytes(100));
        WriteFile(path, Bytes(3, 9));
        Assert.Equal(Bytes(3, 9), ReadFile(path));
    }

    [Fact]
    public void Create_MissingDirectory_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => Fs.Create(Path.Combine(Root, "missing", "f")));
    }

    [Fact]
    public void OpenRead_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Fs.OpenRead(PathOf("missing")));
        Assert.Throws<FileNotFoundException>(() => Fs.OpenRead(Path.Combine(Root, "missing", "f")));
    }

    [Fact]
    public void GetFileLength_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Fs.GetFileLength(PathOf("missing")));
        Assert.Throws<FileNotFoundException>(() => Fs.GetFileLength(Path.Combine(Root, "missing", "f")));
    }

    [Fact]
    public void Exists_FilesAndDirectories_TellThemApart()
    {
        string file = PathOf("f"), dir = PathOf("sub");
        WriteFile(file, Bytes(1));
        Fs.CreateDirectory(dir);

        Assert.True(Fs.FileExists(file));
        Assert.False(Fs.DirectoryExists(file));
        Assert.True(Fs.DirectoryExists(dir));
        Assert.False(Fs.FileExists(dir));
        Assert.False(Fs.FileExists(PathOf("missing")));
        Assert.False(Fs.DirectoryExists(PathOf("missing")));
    }

    [Fact]
    public void Rename_OntoExistingFile_ReplacesIt()
    {
        string tmp = PathOf("CURRENT.dbtmp"), current = PathOf("CURRENT");
        WriteFile(current, "MANIFEST-000001\n"u8.ToArray());
        WriteFile(tmp, "MANIFEST-000007\n"u8.ToArray());

        Fs.Rename(tmp, current);

        Assert.False(Fs.FileExists(tmp));
        Assert.Equal("MANIFEST-000007\n"u8.ToArray(), ReadFile(current));
        Assert.Equal(new[] { "CURRENT" }, Fs.ListFiles(Root));
    }

    [Fact]
    public void Rename_ToNewName_MovesFile()
    {
        WriteFile(PathOf("a"), Bytes(10));
        Fs.Rename(PathOf("a"), PathOf("b"));
        Assert.False(Fs.FileExists(PathOf("a")));
        Assert.Equal(Bytes(10), ReadFile(PathOf("b")));
    }

    [Fact]
    public void Rename_MissingSource_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => Fs.Rename(PathOf("missing"), PathOf("b")));
    }

    [Fact]
    public void Delete_ExistingFile_RemovesIt()
    {
        WriteFile(PathOf("f"), Bytes(10));
        Fs.Delete(PathOf("f"));
        Assert.False(Fs.FileExists(PathOf("f")));
        Assert.Empty(Fs.ListFiles(Root));
    }

    [Fact]
    public void Delete_MissingFile_DoesNothing()
    {
        Fs.Delete(PathOf("missing"));
        Fs.Delete(Path.Combine(Root, "missing", "f"));
    }

    [Fact]
    public void Delete_WhileOpenForRead_ReaderKeepsReading()
    {
        WriteFile(PathOf("f"), Bytes(100));
        using IRandomAccessFile file = Fs.OpenRead(PathOf("f"));
        Fs.Delete(PathOf("f"));
        var buffer = new byte[100];
        Assert.Equal(100, file.Read(0, buffer));
        Assert.Equal(Bytes(100), buffer);
    }

    [Fact]
    public void ListFiles_Directory_ReturnsFileNamesOnlySorted()
    {
        WriteFile(PathOf("000010.sst"), Bytes(1));
        WriteFile(PathOf("000002.log"), Bytes(1));
        WriteFile(PathOf("CURRENT"), Bytes(1));
        Fs.CreateDirectory(PathOf("archive"));
        WriteFile(Path.Combine(Root, "archive", "000001.log"), Bytes(1));

        Assert.Equal(new[] { "000002.log", "000010.sst", "CURRENT" }, Fs.ListFiles(Root));
        Assert.Equal(new[] { "000001.log" }, Fs.ListFiles(PathOf("archive")));
    }

    [Fact]
    public void ListFiles_MissingDirectory_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => Fs.ListFiles(PathOf("missing")));
    }

    [Fact]
    public void CreateDirectory_NestedPath_CreatesParents()
    {
        string nested = Path.Combine(Root, "a", "b", "c");
        Fs.CreateDirectory(nested);
        Fs.CreateDirectory(nested); // again: nothing to do
        Assert.True(Fs.DirectoryExists(Path.Combine(Root, "a", "b")));
        WriteFile(Path.Combine(nested, "f"), Bytes(5));
        Assert.Equal(new[] { "f" }, Fs.ListFiles(nested));
    }

    [Fact]
    public void SyncDirectory_AfterChanges_Succeeds()
    {
        WriteFile(PathOf("f"), Bytes(5));
        Fs.Rename(PathOf("f"), PathOf("g"));
        Fs.SyncDirectory(Root);
        Assert.Equal(new[] { "g" }, Fs.ListFiles(Root));
    }

    [Fact]
    public void SyncDirectory_MissingDirectory_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => Fs.SyncDirectory(PathOf("missing")));
    }

    [Fact]
    public void Lock_Held_SecondLockThrowsIOException()
    {
        using IDisposable held = Fs.Lock(PathOf("LOCK"));
        Assert.True(Fs.FileExists(PathOf("LOCK")));
        Assert.Throws<IOException>(() => Fs.Lock(PathOf("LOCK")));
    }

    [Fact]
    public void Lock_AfterDispose_CanBeTakenAgain()
    {
        IDisposable first = Fs.Lock(PathOf("LOCK"));
        first.Dispose();
        first.Dispose(); // twice is harmless
        using IDisposable second = Fs.Lock(PathOf("LOCK"));
        Assert.Throws<IOException>(() => Fs.Lock(PathOf("LOCK")));
    }

    [Fact]
    public void Lock_DifferentPaths_Independent()
    {
        Fs.CreateDirectory(PathOf("other"));
        using IDisposable a = Fs.Lock(PathOf("LOCK"));
        using IDisposable b = Fs.Lock(Path.Combine(Root, "other", "LOCK"));
    }

    [Fact]
    public void Lock_MissingDirectory_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => Fs.Lock(Path.Combine(Root, "missing", "LOCK")));
        Fs.CreateDirectory(PathOf("missing"));
        using IDisposable held = Fs.Lock(Path.Combine(Root, "missing", "LOCK")); // the failed attempt left nothing behind
    }
}
