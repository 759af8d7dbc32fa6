using System.Runtime.InteropServices;

namespace Lsm.Engine.Cache;

/// <summary>
/// One slot of a <see cref="CacheShard"/>'s entry array: a cached block, its key, its charge, its references, its
/// link in the shard's hash chains and its policy's state (the LRU list's links, or the CLOCK count), links as array
/// indices (index 0 is never an entry: it is the "none" of every link and the LRU list's sentinel), so the cache holds
/// no managed object per block.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CacheEntry
{
    /// <summary>The table the block belongs to (<see cref="BlockCache.NewTableId"/>).</summary>
    public ulong TableId;

    /// <summary>The block's offset in its table file.</summary>
    public ulong Offset;

    /// <summary>The block's first byte, in native memory.</summary>
    public nint Pointer;

    /// <summary>The block's length.</summary>
    public int Length;

    /// <summary>The bytes taken from the allocator (<see cref="NativeBlock.AllocatedLength"/>).</summary>
    public int AllocatedLength;

    /// <summary>What the entry counts in its shard's usage: <see cref="AllocatedLength"/> + <see cref="BlockCache.PerEntryOverhead"/>; 0 for a block the cache refused.</summary>
    public long Charge;

    /// <summary>References handed out and not yet released. An entry with references is not in the LRU list and is skipped by the CLOCK hand.</summary>
    public int Refs;

    /// <summary>Incremented each time the slot is freed, so a handle to an earlier occupant is recognised as stale.</summary>
    public uint Generation;

    /// <summary>The older neighbour in the LRU list (or the sentinel, 0); unused by CLOCK and in a free slot.</summary>
    public int Prev;

    /// <summary>The newer neighbour in the LRU list (or the sentinel, 0); unused by CLOCK.</summary>
    public int Next;

    /// <summary>The next entry of the same hash bucket (0: none); for a free slot, the next free slot.</summary>
    public int HashNext;

    /// <summary>The low 32 bits of the key's hash: the bucket, and a quick inequality test.</summary>
    public uint Hash;

    /// <summary>State bits.</summary>
    public CacheEntryFlags Flags;

    /// <summary>CLOCK's usage count (0 to <see cref="ClockCacheShard.MaxCount"/>): the passes of the hand the entry survives; unused by LRU.</summary>
    public byte Clock;

    /// <summary>Whether the flag is set.</summary>
    public readonly bool Has(CacheEntryFlags flag) => (Flags & flag) != 0;
}

/// <summary>State bits of a <see cref="CacheEntry"/>.</summary>
[Flags]
internal enum CacheEntryFlags : byte
{
    /// <summary>Nothing: a free slot.</summary>
    None = 0,

    /// <summary>The slot holds a block (in the table or referenced after leaving it).</summary>
    InUse = 1,

    /// <summary>The entry is in the hash table (RocksDB's <c>InCache</c>).</summary>
    InCache = 2,

    /// <summary>Inserted with <see cref="CachePriority.High"/>.</summary>
    HighPriority = 4,

    /// <summary>Looked up at least once since it was inserted: on its return to the LRU list it joins the high-priority pool.</summary>
    HasHit = 8,

    /// <summary>In the LRU list's high-priority part.</summary>
    InHighPool = 16,
}
