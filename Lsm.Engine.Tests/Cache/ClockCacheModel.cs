using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// The CLOCK policy written the obvious way, for model tests: a list of slots (new slots appended, freed slots reused
/// newest first, as the shard allocates them; detached and replaced entries hold theirs too), and a hand that walks
/// the list, skipping free, referenced and detached slots, counting down and evicting at 0.
/// </summary>
internal sealed class ClockCacheModel(long capacity, bool strict, double highPriorityPoolRatio) : CacheModel(capacity, strict)
{
    private readonly List<CacheModelEntry?> _slots = [null]; // slot 0 is never used
    private readonly Stack<int> _free = new();
    private int _hand = 1;

    public override void AssertSameAs(CacheShard shard)
    {
        (int hand, List<(int Slot, ulong Offset, byte Count, bool Referenced, bool InCache)> slots) = ((ClockCacheShard)shard).ClockSnapshot();
        List<(int, ulong, byte, bool, bool)> expected = [];
        for (int slot = 1; slot < _slots.Count; slot++)
        {
            if (_slots[slot] is { } e)
            {
                expected.Add((slot, e.Key, (byte)e.Count, e.Refs > 0, e.InCache));
            }
        }

        Assert.Equal(expected, slots);
        Assert.Equal(_hand, hand);
    }

    protected override void Hit(CacheModelEntry entry) => entry.Count = Math.Min(entry.Count + 1, ClockCacheShard.MaxCount);

    protected override void Inserted(CacheModelEntry entry) => entry.Count = entry.High && highPriorityPoolRatio > 0 ? 3 : 1;

    protected override void Evict(long charge)
    {
        while (Usage + charge > Capacity && _slots.Any(Evictable))
        {
            int slot = _hand;
            _hand = slot + 1 == _slots.Count ? 1 : slot + 1;
            CacheModelEntry? entry = _slots[slot];
            if (!Evictable(entry))
            {
                continue;
            }

            if (entry!.Count > 0)
            {
                entry.Count--;
                continue;
            }

            Evict(entry);
        }
    }

    protected override CacheModelEntry Placed(CacheModelEntry entry)
    {
        if (_free.TryPop(out int slot))
        {
            _slots[slot] = entry;
        }
        else
        {
            slot = _slots.Count;
            _slots.Add(entry);
        }

        entry.Slot = slot;
        return entry;
    }

    protected override void Freed(CacheModelEntry entry)
    {
        _slots[entry.Slot] = null;
        _free.Push(entry.Slot);
    }

    private static bool Evictable(CacheModelEntry? entry) => entry is { InCache: true, Refs: 0 };
}
