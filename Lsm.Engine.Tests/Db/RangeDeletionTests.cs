using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// DeleteRange through the database: every source a key can live in (active and immutable memtables, level-0
/// tables, the log after a reopen) against a tombstone in the same or a newer source, through Get, TryGet and
/// iterators in both directions, at snapshots, with merges.
/// </summary>
public sealed class RangeDeletionTests
{
    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    private static string? S(byte[]? b) => b is null ? null : System.Text.Encoding.UTF8.GetString(b);

    private static DbOptions Options(IFileSystem fs) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = new StringAppendOperator() },
    };

    private static List<string> Scan(LsmDb db, ReadOptions? options = null, bool backward = false)
    {
        var keys = new List<string>();
        using LsmIterator it = db.NewIterator(null, options);
        if (backward)
        {
            for (it.SeekToLast(); it.Valid; it.Prev())
            {
                keys.Insert(0, $"{System.Text.Encoding.UTF8.GetString(it.Key)}={System.Text.Encoding.UTF8.GetString(it.Value)}");
            }
        }
        else
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                keys.Add($"{System.Text.Encoding.UTF8.GetString(it.Key)}={System.Text.Encoding.UTF8.GetString(it.Value)}");
            }
        }

        return keys;
    }

    private static void AssertContents(LsmDb db, string[] expected, ReadOptions? options = null)
    {
        Assert.Equal(expected, Scan(db, options));
        Assert.Equal(expected, Scan(db, options, backward: true));
        var present = expected.ToDictionary(e => e.Split('=')[0], e => e.Split('=')[1]);
        foreach (string key in new[] { "a", "b", "c", "d", "e", "f", "g" })
        {
            Assert.Equal(present.GetValueOrDefault(key), S(db.Get(null, B(key), options)));
        }
    }

    /// <summary>Where the keys are when the tombstone comes, and where the tombstone is when it is read.</summary>
    public enum Layout
    {
        AllInMemtable,
        KeysFlushedTombstoneInMemtable,
        KeysAndTombstoneFlushedTogether,
        KeysAndTombstoneInSeparateTables,
        ReopenedFromLog,
    }

    [Theory]
    [InlineData(Layout.AllInMemtable)]
    [InlineData(Layout.KeysFlushedTombstoneInMemtable)]
    [InlineData(Layout.KeysAndTombstoneFlushedTogether)]
    [InlineData(Layout.KeysAndTombstoneInSeparateTables)]
    [InlineData(Layout.ReopenedFromLog)]
    public void DeleteRange_HidesOlderKeysInTheRange_Only(Layout layout)
    {
        var fs = new InMemoryFileSystem();
        var db = LsmDb.Open("/db", Options(fs));
        try
        {
            foreach (string key in new[] { "a", "b", "c", "d", "e", "f" })
            {
                db.Put(B(key), B("v" + key));
            }

            db.Merge(B("c"), B("m1"));
            if (layout is Layout.KeysFlushedTombstoneInMemtable or Layout.KeysAndTombstoneInSeparateTables)
            {
                db.Flush();
            }

            using Snapshot before = db.GetSnapshot();
            db.DeleteRange(B("b"), B("e")); // deletes b, c (value and operand), d; keeps e
            db.Put(B("c"), B("new"));       // newer than the tombstone: visible
            db.Merge(B("d"), B("m2"));      // a merge over a deleted key starts from nothing
            if (layout is Layout.KeysAndTombstoneFlushedTogether or Layout.KeysAndTombstoneInSeparateTables)
            {
                db.Flush();
            }

            if (layout == Layout.ReopenedFromLog)
            {
                before.Dispose();
                db.Dispose();
                db = LsmDb.Open("/db", Options(fs));
            }
            else
            {
                AssertContents(db, ["a=va", "b=vb", "c=vc,m1", "d=vd", "e=ve", "f=vf"], new ReadOptions { Snapshot = before });
            }

            AssertContents(db, ["a=va", "c=new", "d=m2", "e=ve", "f=vf"]);
            Assert.False(db.TryGet(B("b"), new byte[16], out _));
        }
        finally
        {
            db.Dispose();
        }
    }

    [Fact]
    public void TombstoneInANewerTable_HidesKeysOfOlderTables_AndSurvivesReopen()
    {
        var fs = new InMemoryFileSystem();
        using (var db = LsmDb.Open("/db", Options(fs)))
        {
            db.Put(B("a"), B("1"));
            db.Put(B("c"), B("1"));
            db.Flush();
            db.Put(B("b"), B("2"));
            db.Merge(B("c"), B("2"));
            db.Flush();
            db.DeleteRange(B("a"), B("c"));
            db.Flush(); // a table holding only the tombstone
            Assert.Equal("3", db.GetProperty("rocksdb.num-files-at-level0"));
            AssertContents(db, ["c=1,2"]);
        }

        using (var db = LsmDb.Open("/db", Options(fs)))
        {
            AssertContents(db, ["c=1,2"]);
        }
    }

    [Fact]
    public void FlushedTombstone_WidensTheTableBounds_AsRocksDb()
    {
        using var dir = new TempDirectory();
        string path = dir.File("db");
        using (var db = LsmDb.Open(path, Options(LocalFileSystem.Instance)))
        {
            db.Put(B("c"), B("1"));
            db.DeleteRange(B("a"), B("k"));
            db.Flush();
        }

        using (var table = SstFile.Open(Directory.GetFiles(path, "*.sst").Single()))
        {
            Assert.Equal(1UL, table.Properties.NumRangeDeletions);
        }

        // The MANIFEST's file range runs from the tombstone's start to its end at the maximum sequence.
        ManifestTableFile file = Assert.Single(ManifestFile.ReadDatabase(path).ColumnFamilies[0].Levels[0]);
        Assert.Equal("a#2,RANGEDEL", file.Smallest);
        Assert.Equal("k#72057594037927935,RANGEDEL", file.Largest);
    }

    [Fact]
    public void InvertedRange_IsRefused_EmptyRange_DeletesNothing()
    {
        using var db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        db.Put(B("b"), B("1"));
        var e = Assert.Throws<ArgumentException>(() => db.DeleteRange(B("c"), B("a")));
        Assert.Contains("comes before", e.Message, StringComparison.Ordinal);
        db.DeleteRange(B("b"), B("b"));
        Assert.Equal("1", S(db.Get(B("b"))));
        db.Flush();
        Assert.Equal("1", S(db.Get(B("b"))));
    }

    [Fact]
    public void DeleteRange_InOneFamily_LeavesTheOtherAlone()
    {
        using var db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        ColumnFamilyHandle cf1 = db.CreateColumnFamily("cf1", new ColumnFamilyOptions());
        db.Put(B("b"), B("default"));
        db.Put(cf1, B("b"), B("cf1"));
        var batch = new WriteBatch();
        batch.DeleteRange(cf1, B("a"), B("z"));
        batch.Put(B("c"), B("same batch"));
        db.Write(batch);
        Assert.Equal("default", S(db.Get(B("b"))));
        Assert.Null(db.Get(cf1, B("b")));
        Assert.Equal("same batch", S(db.Get(B("c"))));
    }

    [Fact]
    public void OverlappingTombstones_AtSeveralSnapshots()
    {
        using var db = LsmDb.Open("/db", Options(new InMemoryFileSystem()));
        foreach (string key in new[] { "a", "b", "c", "d", "e", "f", "g" })
        {
            db.Put(B(key), B("1"));
        }

        using Snapshot s1 = db.GetSnapshot();
        db.DeleteRange(B("b"), B("e"));
        db.Put(B("c"), B("2"));
        db.Flush();
        using Snapshot s2 = db.GetSnapshot();
        db.DeleteRange(B("a"), B("d")); // overlaps the first tombstone, hides c=2
        db.Put(B("f"), B("3"));
        db.DeleteRange(B("f"), B("g"));

        AssertContents(db, ["a=1", "b=1", "c=1", "d=1", "e=1", "f=1", "g=1"], new ReadOptions { Snapshot = s1 });
        AssertContents(db, ["a=1", "c=2", "e=1", "f=1", "g=1"], new ReadOptions { Snapshot = s2 });
        AssertContents(db, ["e=1", "g=1"]);
    }
}
