using System.Text;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

public sealed class LsmDbBasicTests
{
    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static string? S(byte[]? b) => b is null ? null : System.Text.Encoding.UTF8.GetString(b);

    private static DbOptions Options(IFileSystem? fs = null, long writeBuffer = ColumnFamilyOptions.DefaultWriteBufferSize) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs ?? LocalFileSystem.Instance,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { WriteBufferSize = writeBuffer, MergeOperator = UInt64AddOperator.Instance },
    };

    [Fact]
    public void PutGetDelete_AndReopen_KeepsData()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        using (var db = LsmDb.Open(path, Options()))
        {
            db.Put(B("a"), B("1"));
            db.Put(B("b"), B("2"));
            db.Delete(B("a"));
            Assert.Null(db.Get(B("a")));
            Assert.Equal("2", S(db.Get(B("b"))));
        }

        using (var db = LsmDb.Open(path, Options()))
        {
            Assert.Null(db.Get(B("a")));
            Assert.Equal("2", S(db.Get(B("b"))));
            Assert.Equal("1", db.GetProperty("rocksdb.num-files-at-level0")); // recovery flushed the replayed memtable
        }
    }

    [Fact]
    public void Open_Missing_WithoutCreate_Throws()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => LsmDb.Open(dir.File("nope"), new DbOptions()));
    }

    [Fact]
    public void SecondOpen_OfSameDirectory_IsRefused()
    {
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options());
        var ex = Assert.Throws<IOException>(() => LsmDb.Open(dir.File("db"), Options()));
        Assert.Contains("in use", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Flush_ThenReadsComeFromTables_AndIteratorsMergeEverything()
    {
        var fs = new InMemoryFileSystem();
        DbOptions options = Options(fs, writeBuffer: 64 * 1024);
        options = options with { DefaultColumnFamilyOptions = options.DefaultColumnFamilyOptions with { DisableAutoCompactions = true } }; // level 0 piles up
        using var db = LsmDb.Open("/db", options);
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var random = new Random(3);
        for (int i = 0; i < 5000; i++)
        {
            string key = $"k{random.Next(2000):D5}";
            if (random.Next(5) == 0)
            {
                db.Delete(B(key));
                model.Remove(key);
            }
            else
            {
                string value = $"v{i}";
                db.Put(B(key), B(value));
                model[key] = value;
            }

            if (i % 1500 == 0)
            {
                db.Flush();
            }
        }

        Assert.True(int.Parse(db.GetProperty("rocksdb.num-files-at-level0")!, System.Globalization.CultureInfo.InvariantCulture) >= 3);
        foreach ((string key, string value) in model)
        {
            Assert.Equal(value, S(db.Get(B(key))));
        }

        using LsmIterator it = db.NewIterator();
        var seen = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            seen.Add(System.Text.Encoding.UTF8.GetString(it.Key));
        }

        Assert.Equal(model.Keys, seen);
        seen.Clear();
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            seen.Add(System.Text.Encoding.UTF8.GetString(it.Key));
        }

        seen.Reverse();
        Assert.Equal(model.Keys, seen);
    }

    [Fact]
    public void Snapshot_SeesStateAtItsTime()
    {
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options());
        db.Put(B("k"), B("old"));
        using Snapshot snapshot = db.GetSnapshot();
        db.Put(B("k"), B("new"));
        db.Put(B("other"), B("x"));
        db.Flush();
        var atSnapshot = new ReadOptions { Snapshot = snapshot };
        Assert.Equal("old", S(db.Get(null, B("k"), atSnapshot)));
        Assert.Null(db.Get(null, B("other"), atSnapshot));
        Assert.Equal("new", S(db.Get(B("k"))));
        using LsmIterator it = db.NewIterator(null, atSnapshot);
        it.SeekToFirst();
        Assert.True(it.Valid);
        Assert.Equal("k", System.Text.Encoding.UTF8.GetString(it.Key));
        it.Next();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Merge_AddsCounters_AcrossMemtableAndTables()
    {
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options());
        db.Merge(B("c"), BitConverter.GetBytes(5UL));
        db.Flush();
        db.Merge(B("c"), BitConverter.GetBytes(7UL));
        Assert.Equal(12UL, BitConverter.ToUInt64(db.Get(B("c"))));
        db.Put(B("c"), BitConverter.GetBytes(100UL));
        db.Merge(B("c"), BitConverter.GetBytes(1UL));
        Assert.Equal(101UL, BitConverter.ToUInt64(db.Get(B("c"))));
        using LsmIterator it = db.NewIterator();
        it.Seek(B("c"));
        Assert.Equal(101UL, BitConverter.ToUInt64(it.Value));
    }

    [Fact]
    public void TryGet_CopiesIntoSpan_AndReportsLength()
    {
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options());
        db.Put(B("k"), B("hello"));
        Span<byte> small = stackalloc byte[2];
        Assert.True(db.TryGet(B("k"), small, out int length));
        Assert.Equal(5, length);
        Span<byte> big = stackalloc byte[16];
        Assert.True(db.TryGet(B("k"), big, out length));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(big[..length]));
        Assert.False(db.TryGet(B("absent"), big, out _));
    }

    [Fact]
    public void ColumnFamilies_AreSeparateKeyspaces_AndSurviveReopen()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        using (var db = LsmDb.Open(path, Options()))
        {
            ColumnFamilyHandle users = db.CreateColumnFamily("users");
            var batch = new WriteBatch();
            batch.Put(B("k"), B("default"));
            batch.Put(users, B("k"), B("users"));
            db.Write(batch);
            Assert.Equal("default", S(db.Get(B("k"))));
            Assert.Equal("users", S(db.Get(users, B("k"))));
            ColumnFamilyHandle temp = db.CreateColumnFamily("temp");
            db.DropColumnFamily(temp);
            Assert.Throws<ArgumentException>(() => db.Put(temp, B("x"), B("y")));
        }

        Assert.Equal(["default", "users"], LsmDb.ListColumnFamilies(path));
        using (var db = LsmDb.Open(path, Options()))
        {
            ColumnFamilyHandle users = db.GetColumnFamily("users")!;
            Assert.Equal("users", S(db.Get(users, B("k"))));
            Assert.Equal("default", S(db.Get(B("k"))));
        }
    }

    [Fact]
    public void Crash_LosesOnlyUnsyncedWrites()
    {
        var fs = new InMemoryFileSystem();
        var db = LsmDb.Open("/db", Options(fs));
        db.Put(null, B("synced"), B("1"), new WriteOptions { Sync = true });
        db.Put(B("unsynced"), B("2"));
        fs.SimulateCrash();
        using var reopened = LsmDb.Open("/db", Options(fs));
        Assert.Equal("1", S(reopened.Get(B("synced"))));
        Assert.Null(reopened.Get(B("unsynced")));
    }

    [Fact]
    public void ConcurrentWriters_AllWritesLand()
    {
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options(writeBuffer: 256 * 1024));
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 2000; i++)
            {
                db.Put(null, B($"t{t}-{i:D5}"), B($"v{i}"), new WriteOptions { Sync = i % 500 == 0 });
            }
        });
        for (int t = 0; t < 4; t++)
        {
            for (int i = 0; i < 2000; i += 97)
            {
                Assert.Equal($"v{i}", S(db.Get(B($"t{t}-{i:D5}"))));
            }
        }

        using LsmIterator it = db.NewIterator();
        int count = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            count++;
        }

        Assert.Equal(8000, count);
    }

    [Fact]
    public void Disposed_Database_ThrowsObjectDisposed()
    {
        using var dir = new TempDirectory();
        var db = LsmDb.Open(dir.File("db"), Options());
        db.Dispose();
        Assert.Throws<ObjectDisposedException>(() => db.Get(B("k")));
        Assert.Throws<ObjectDisposedException>(() => db.Put(B("k"), B("v")));
    }
}
