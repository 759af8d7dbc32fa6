using System.Buffers.Binary;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Point lookups take the column family's super version without the database mutex. These tests run them against
/// a writer whose memtables switch, flush and compact all the time, and check the one thing a lock-free read could
/// get wrong: a write that finished before a lookup began is seen by it (or a newer one is). Iterators, which
/// take their view the same way, are checked alongside.
/// </summary>
public sealed class ConcurrentReadTests
{
    private const int Keys = 64;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gets_DuringSwitchesFlushesAndCompactions_SeeEveryFinishedWrite(bool secondFamily)
    {
        var fs = new InMemoryFileSystem();
        var family = new ColumnFamilyOptions
        {
            WriteBufferSize = 32 * 1024, // a switch every ~250 writes
            Level0FileNumCompactionTrigger = 2,
            TargetFileSizeBase = 64 * 1024,
            MaxBytesForLevelBase = 256 * 1024,
        };
        using var db = LsmDb.Open("/db", new DbOptions { CreateIfMissing = true, FileSystem = fs, DefaultColumnFamilyOptions = family });
        ColumnFamilyHandle? cf = secondFamily ? db.CreateColumnFamily("other", family) : null;

        // finished[k]: the version of key k whose Put has returned; versions only grow. Dedicated threads, started
        // together, so that the lookups overlap the writes even when the test runner's thread pool is busy.
        long[] finished = new long[Keys];
        long lookups = 0;
        bool writing = true;
        Exception? failure = null;
        using var started = new CountdownEvent(3);
        var writer = new Thread(() =>
        {
            try
            {
                started.Signal();
                started.Wait();
                byte[] value = new byte[120];
                for (long version = 1; version <= 30_000; version++)
                {
                    int k = (int)(version % Keys);
                    BinaryPrimitives.WriteInt64BigEndian(value, version);
                    db.Put(cf, Key(k), value);
                    Volatile.Write(ref finished[k], version);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
            finally
            {
                Volatile.Write(ref writing, false);
            }
        });

        var readers = new Thread[2];
        for (int r = 0; r < readers.Length; r++)
        {
            int seed = r;
            readers[r] = new Thread(() =>
            {
                try
                {
                    var random = new Random(seed);
                    Span<byte> destination = stackalloc byte[128];
                    started.Signal();
                    started.Wait();
                    while (Volatile.Read(ref writing) && Volatile.Read(ref failure) is null)
                    {
                        int k = random.Next(Keys);
                        long before = Volatile.Read(ref finished[k]);
                        bool found;
                        long seen = 0;
                        if (random.Next(16) == 0)
                        {
                            // Now and then an iterator, which takes its view the same way.
                            using LsmIterator iterator = db.NewIterator(cf);
                            iterator.Seek(Key(k));
                            found = iterator.Valid && iterator.Key.SequenceEqual(Key(k));
                            seen = found ? BinaryPrimitives.ReadInt64BigEndian(iterator.Value) : 0;
                        }
                        else
                        {
                            found = db.TryGet(Key(k), destination, out int length, cf);
                            seen = found ? BinaryPrimitives.ReadInt64BigEndian(destination[..length]) : 0;
                        }

                        if (before > 0)
                        {
                            Assert.True(found, $"key {k}: version {before} had been written, the read found nothing");
                            Assert.True(seen >= before, $"key {k}: version {before} had been written, the read found {seen}");
                        }

                        Interlocked.Increment(ref lookups);
                    }
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, e, null);
                }
            });
        }

        writer.Start();
        foreach (Thread reader in readers)
        {
            reader.Start();
        }

        writer.Join();
        foreach (Thread reader in readers)
        {
            reader.Join();
        }

        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException($"after {Interlocked.Read(ref lookups)} lookups: {failure}");
        }

        db.WaitForCompactions();
        Assert.True(Interlocked.Read(ref lookups) > 1000, $"only {lookups} lookups ran");
        Assert.True(db.GetTickerCount("rocksdb.compact.write.bytes") > 0, "no compaction ran during the test");
    }

    private static byte[] Key(int k) => System.Text.Encoding.ASCII.GetBytes($"key{k:D4}");
}
