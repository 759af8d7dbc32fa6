using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// RocksDB's LRU cache shard written the obvious way, for model tests: a dictionary of entries and two linked lists
/// (low-priority part and high-priority pool, oldest first), with reference counts and charges.
/// </summary>
internal sealed class LruCacheModel(long capacity, bool strict, double highPriorityPoolRatio) : ICacheModel
{
    private readonly Dictionary<ulong, CacheModelEntry> _table = [];
    private readonly LinkedList<CacheModelEntry> _low = new();
    private readonly LinkedList<CacheModelEntry> _high = new();
    private long _capacity = capacity;
    private long _highUsage;

    public long Usage { get; private set; }

    public long Pinned { get; private set; }

    public long Reserved { get; private set; }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    public long Inserts { get; private set; }

    public long Failures { get; private set; }

    public long Evictions { get; private set; }

    public int Count => _table.Count;

    private long HighCapacity => (long)(_capacity * highPriorityPoolRatio);

    /// <summary>The LRU list, oldest first, as the shard's <c>LruSnapshot</c> gives it.</summary>
    public List<(ulong Key, bool InHighPool)> Lru() =>
        [.. _low.Select(e => (e.Key, false)).Concat(_high.Select(e => (e.Key, true)))];

    public void AssertSameAs(CacheShard shard) =>
        Assert.Equal(Lru(), [.. ((LruCacheShard)shard).LruSnapshot().Select(e => (e.Offset, e.InHighPool))]);

    public CacheModelEntry? Lookup(ulong key)
    {
        if (!_table.TryGetValue(key, out CacheModelEntry? entry))
        {
            Misses++;
            return null;
        }

        if (entry.Refs == 0)
        {
            Unlist(entry);
            Pinned += entry.Charge;
        }

        entry.Refs++;
        entry.Hit = true;
        Hits++;
        return entry;
    }

    public CacheModelEntry Insert(ulong key, long charge, bool high)
    {
        Evict(charge);
        if (Usage + charge > _capacity && strict)
        {
            Failures++;
            return new CacheModelEntry(key, 0, high) { Refs = 1 };
        }

        var entry = new CacheModelEntry(key, charge, high) { Refs = 1, InCache = true };
        Usage += charge;
        Pinned += charge;
        Inserts++;
        if (_table.Remove(key, out CacheModelEntry? old))
        {
            old.InCache = false;
            if (old.Refs == 0)
            {
                Unlist(old);
                Usage -= old.Charge;
            }
        }

        _table[key] = entry;
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
                List(entry);
                return;
            }

            _table.Remove(entry.Key);
            entry.InCache = false;
            Evictions++;
        }

        Usage -= entry.Charge;
    }

    public void SetReserved(long reserved)
    {
        Usage += reserved - Reserved;
        Reserved = reserved;
        Evict(0);
    }

    public void SetCapacity(long capacity)
    {
        _capacity = capacity;
        Evict(0);
        Demote();
    }

    private void Evict(long charge)
    {
        while (Usage + charge > _capacity && (_low.Count > 0 || _high.Count > 0))
        {
            CacheModelEntry victim = (_low.First ?? _high.First)!.Value;
            Unlist(victim);
            _table.Remove(victim.Key);
            victim.InCache = false;
            Usage -= victim.Charge;
            Evictions++;
        }
    }

    private void List(CacheModelEntry entry)
    {
        if (highPriorityPoolRatio > 0 && (entry.High || entry.Hit))
        {
            entry.Node = _high.AddLast(entry);
            _highUsage += entry.Charge;
            Demote();
        }
        else
        {
            entry.Node = _low.AddLast(entry);
        }
    }

    private void Demote()
    {
        while (_highUsage > HighCapacity)
        {
            CacheModelEntry oldest = _high.First!.Value;
            _high.RemoveFirst();
            _highUsage -= oldest.Charge;
            oldest.Node = _low.AddLast(oldest);
        }
    }

    private void Unlist(CacheModelEntry entry)
    {
        if (entry.Node!.List == _high)
        {
            _highUsage -= entry.Charge;
        }

        entry.Node.List!.Remove(entry.Node);
        entry.Node = null;
    }
}
