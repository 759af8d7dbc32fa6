using Lsm.Engine.Cache;

namespace Lsm.Engine.Tests.Cache;

/// <summary>
/// RocksDB's LRU policy written the obvious way, for model tests: two linked lists (low-priority part and
/// high-priority pool, oldest first) of the unreferenced entries.
/// </summary>
internal sealed class LruCacheModel(long capacity, bool strict, double highPriorityPoolRatio) : CacheModel(capacity, strict)
{
    private readonly LinkedList<CacheModelEntry> _low = new();
    private readonly LinkedList<CacheModelEntry> _high = new();
    private long _highUsage;

    private long HighCapacity => (long)(Capacity * highPriorityPoolRatio);

    /// <summary>The LRU list, oldest first, as the shard's <c>LruSnapshot</c> gives it.</summary>
    public List<(ulong Key, bool InHighPool)> Lru() =>
        [.. _low.Select(e => (e.Key, false)).Concat(_high.Select(e => (e.Key, true)))];

    public override void AssertSameAs(CacheShard shard) =>
        Assert.Equal(Lru(), [.. ((LruCacheShard)shard).LruSnapshot().Select(e => (e.Offset, e.InHighPool))]);

    public override void SetCapacity(long capacity)
    {
        base.SetCapacity(capacity);
        Demote();
    }

    protected override void Hit(CacheModelEntry entry)
    {
        if (entry.Refs == 0)
        {
            Unlisted(entry);
        }

        entry.Hit = true;
    }

    protected override void Evict(long charge)
    {
        while (Usage + charge > Capacity && (_low.Count > 0 || _high.Count > 0))
        {
            Evict((_low.First ?? _high.First)!.Value);
        }
    }

    protected override void Unreferenced(CacheModelEntry entry)
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

    protected override void Unlisted(CacheModelEntry entry)
    {
        if (entry.Node!.List == _high)
        {
            _highUsage -= entry.Charge;
        }

        entry.Node.List!.Remove(entry.Node);
        entry.Node = null;
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
}
