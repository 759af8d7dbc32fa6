using Lsm.Engine.Encoding;
using Lsm.Engine.Memory;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memory;

/// <summary>
/// The write buffer manager's accounting on its own: charges move from mutable to immutable to freed, the flush and
/// stall thresholds are RocksDB's, a memtable charges per arena chunk, and the cache reservation follows RocksDB's
/// 1 MiB steps with delayed decrease. None of these touch a block cache.
/// </summary>
public sealed class WriteBufferManagerTests
{
    [Fact]
    public void Tracker_ChargeSwitchRelease_MovesBytesFromMutableToImmutableToFreed()
    {
        var manager = new WriteBufferManager(1 << 20);
        MemtableMemoryTracker tracker = manager.NewTracker();

        tracker.Charge(4096);
        tracker.Charge(8192);
        Assert.Equal(12288, manager.MemoryUsage);
        Assert.Equal(12288, manager.MutableMemtableMemoryUsage);

        tracker.MarkImmutable();
        tracker.MarkImmutable(); // idempotent
        Assert.Equal(12288, manager.MemoryUsage);
        Assert.Equal(0, manager.MutableMemtableMemoryUsage);

        tracker.Release();
        tracker.Release(); // idempotent: nothing is returned twice
        Assert.Equal(0, manager.MemoryUsage);
        Assert.Equal(0, manager.MutableMemtableMemoryUsage);
        manager.AssertInvariants();
    }

    [Fact]
    public void Tracker_ReleasedWhileMutable_ReturnsTheMutableShareToo()
    {
        var manager = new WriteBufferManager(1 << 20);
        MemtableMemoryTracker kept = manager.NewTracker();
        MemtableMemoryTracker dropped = manager.NewTracker();
        kept.Charge(1000);
        dropped.Charge(3000);

        dropped.Release(); // a dropped column family's active memtable

        Assert.Equal(1000, manager.MemoryUsage);
        Assert.Equal(1000, manager.MutableMemtableMemoryUsage);
    }

    [Theory]
    // budget 8000: mutable limit 7000; the second rule needs total >= 8000 and mutable >= 4000
    [InlineData(7000, 0, false)] // at the mutable limit, not above it
    [InlineData(7001, 0, true)]  // above seven eighths
    [InlineData(4000, 4000, true)] // full, half of it mutable
    [InlineData(3999, 4001, false)] // full, but more than half already on its way out
    [InlineData(4000, 3999, false)] // not full
    [InlineData(6999, 9000, true)] // over budget, mutable over half
    public void ShouldFlush_FollowsRocksDbsTwoRules(long mutable, long immutable, bool expected)
    {
        var manager = new WriteBufferManager(8000);
        manager.NewTracker().Charge(mutable);
        MemtableMemoryTracker switched = manager.NewTracker();
        switched.Charge(immutable);
        switched.MarkImmutable();

        Assert.Equal(7000, manager.MutableLimit);
        Assert.Equal(expected, manager.ShouldFlush());
    }

    [Fact]
    public void MutableLimit_IsSevenEighthsRoundedDown_EvenForHugeBudgets()
    {
        Assert.Equal(8, new WriteBufferManager(10).MutableLimit);
        Assert.Equal(long.MaxValue / 8 * 7 + 6, new WriteBufferManager(long.MaxValue).MutableLimit);
    }

    [Fact]
    public void Disabled_NeverFlushesNorStalls_ButStillCounts()
    {
        var manager = new WriteBufferManager(0, allowStall: true);
        manager.NewTracker().Charge(1 << 30);
        Assert.False(manager.Enabled);
        Assert.Equal(1 << 30, manager.MemoryUsage);
        Assert.False(manager.ShouldFlush());
        Assert.False(manager.ShouldStall());
    }

    [Fact]
    public void ShouldStall_OnlyWithAllowStall_AtOrOverTheBudget()
    {
        var stalling = new WriteBufferManager(1000, allowStall: true);
        var flushing = new WriteBufferManager(1000);
        MemtableMemoryTracker a = stalling.NewTracker();
        MemtableMemoryTracker b = flushing.NewTracker();
        a.Charge(999);
        b.Charge(999);
        Assert.False(stalling.ShouldStall());

        a.Charge(1);
        b.Charge(1);
        Assert.True(stalling.ShouldStall());
        Assert.False(flushing.ShouldStall());

        a.MarkImmutable(); // immutable memory still counts until it is freed
        Assert.True(stalling.ShouldStall());
        a.Release();
        Assert.False(stalling.ShouldStall());
    }

    [Fact]
    public void Constructor_RefusesANegativeBudget() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WriteBufferManager(-1));

    [Fact]
    public void MemTable_ChargesPerArenaChunk_NeverPerEntry_AndFreesOnLastUnref()
    {
        const int ChunkSize = 4096;
        var manager = new WriteBufferManager(1 << 20);
        var mem = new MemTable(new InternalKeyComparator(BytewiseComparator.Instance), ChunkSize, manager.NewTracker());
        Assert.Equal(mem.ApproximateMemoryUsage, manager.MemoryUsage); // the head nodes' chunk

        int changes = 0;
        long last = manager.MemoryUsage;
        byte[] value = new byte[100];
        const int Entries = 2000;
        for (int i = 0; i < Entries; i++)
        {
            mem.Add((ulong)i + 1, ValueKind.Value, System.Text.Encoding.ASCII.GetBytes($"key{i:D6}"), value);
            long now = manager.MemoryUsage;
            Assert.Equal(mem.ApproximateMemoryUsage, now); // charged as the chunk is taken, not later
            if (now != last)
            {
                Assert.Equal(ChunkSize, now - last); // one whole chunk at a time
                changes++;
                last = now;
            }
        }

        Assert.Equal(mem.ApproximateMemoryUsage / ChunkSize - 1, changes);
        Assert.True(changes < Entries / 10, $"{changes} charges for {Entries} entries");

        mem.Ref(); // a reader keeps the arena alive after the switch and the owner's release
        mem.MemoryTracker!.MarkImmutable();
        mem.Dispose();
        Assert.Equal(last, manager.MemoryUsage);
        Assert.Equal(0, manager.MutableMemtableMemoryUsage);
        mem.Unref();
        Assert.Equal(0, manager.MemoryUsage);
    }

    [Theory]
    // reserved, used -> reservation (MiB = 1048576)
    [InlineData(0, 0, 0)]
    [InlineData(0, 1, 1048576)]                 // grows in whole units
    [InlineData(1048576, 1048577, 2097152)]
    [InlineData(4194304, 4194304, 4194304)]     // exactly covered
    [InlineData(4194304, 3145728, 4194304)]     // three quarters: kept (delayed decrease)
    [InlineData(4194304, 3145727, 3145728)]     // below three quarters: down to the smallest cover
    [InlineData(4194304, 0, 0)]                 // everything freed: everything returned
    public void CacheReservation_Target_IsRocksDbsDelayedDecrease(long reserved, long used, long expected) =>
        Assert.Equal(expected, CacheReservation.Target(reserved, used));
}
