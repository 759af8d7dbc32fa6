using Lsm.Engine.Memtable;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Db;

/// <summary>
/// What a read of one column family sees, taken together (RocksDB's <c>SuperVersion</c>): the active memtable, the
/// immutable ones newest first, and the current version, each referenced for as long as the super version is, so
/// that a concurrent flush or compaction cannot free them under a point lookup or an iterator. Lets a read start
/// without the database mutex.
/// </summary>
/// <remarks>
/// <para>
/// The family holds one reference to its current super version and installs a new one (under the mutex) whenever
/// the memtables or the version change, dropping its reference to the old one, which is released when the last
/// lookup using it is done. A lookup takes a reference with <see cref="TryRef"/>, which refuses a super version whose
/// count has already reached zero (its memtables and version released): the lookup then takes the mutex.
/// </para>
/// <para>
/// Why a lookup that takes one without the mutex still sees every write finished before it: a write goes into the
/// memtable current when it runs, and a memtable switch installs a new super version (a full fence) before any
/// write reaches the new memtable. So a super version a lookup can still reference holds the memtable of every
/// earlier write, or the immutable memtable or table that memtable became.
/// </para>
/// </remarks>
internal sealed class SuperVersion
{
    private int _refs = 1; // the family's, until it drops this one

    /// <summary>References the family's memtables and version as they are now. REQUIRES: the database mutex.</summary>
    public SuperVersion(ColumnFamilyData cf)
    {
        ColumnFamily = cf;
        Mem = cf.Mem;
        Mem.Ref();
        MemTable[] imm = cf.Imm.Count == 0 ? [] : new MemTable[cf.Imm.Count];
        for (int i = 0; i < imm.Length; i++)
        {
            imm[i] = cf.Imm[cf.Imm.Count - 1 - i].Mem; // newest first
            imm[i].Ref();
        }

        Imm = imm;
        Version = cf.State.Current;
        Version.Ref();
    }

    public ColumnFamilyData ColumnFamily { get; }

    public MemTable Mem { get; }

    /// <summary>Immutable memtables, newest first.</summary>
    public MemTable[] Imm { get; }

    public Version Version { get; }

    /// <summary>Takes a reference unless the last one is gone already (then the caller must build a new one).</summary>
    public bool TryRef()
    {
        int refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
            {
                return true;
            }

            refs = seen;
        }

        return false;
    }

    /// <summary>Releases a reference; the last one releases the memtables and the version.</summary>
    public void Unref()
    {
        int refs = Interlocked.Decrement(ref _refs);
        if (refs > 0)
        {
            return;
        }

        if (refs < 0)
        {
            throw new InvalidOperationException("A super version was released more often than referenced.");
        }

        Mem.Unref();
        foreach (MemTable m in Imm)
        {
            m.Unref();
        }

        Version.Unref();
    }
}
