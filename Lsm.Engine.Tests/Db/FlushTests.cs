using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>A flush keeps exactly the versions some reader can still see.</summary>
public sealed class FlushTests
{
    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Flush_DropsOverwrittenVersions_ButKeepsThoseASnapshotSees()
    {
        var fs = new InMemoryFileSystem();
        using var db = LsmDb.Open("/db", new DbOptions { CreateIfMissing = true, FileSystem = fs });
        for (int i = 0; i < 10; i++)
        {
            db.Put(B("k"), B($"v{i}"));
        }

        using Snapshot snapshot = db.GetSnapshot(); // sees v9
        db.Put(B("k"), B("v10"));
        db.Put(B("k"), B("v11"));
        db.Delete(B("gone"));
        db.Put(B("other"), B("x"));
        db.Flush();

        string table = fs.GetFiles().Single(f => f.Path.EndsWith(".sst", StringComparison.Ordinal)).Path;
        using var sst = new InMemorySst(fs, table);
        Assert.Equal(["gone#13,DEL", "k#12,SET", "k#10,SET", "other#14,SET"], sst.Keys);
        Assert.Equal("v9", System.Text.Encoding.UTF8.GetString(db.Get(null, B("k"), new ReadOptions { Snapshot = snapshot })!));
        Assert.Equal("v11", System.Text.Encoding.UTF8.GetString(db.Get(B("k"))!));
    }

    [Fact]
    public void Flush_KeepsEveryOperandBelowAMerge()
    {
        var fs = new InMemoryFileSystem();
        using var db = LsmDb.Open("/db", new DbOptions
        {
            CreateIfMissing = true,
            FileSystem = fs,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = new StringAppendOperator() },
        });
        db.Put(B("k"), B("a"));
        db.Merge(B("k"), B("b"));
        db.Merge(B("k"), B("c"));
        db.Flush();
        Assert.Equal("a,b,c", System.Text.Encoding.UTF8.GetString(db.Get(B("k"))!));
    }

    /// <summary>Reads a table out of the in-memory file system through the inspection iterator's text form.</summary>
    private sealed class InMemorySst : IDisposable
    {
        private readonly Lsm.Engine.Table.TableReader _reader;

        public InMemorySst(InMemoryFileSystem fs, string path)
        {
            _reader = Lsm.Engine.Table.TableReader.Open(fs.OpenRead(path), ownsFile: true);
            var it = _reader.NewIterator();
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                Keys.Add(KeyText.FormatInternalKey(it.Key));
            }
        }

        public List<string> Keys { get; } = [];

        public void Dispose() => _reader.Dispose();
    }
}
