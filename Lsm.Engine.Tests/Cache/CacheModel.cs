using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// A cache shard written the obvious way, for model tests: a dictionary of one table's entries with references,
/// charges, the strict limit, reservations and counters (the rules of <see cref="CacheShard"/>); the policy
/// (<see cref="LruCacheModel"/>, <see cref="ClockCacheModel"/>) picks the victims and compares its state with the
/// real shard's.
/// </summary>
internal abstract class CacheModel(long capacity, bool strict)
{
    private readonly Dictionary<ulong, CacheModelEntry> _table = [];
    private long _reserved;

    public long Usage { get; private set; }

    public long Pinned { get; private set; }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    public long Inserts { get; private set; }

    public long Failures { get; private set; }

    public long Evictions { get; private set; }

    public int Count => _table.Count;

    protected long Capacity { get; private set; } = capacity;

    /// <summary>A hit takes a reference and returns the entry; a miss returns null.</summary>
    public CacheModelEntry? Lookup(ulong key)
    {
        if (!_table.TryGetValue(key, out CacheModelEntry? entry))
        {
            Misses++;
            return null;
        }

        Hit(entry);
        Pinned += entry.Refs++ == 0 ? entry.Charge : 0;
        Hits++;
        return entry;
    }

    /// <summary>Inserts, returning the inserter's reference (to a detached entry when a strict limit refuses it).</summary>
    public CacheModelEntry Insert(ulong key, long charge, bool high)
    {
        Evict(charge);
        if (Usage + charge > Capacity && strict)
        {
            Failures++;
            return Placed(new CacheModelEntry(key, 0, high) { Refs = 1 });
        }

        CacheModelEntry entry = Placed(new CacheModelEntry(key, charge, high) { Refs = 1, InCache = true });
        Usage += charge;
        Pinned += charge;
        Inserts++;
        if (_table.Remove(key, out CacheModelEntry? old))
        {
            old.InCache = false;
            if (old.Refs == 0)
            {
                Unlisted(old);
                Usage -= old.Charge;
                Freed(old);
            }
        }

        _table[key] = entry;
        Inserted(entry);
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
            if (Usage <= Capacity)
            {
                Unreferenced(entry);
                return;
            }

            _table.Remove(entry.Key);
            entry.InCache = false;
            Evictions++;
        }

        Usage -= entry.Charge;
        Freed(entry);
    }

    public void SetReserved(long reserved)
    {
        Usage += reserved - _reserved;
        _reserved = reserved;
        Evict(0);
    }

    public virtual void SetCapacity(long capacity)
    {
        Capacity = capacity;
        Evict(0);
    }

    /// <summary>Asserts that the shard's policy state (LRU order, or hand and counts) is the model's.</summary>
    public abstract void AssertSameAs(CacheShard shard);

    /// <summary>Evicts victims (<see cref="Evict(CacheModelEntry)"/>) until <paramref name="charge"/> more fits or none is left.</summary>
    protected abstract void Evict(long charge);

    /// <summary>A lookup found the entry (its reference not yet taken).</summary>
    protected abstract void Hit(CacheModelEntry entry);

    /// <summary>A new entry, in the table or detached, was made.</summary>
    protected virtual CacheModelEntry Placed(CacheModelEntry entry) => entry;

    /// <summary>A new entry entered the table.</summary>
    protected virtual void Inserted(CacheModelEntry entry)
    {
    }

    /// <summary>The last reference of an entry in the table was released: it is a candidate victim now.</summary>
    protected virtual void Unreferenced(CacheModelEntry entry)
    {
    }

    /// <summary>A candidate victim leaves the table.</summary>
    protected virtual void Unlisted(CacheModelEntry entry)
    {
    }

    /// <summary>An entry is gone for good.</summary>
    protected virtual void Freed(CacheModelEntry entry)
    {
    }

    /// <summary>Evicts an unreferenced entry of the table.</summary>
    protected void Evict(CacheModelEntry victim)
    {
        Unlisted(victim);
        _table.Remove(victim.Key);
        victim.InCache = false;
        Usage -= victim.Charge;
        Evictions++;
        Freed(victim);
    }
}

/// <summary>An entry of a cache model; each model uses the fields of its policy.</summary>
internal sealed class CacheModelEntry(ulong key, long charge, bool high)
{
    public ulong Key { get; } = key;

    public long Charge { get; } = charge;

    public bool High { get; } = high;

    public int Refs { get; set; }

    public bool InCache { get; set; }

    /// <summary>LRU: hit while cached.</summary>
    public bool Hit { get; set; }

    /// <summary>LRU: the entry's node in its list, null while referenced.</summary>
    public LinkedListNode<CacheModelEntry>? Node { get; set; }

    /// <summary>CLOCK: the slot it occupies.</summary>
    public int Slot { get; set; }

    /// <summary>CLOCK: the count.</summary>
    public int Count { get; set; }
}
