using Lsm.Engine.Memtable;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Db;

/// <summary>
/// What one read sees of a column family: the active memtable, the immutable ones (newest first) and the
/// current version, each referenced so that a concurrent flush or compaction cannot free them under the read.
/// </summary>
/// <remarks>
/// Taken under the database mutex; used and disposed outside it. A struct, so a point lookup allocates nothing
/// for it (the immutable memtable array only while some exist). REQUIRES: disposed exactly once, by its one
/// owner (copies share the references).
/// </remarks>
internal readonly struct ReadView : IDisposable
{
    public ReadView(ColumnFamilyData cf)
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

    public void Dispose()
    {
        Mem.Unref();
        foreach (MemTable m in Imm)
        {
            m.Unref();
        }

        Version.Unref();
    }
}
