using Lsm.Engine.IO;
using Lsm.Engine.Versions;
using Lsm.Engine.Wal;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Versions;

/// <summary>The version set on the in-memory file system: logging, recovery, rollover, crashes, live files.</summary>
public sealed class VersionSetTests
{
    private const string Db = "/db";
    private static readonly VersionSetOptions Options = new() { VerifyTableFiles = false, DbId = "test-db" };

    private static VersionEdit Flush(ulong number, string range, ulong epoch, ulong lastSequence)
    {
        var edit = new VersionEdit { LastSequence = lastSequence };
        edit.AddFile(0, FileMetadata.Parse($"{DbFileName.Number(number)}:[{range}] size=100 epoch={epoch}"));
        return edit;
    }

    private static string Shape(VersionSet set, uint cf = 0)
    {
        Version v = set.AcquireCurrent(cf);
        try
        {
            return v.ToString();
        }
        finally
        {
            v.Unref();
        }
    }

    [Fact]
    public void Create_ThenRecover_HasNewDbState()
    {
        var fs = new InMemoryFileSystem();
        using (VersionSet.Create(fs, Db, Options))
        {
        }

        Assert.Equal("MANIFEST-000001\n", System.Text.Encoding.ASCII.GetString(fs.ReadAllBytes("/db/CURRENT")));
        Assert.Equal("test-db", System.Text.Encoding.ASCII.GetString(fs.ReadAllBytes("/db/IDENTITY")));
        using VersionSet set = VersionSet.Recover(fs, Db, Options);
        Assert.Equal("test-db", set.DbId);
        Assert.Equal(3UL, set.NextFileNumber); // RocksDB's rule: one past the recorded 2
        Assert.Equal(0UL, set.LastSequence);
        Assert.Equal("(empty)", Shape(set));
    }

    [Fact]
    public void LogAndApply_FirstCallStartsNewManifest_LaterCallsAppend()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        ulong n = set.NewFileNumber();
        set.LogAndApply(0, Flush(n, "a#1,SET-c#3,SET", 1, 3));
        Assert.Equal(3UL, set.ManifestFileNumber);
        Assert.Equal("MANIFEST-000003\n", System.Text.Encoding.ASCII.GetString(fs.ReadAllBytes("/db/CURRENT")));
        set.LogAndApply(0, Flush(set.NewFileNumber(), "d#4,SET-e#5,SET", 2, 5));
        Assert.Equal(3UL, set.ManifestFileNumber);

