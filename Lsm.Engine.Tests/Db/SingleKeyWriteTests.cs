using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Put, Delete and Merge encode into a reused per-thread batch: once warm they allocate nothing, and reuse
/// never leaks one write's bytes into the next. Allocation is measured in bytes, not time.
/// </summary>
public sealed class SingleKeyWriteTests
{
    private static DbOptions Options(IFileSystem? fs = null) => new()
    {
        CreateIfMissing = true,
        FileSystem = fs ?? new InMemoryFileSystem(),
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = UInt64AddOperator.Instance },
    };

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");

    [Fact]
    public void PutDeleteMerge_AfterWarmUp_AllocateNothing()
    {
        // The real file system: the in-memory one allocates as its files grow.
        using var dir = new TempDirectory();
        using var db = LsmDb.Open(dir.File("db"), Options(LocalFileSystem.Instance));
        byte[][] keys = Enumerable.Range(0, 1000).Select(Key).ToArray();
        byte[] value = new byte[100];
        byte[] operand = BitConverter.GetBytes(1UL);
        var sync = new WriteOptions { Sync = true };

        void Run()
        {
            for (int i = 0; i < keys.Length; i++)
            {
                db.Put(keys[i], value);
                db.Merge(null, keys[i], operand, i % 100 == 0 ? sync : null);
                db.Delete(keys[i]);
            }
        }

        Run(); // warm: the thread's batch and writer, the log's and memtable's buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ReusedBatch_CarriesNothingOver_AcrossSizesAndFamilies()
    {
        using var db = LsmDb.Open("/db", Options());
        ColumnFamilyHandle other = db.CreateColumnFamily("other", new ColumnFamilyOptions());
        byte[] huge = new byte[200_000]; // larger than a batch kept for reuse
        huge.AsSpan().Fill(7);

        db.Put(Key(1), huge);
        db.Put(Key(2), "small"u8);
        db.Put(other, Key(3), "cf"u8);
        db.Delete(Key(1));
        db.Put(Key(4), "after"u8);

        Assert.Null(db.Get(Key(1)));
        Assert.Equal("small"u8.ToArray(), db.Get(Key(2)));
        Assert.Null(db.Get(Key(3)));
        Assert.Equal("cf"u8.ToArray(), db.Get(other, Key(3)));
        Assert.Equal("after"u8.ToArray(), db.Get(Key(4)));
    }

    [Fact]
    public void FailedWrite_LeavesTheThreadAbleToWrite()
    {
        using var db = LsmDb.Open("/db", Options());
        ColumnFamilyHandle dropped = db.CreateColumnFamily("gone", new ColumnFamilyOptions());
        db.DropColumnFamily(dropped);

        Assert.ThrowsAny<ArgumentException>(() => db.Put(dropped, Key(1), "x"u8));
        db.Put(Key(2), "y"u8);
        Assert.Null(db.Get(Key(1)));
        Assert.Equal("y"u8.ToArray(), db.Get(Key(2)));
    }
}
