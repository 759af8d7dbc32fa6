using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

/// <summary>
/// The design's promise that memtable data makes no garbage: once warm, adds, seeks, steps and point
/// lookups allocate nothing on the managed heap. A correctness property, measured in bytes, not time.
/// </summary>
public sealed class MemTableAllocationTests
{
    private const int Entries = 5000;

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"user{i * 2:D8}");

    [Fact]
    public void HotPaths_AfterWarmUp_AllocateNothing()
    {
        using var mem = new MemTable(InternalKeyComparator.Bytewise);
        byte[] value = new byte[100];
        for (int i = 0; i < Entries; i++)
        {
            mem.Add((ulong)i + 1, ValueKind.Value, Key(i), value);
        }

        byte[][] userKeys = Enumerable.Range(0, 256).Select(i => Key(i * 17 % Entries)).ToArray();
        byte[][] targets = userKeys.Select(k => InternalKey.Create(k, InternalKey.MaxSequence, InternalKey.KindForSeek)).ToArray();
        byte[] longKey = new byte[1000]; // beyond the stack buffer: the pooled-buffer path
        byte[][] newKeys = Enumerable.Range(0, 2000).Select(i => System.Text.Encoding.ASCII.GetBytes($"new{i:D8}")).ToArray();
        MemTableIterator it = mem.NewIterator();

        long Run(int addFrom, int addCount)
        {
            long checksum = 0;
            for (int i = 0; i < targets.Length; i++)
            {
                it.Seek(targets[i]);
                for (int step = 0; step < 8 && it.Valid; step++)
                {
                    checksum += it.Key.Length + it.Value.Length;
                    it.Next();
                }

                it.SeekForPrev(targets[i]);
                it.Prev();
                checksum += it.Key.Length;
                if (mem.TryGetEntry(userKeys[i], InternalKey.MaxSequence, out _, out ReadOnlySpan<byte> found, out ulong sequence))
                {
                    checksum += found.Length + (long)sequence;
                }
            }

            it.SeekToFirst();
            it.SeekToLast();
            mem.TryGetEntry(longKey, InternalKey.MaxSequence, out _, out _, out _);
            for (int i = addFrom; i < addFrom + addCount; i++)
            {
                mem.Add((ulong)(Entries + i + 1), ValueKind.Merge, newKeys[i], value.AsSpan(0, 8));
            }

            return checksum;
        }

        // Warm up: JIT tiers, the array pool's per-thread slot.
        for (int round = 0; round < 3; round++)
        {
            Run(round * 100, 100);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        long result = Run(300, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(result > 0);
        Assert.Equal(0, allocated);
        Assert.Equal(Entries + 1300, mem.NumEntries);
    }
}