        using VersionSet again = VersionSet.Recover(fs, Db, Options);
        Assert.Equal(Shape(set), Shape(again));
        Assert.Equal(5UL, again.LastSequence);
        Assert.Equal(3UL, again.ColumnFamilies[0].NextEpochNumber);
        Assert.Contains("MANIFEST-000001", set.FindObsoleteFiles());
    }

    [Fact]
    public void SmallManifestLimit_RollsOverAndKeepsState()
    {
        var fs = new InMemoryFileSystem();
        var options = Options with { MaxManifestFileSize = 300, MaxManifestSpaceAmpPercent = 0 };
        using VersionSet set = VersionSet.Create(fs, Db, options);
        var numbers = new HashSet<ulong>();
        for (ulong i = 1; i <= 20; i++)
        {
            set.LogAndApply(0, Flush(set.NewFileNumber(), $"k{i:D2}#{i},SET-k{i:D2}#{i},SET", i, i));
            numbers.Add(set.ManifestFileNumber);
        }

        Assert.True(numbers.Count > 2, "the MANIFEST should have rolled over");
        using VersionSet again = VersionSet.Recover(fs, Db, options);
        Assert.Equal(Shape(set), Shape(again));
        Assert.Equal(20, again.AcquireCurrent(0).Files(0).Count);
    }

    [Fact]
    public void TornManifestTail_RecoversStateBeforeIt()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        set.LogAndApply(0, Flush(set.NewFileNumber(), "a#1,SET-c#3,SET", 1, 3));
        string before = Shape(set);
        string manifest = $"/db/{DbFileName.Manifest(set.ManifestFileNumber)}";
        long good = fs.GetFileLength(manifest);
        set.LogAndApply(0, Flush(set.NewFileNumber(), "d#4,SET-e#5,SET", 2, 5));
        long full = fs.GetFileLength(manifest);

        for (long cut = good + 1; cut < full; cut += 3)
        {
            var torn = new InMemoryFileSystem();
            torn.CreateDirectory(Db);
            foreach (InMemoryFileState f in fs.GetFiles())
            {
                byte[] bytes = fs.ReadAllBytes(f.Path);
                using IWritableFile w = torn.Create(f.Path);
                w.Append(f.Path == manifest ? bytes.AsSpan(0, (int)cut) : bytes);
                w.Sync();
            }

            using VersionSet recovered = VersionSet.Recover(torn, Db, Options);
            Assert.Equal(before, Shape(recovered));
            Assert.Equal(3UL, recovered.LastSequence);
        }
    }

    [Fact]
    public void CorruptedWholeRecord_IsCorruptionWithFileAndOffset()
    {
        var fs = new InMemoryFileSystem();
        using (VersionSet set = VersionSet.Create(fs, Db, Options))
        {
            set.LogAndApply(0, Flush(set.NewFileNumber(), "a#1,SET-c#3,SET", 1, 3));
            set.LogAndApply(0, Flush(set.NewFileNumber(), "d#4,SET-e#5,SET", 2, 5));
        }

        string manifest = "/db/MANIFEST-000003";
        byte[] bytes = fs.ReadAllBytes(manifest);
        using (var reader = new LogReader(fs.OpenRead(manifest), ownsFile: true))
        {
            long last = 0;
            while (reader.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out _))
            {
                last = reader.RecordOffset;
            }

            bytes[last + LogFormat.HeaderSize + 2] ^= 0x40; // inside the last record's payload
            using (IWritableFile w = fs.Create(manifest))
            {
                w.Append(bytes);
                w.Sync();
            }

            CorruptionException e = Assert.Throws<CorruptionException>(() => VersionSet.Recover(fs, Db, Options));
            Assert.Equal(manifest, e.FilePath);
            Assert.Equal(last, e.Offset);

            ManifestInfo info = ManifestFile.Read(new InMemoryRandomAccess(fs, manifest));
            Assert.Equal(last, info.ProblemOffset);
            Assert.NotNull(info.Problem);
        }
    }

    [Fact]
    public void CurrentNamingMissingManifest_IsClearError()
    {
        var fs = new InMemoryFileSystem();
        using (VersionSet.Create(fs, Db, Options))
        {
        }

        fs.Delete("/db/MANIFEST-000001");
        CorruptionException e = Assert.Throws<CorruptionException>(() => VersionSet.Recover(fs, Db, Options));
        Assert.Contains("MANIFEST-000001", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => VersionSet.Recover(fs, "/nothing", Options));
    }

    [Fact]
    public void CurrentWithoutNewline_IsCorruption()
    {
        var fs = new InMemoryFileSystem();
        using (VersionSet.Create(fs, Db, Options))
        {
        }

        using (IWritableFile w = fs.Create("/db/CURRENT"))
        {
            w.Append("MANIFEST-000001"u8);
        }

        Assert.Throws<CorruptionException>(() => VersionSet.Recover(fs, Db, Options));
    }

    [Fact]
    public void CrashDuringRollover_LeavesOldOrNewState()
    {
        // Crash after every file-system step of a LogAndApply that starts a new MANIFEST, via a file system
        // that snapshots its durable state after each operation.
        for (int crashAt = 0; ; crashAt++)
        {
            var fs = new InMemoryFileSystem();
            string oldShape, newShape;
            using (VersionSet set = VersionSet.Create(fs, Db, Options))
            {
                set.LogAndApply(0, Flush(set.NewFileNumber(), "a#1,SET-c#3,SET", 1, 3));
                oldShape = Shape(set);
            }

            var counting = new CrashAfter(fs, crashAt);
            using VersionSet writer = VersionSet.Recover(counting, Db, Options);
            bool completed;
            try
            {
                writer.LogAndApply(0, Flush(writer.NewFileNumber(), "d#4,SET-e#5,SET", 2, 5));
                completed = true;
                newShape = Shape(writer);
            }
            catch (IOException)
            {
                completed = false;
                newShape = "";
            }

            InMemoryFileSystem crashed = counting.Crashed ?? fs.CrashClone();
            using VersionSet recovered = VersionSet.Recover(crashed, Db, Options);
            string shape = Shape(recovered);
            Assert.True(shape == oldShape || (completed && shape == newShape), $"crash at step {crashAt}: {shape}");
            if (completed && counting.Crashed is null)
            {
                Assert.Equal(newShape, shape);
                break;
            }
        }
    }

    [Fact]
    public void LiveFiles_IncludeFilesOfVersionsReadersHold()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        set.LogAndApply(0, Flush(10, "a#1,SET-c#3,SET", 1, 3));
        set.MarkFileNumberUsed(10);
        Version held = set.AcquireCurrent(0);
        var compaction = new VersionEdit();
        compaction.DeleteFile(0, 10);
        compaction.AddFile(1, FileMetadata.Parse("000011:[a#1,SET-c#3,SET] size=90 epoch=1"));
        set.MarkFileNumberUsed(11);
        set.LogAndApply(0, compaction);

        Assert.Equal([10UL, 11UL], set.LiveFiles().Order());
        foreach (string name in new[] { "000010.sst", "000011.sst" })
        {
            using IWritableFile f = fs.Create("/db/" + name);
        }

        Assert.DoesNotContain("000010.sst", set.FindObsoleteFiles());
        held.Unref();
        Assert.Equal([11UL], set.LiveFiles());
        Assert.Contains("000010.sst", set.FindObsoleteFiles());
        Assert.DoesNotContain("000011.sst", set.FindObsoleteFiles());
        Assert.DoesNotContain("000010.sst", set.FindObsoleteFiles(new HashSet<ulong> { 10 }));
        Assert.Throws<InvalidOperationException>(held.Ref);
    }

    [Fact]
    public void InvalidEdit_IsRefusedAndNothingIsWritten()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        var bad = new VersionEdit();
        bad.DeleteFile(0, 99);
        Assert.Throws<InvalidOperationException>(() => set.LogAndApply(0, bad));
        Assert.Equal(1UL, set.ManifestFileNumber);
    }

    [Fact]
    public void AtomicGroup_IsWrittenWithRemainingCounts_AndRecovered()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        ColumnFamilyState one = set.CreateColumnFamily("one", 0);
        set.LogAndApply([(0u, Flush(5, "a#1,SET-b#2,SET", 1, 2)), (one.Id, Flush(6, "c#3,SET-d#4,SET", 1, 4))], atomicGroup: true);
        set.MarkFileNumberUsed(6);
        ManifestInfo info = ManifestFile.Read(new InMemoryRandomAccess(fs, $"/db/{DbFileName.Manifest(set.ManifestFileNumber)}"));
        Assert.Contains(info.Edits, e => e.Text.Contains("atomic-group-remaining: 1", StringComparison.Ordinal));
        Assert.Contains(info.Edits, e => e.Text.Contains("atomic-group-remaining: 0", StringComparison.Ordinal));

        using VersionSet again = VersionSet.Recover(fs, Db, Options);
        Assert.Equal(Shape(set, one.Id), Shape(again, one.Id));
        Assert.Equal(Shape(set, 0), Shape(again, 0));
    }

    [Fact]
    public void DropColumnFamily_ItsFilesBecomeObsolete_IdNotReused()
    {
        var fs = new InMemoryFileSystem();
        using VersionSet set = VersionSet.Create(fs, Db, Options);
        ColumnFamilyState one = set.CreateColumnFamily("one", 0);
        set.LogAndApply(one.Id, Flush(7, "a#1,SET-b#2,SET", 1, 2));
        set.MarkFileNumberUsed(7);
        Assert.Contains(7UL, set.LiveFiles());
        set.DropColumnFamily(one.Id);
        Assert.DoesNotContain(7UL, set.LiveFiles());
        ColumnFamilyState two = set.CreateColumnFamily("two", 0);
        Assert.Equal(2u, two.Id);

        using VersionSet again = VersionSet.Recover(fs, Db, Options);
        Assert.Equal(["default", "two"], again.ColumnFamilies.Select(c => c.Name));
        Assert.Equal(2u, again.MaxColumnFamily);
    }

    /// <summary>A read-only file over an in-memory file's bytes, named by its path.</summary>
    private sealed class InMemoryRandomAccess(InMemoryFileSystem fs, string path) : IRandomAccessFile
    {
        private readonly byte[] _bytes = fs.ReadAllBytes(path);

        public string Name => path;

        public long Length => _bytes.Length;

        public int Read(long offset, Span<byte> destination)
        {
            if (offset >= _bytes.Length)
            {
                return 0;
            }

            int n = (int)Math.Min(destination.Length, _bytes.Length - offset);
            _bytes.AsSpan((int)offset, n).CopyTo(destination);
            return n;
        }

        public void Dispose()
        {
        }
    }

    /// <summary>
    /// Passes operations to an in-memory file system; the <c>n</c>th mutating operation (create, append-sync,
    /// rename, delete, directory sync) first takes a crash clone and then fails, as a power cut would.
    /// </summary>
    private sealed class CrashAfter(InMemoryFileSystem inner, int n) : IFileSystem
    {
        private int _count;

        public InMemoryFileSystem? Crashed { get; private set; }

        private void Step()
        {
            if (Crashed is null && _count++ == n)
            {
                Crashed = inner.CrashClone();
            }

            if (Crashed is not null)
            {
                throw new IOException("simulated power cut");
            }
        }

        public IWritableFile Create(string path)
        {
            Step();
            return new Writable(this, inner.Create(path));
        }

        public IRandomAccessFile OpenRead(string path) => inner.OpenRead(path);

        public bool FileExists(string path) => inner.FileExists(path);

        public bool DirectoryExists(string path) => inner.DirectoryExists(path);

        public long GetFileLength(string path) => inner.GetFileLength(path);

        public void Delete(string path)
        {
            Step();
            inner.Delete(path);
        }

        public void Rename(string from, string to)
        {
            Step();
            inner.Rename(from, to);
        }

        public void CreateDirectory(string path) => inner.CreateDirectory(path);

        public IReadOnlyList<string> ListFiles(string directory) => inner.ListFiles(directory);

        public void SyncDirectory(string directory)
        {
            Step();
            inner.SyncDirectory(directory);
        }

        public IDisposable Lock(string path) => inner.Lock(path);

        private sealed class Writable(CrashAfter owner, IWritableFile file) : IWritableFile
        {
            public string Name => file.Name;

            public long Length => file.Length;

            public void Append(ReadOnlySpan<byte> data) => file.Append(data);

            public void Flush() => file.Flush();

            public void Sync()
            {
                owner.Step();
                file.Sync();
            }

            public void Dispose() => file.Dispose();
        }
    }
}
