using System.Buffers.Binary;
using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

/// <summary>
/// One writer inserting while readers scan, seek and look up without locks. Every value is a function of
/// its key, so a reader that reached a node before its contents were published would see a mismatch.
/// </summary>
public sealed class MemTableConcurrencyTests
{
    private const int Entries = 60_000;
    private const int Readers = 3;

    private static byte[] UserKey(Random random)
    {
        byte[] key = new byte[random.Next(1, 24)];
        random.NextBytes(key);
        return key;
    }

    /// <summary>The value of entry <paramref name="sequence"/>: (sequence % 40) bytes, each the low byte of the sequence.</summary>
    private static bool ValueMatches(ReadOnlySpan<byte> value, ulong sequence) =>
        value.Length == (int)(sequence % 40) && value.IndexOfAnyExcept((byte)sequence) < 0;

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // every insert takes the append path
    public void Readers_ConcurrentWithOneWriter_AlwaysSeeSortedCompleteEntries(bool ascendingKeys)
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise, 64 * 1024);
        InternalKeyComparator order = mem.Comparator;
        long published = 0; // entries the writer has finished adding
        bool done = false;
        var errors = new List<Exception>();
        var scans = new int[Readers];

        var writer = new Thread(() =>
        {
            try
            {
                var random = new Random(42);
                byte[] value = new byte[40];
                for (int i = 1; i <= Entries; i++)
                {
                    var sequence = (ulong)i;
                    value.AsSpan().Fill((byte)sequence);
                    ValueKind kind = i % 5 == 0 ? ValueKind.Deletion : ValueKind.Value;
                    byte[] userKey = ascendingKeys ? BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness((ulong)i)) : UserKey(random);
                    mem.Add(sequence, kind, userKey, value.AsSpan(0, (int)(sequence % 40)));
                    Volatile.Write(ref published, i);
                }
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
            finally
            {
                Volatile.Write(ref done, true);
            }
        });

        var readers = Enumerable.Range(0, Readers).Select(r => new Thread(() =>
        {
            try
            {
                var random = new Random(r);
                MemTableIterator it = mem.NewIterator();
                byte[] previous = new byte[64];
                while (!Volatile.Read(ref done) || scans[r] == 0) // at least one scan, however the threads are scheduled
                {
                    // A full scan: sorted, complete entries, and no fewer than were published before it began.
                    long before = Volatile.Read(ref published);
                    long seen = 0;
                    int previousLength = -1;
                    for (it.SeekToFirst(); it.Valid; it.Next(), seen++)
                    {
                        ReadOnlySpan<byte> key = it.Key;
                        Assert.True(ValueMatches(it.Value, InternalKey.Sequence(key)));
                        Assert.True(previousLength < 0 || order.Compare(previous.AsSpan(0, previousLength), key) < 0, "scan out of order");
                        key.CopyTo(previous);
                        previousLength = key.Length;
                    }

                    Assert.True(seen >= before, $"scan saw {seen} entries, {before} were published");
                    scans[r]++;

                    // Random seeks, each followed by a few steps both ways.
                    for (int s = 0; s < 200; s++)
                    {
                        byte[] target = InternalKey.Create(UserKey(random), InternalKey.MaxSequence, InternalKey.KindForSeek);
                        it.Seek(target);
                        if (!it.Valid)
                        {
                            continue;
                        }

                        Assert.True(order.Compare(it.Key, target) >= 0);
                        Assert.True(ValueMatches(it.Value, InternalKey.Sequence(it.Key)));
                        it.Key.CopyTo(previous);
                        previousLength = it.Key.Length;
                        it.Next();
                        Assert.True(!it.Valid || order.Compare(previous.AsSpan(0, previousLength), it.Key) < 0);
                        it.Seek(previous.AsSpan(0, previousLength));
                        it.Prev();
                        Assert.True(!it.Valid || order.Compare(it.Key, previous.AsSpan(0, previousLength)) < 0);

                        it.SeekForPrev(target);
                        Assert.True(!it.Valid || order.Compare(it.Key, target) <= 0);

                        ReadOnlySpan<byte> user = InternalKey.UserKey(previous.AsSpan(0, previousLength));
                        Assert.True(mem.TryGetEntry(user, InternalKey.MaxSequence, out _, out ReadOnlySpan<byte> value, out ulong sequence));
                        Assert.True(ValueMatches(value, sequence));
                    }

                    if (scans[r] % 8 == 0)
                    {
                        mem.AssertInvariants();
                    }
                }
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
        })).ToArray();

        foreach (Thread reader in readers)
        {
            reader.Start();
        }

        writer.Start();
        writer.Join();
        foreach (Thread reader in readers)
        {
            reader.Join();
        }

        Assert.Empty(errors);
        Assert.All(scans, n => Assert.True(n > 0));

        // After the writer: everything is visible.
        Assert.Equal(Entries, mem.NumEntries);
        mem.AssertInvariants();
        MemTableIterator final = mem.NewIterator();
        var sequences = new bool[Entries + 1];
        int count = 0;
        for (final.SeekToFirst(); final.Valid; final.Next(), count++)
        {
            sequences[InternalKey.Sequence(final.Key)] = true;
        }

        Assert.Equal(Entries, count);
        Assert.DoesNotContain(false, sequences.AsSpan(1).ToArray());
        Assert.Equal(Entries / 5, mem.NumDeletes);
    }

    [Fact]
    public void Readers_HoldingRefs_KeepTheArenaAliveWhileTheOwnerDisposes()
    {
        var mem = new MemTable(InternalKeyComparator.Bytewise);
        for (int i = 0; i < 1000; i++)
        {
            byte[] key = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(key, i);
            mem.Add((ulong)i + 1, ValueKind.Value, key, key);
        }

        using var referenced = new CountdownEvent(Readers);
        using var go = new ManualResetEventSlim();
        int[] counts = new int[Readers];
        Thread[] readers = Enumerable.Range(0, Readers).Select(r => new Thread(() =>
        {
            mem.Ref();
            referenced.Signal();
            try
            {
                go.Wait();
                for (int pass = 0; pass < 20; pass++)
                {
                    MemTableIterator it = mem.NewIterator();
                    for (it.SeekToFirst(); it.Valid; it.Next())
                    {
                        counts[r]++;
                    }
                }
            }
            finally
            {
                mem.Unref();
            }
        })).ToArray();

        // Every reader takes its reference before the owner lets go.
        foreach (Thread reader in readers)
        {
            reader.Start();
        }

        referenced.Wait();
        mem.Dispose();
        go.Set();
        foreach (Thread reader in readers)
        {
            reader.Join();
        }

        Assert.All(counts, c => Assert.Equal(20 * 1000, c));
        Assert.Throws<ObjectDisposedException>(mem.Ref);
    }
}
