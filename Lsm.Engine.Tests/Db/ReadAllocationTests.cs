using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// The read path's allocation promise, measured on the calling thread: once warm, <c>TryGet</c> into a span allocates
/// nothing, and <c>Get</c> allocates only the returned array, whether the key is in the memtable, in a level-0 table
/// or in a compacted level, present or absent.
/// </summary>
public sealed class ReadAllocationTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    [Fact]
    public void WarmReads_AllocateNothingButTheReturnedValue()
    {
        using var db = LsmDb.Open("/db", new DbOptions { CreateIfMissing = true, FileSystem = new InMemoryFileSystem() });
        for (int i = 0; i < 3000; i++)
        {
            db.Put(Key(i), new byte[100]);
        }

        db.CompactRange();                 // keys 0..2999 in the last level
        for (int i = 3000; i < 4000; i++)
        {
            db.Put(Key(i), new byte[100]);
        }

        db.Flush();                        // keys 3000..3999 in a level-0 table
        for (int i = 4000; i < 5000; i++)
        {
            db.Put(Key(i), new byte[100]);  // keys 4000..4999 in the memtable
        }

        Span<byte> destination = stackalloc byte[128];
        int[] keys = [10, 2999, 3500, 4500, 9999]; // compacted, compacted, L0, memtable, absent
        foreach (int k in keys)
        {
            db.TryGet(Key(k), destination, out _);
            db.Get(Key(k));
        }

        byte[][] probes = [.. keys.Select(Key)];
        long start = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(new byte[100]);
        long arrayBytes = GC.GetAllocatedBytesForCurrentThread() - start; // what the returned value costs
        foreach (byte[] probe in probes)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool found = db.TryGet(probe, destination, out int length);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(probe != probes[^1], found);
            Assert.True(!found || length == 100);

            before = GC.GetAllocatedBytesForCurrentThread();
            byte[]? value = db.Get(probe);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(value is null ? 0 : arrayBytes, allocated);
        }
    }

    /// <summary>
    /// The open loads every table's reader (index, filter), as RocksDB does with <c>max_open_files = -1</c>: the first
    /// reads after a reopen open nothing and allocate nothing, so a read workload starts without large-object-heap
    /// allocations (and the gen2 collections they bring).
    /// </summary>
    [Fact]
    public void FirstReadsAfterAReopen_OpenNoTable_AndAllocateNothing()
    {
        var fs = new InMemoryFileSystem();
        var options = new DbOptions { CreateIfMissing = true, FileSystem = fs };
        int[] keys = [10, 2999, 3500, 9999];
        Span<byte> destination = stackalloc byte[128];
        using (var db = LsmDb.Open("/db", options))
        {
            for (int i = 0; i < 3000; i++)
            {
                db.Put(Key(i), new byte[100]);
            }

            db.CompactRange();
            for (int i = 3000; i < 4000; i++)
            {
                db.Put(Key(i), new byte[100]);
            }

            db.Flush();
            db.TryGet(Key(0), destination, out _); // this thread's lookup state is warm
        }

        using var reopened = LsmDb.Open("/db", options);
        foreach (int k in keys)
        {
            byte[] probe = Key(k);
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool found = reopened.TryGet(probe, destination, out _);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(k != 9999, found);
        }
    }
}
