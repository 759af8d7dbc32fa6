using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// The CLOCK shard written the obvious way, for model tests: a dictionary of entries, a list of slots (new slots
/// appended, freed slots reused newest first, as the shard allocates them), and a hand that walks the list, skipping
/// free, referenced and detached slots, counting down and evicting at 0.
/// </summary>
internal sealed class ClockCacheModel(long capacity, bool strict, double highPriorityPoolRatio) : ICacheModel
{
    private readonly Dictionary<ulong, CacheModelEntry> _table = [];
    private readonly List<CacheModelEntry?> _slots = [null]; // slot 0 is never used
    private readonly Stack<int> _free = new();
    private long _capacity = capacity;
    private long _reserved;
    private int _hand = 1;

    public long Usage { get; private set; }

    public long Pinned { get; private set; }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    public long Inserts { get; private set; }

    public long Failures { get; private set; }

    public long Evictions { get; private set; }

    public int Count => _table.Count;

    public CacheModelEntry? Lookup(ulong key)
    {
        if (!_table.TryGetValue(key, out CacheModelEntry? entry))
        {
            Misses++;
            return null;
        }

        Pinned += entry.Refs++ == 0 ? entry.Charge : 0;
        entry.Count = Math.Min(entry.Count + 1, ClockCacheShard.MaxCount);
        Hits++;
        return entry;
    }

    public CacheModelEntry Insert(ulong key, long charge, bool high)
    {
        Evict(charge);
        if (Usage + charge > _capacity && strict)
        {
            Failures++;
            return Place(new CacheModelEntry(key, 0, high) { Refs = 1 });
        }

        CacheModelEntry entry = Place(new CacheModelEntry(key, charge, high) { Refs = 1, InCache = true });
        Usage += charge;
        Pinned += charge;
        Inserts++;
        if (_table.Remove(key, out CacheModelEntry? old))
        {
            old.InCache = false;
            if (old.Refs == 0)
            {
                Usage -= old.Charge;
                Free(old);
            }
        }

        _table[key] = entry;
        entry.Count = high && highPriorityPoolRatio > 0 ? 3 : 1;
        return entry;
    }

    public void Release(CacheModelEntry entry)
    {
        if (--entry.Refs > 0)
        {
            return;
        }

        Pinned -= entry.Charge;
        if (entry.InCache)
        {
            if (Usage <= _capacity)
            {
                return;
            }

            _table.Remove(entry.Key);
            entry.InCache = false;
            Evictions++;
        }

        Usage -= entry.Charge;
        Free(entry);
    }

    public void SetReserved(long reserved)
    {
        Usage += reserved - _reserved;
        _reserved = reserved;
        Evict(0);
    }

    public void SetCapacity(long capacity)
    {
        _capacity = capacity;
        Evict(0);
    }

    public void AssertSameAs(CacheShard shard)
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

    private static bool Evictable(CacheModelEntry? entry) => entry is { InCache: true, Refs: 0 };

    private void Evict(long charge)
    {
        while (Usage + charge > _capacity && _slots.Any(Evictable))
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

            _table.Remove(entry.Key);
            entry.InCache = false;
            Usage -= entry.Charge;
            Evictions++;
            Free(entry);
        }
    }

    private CacheModelEntry Place(CacheModelEntry entry)
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

    private void Free(CacheModelEntry entry)
    {
        _slots[entry.Slot] = null;
        _free.Push(entry.Slot);
    }
}
