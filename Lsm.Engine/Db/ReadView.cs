using Lsm.Engine.Memtable;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Db;

/// <summary>
/// What one read sees of a column family: the active memtable, the immutable ones (newest first) and the
/// current version, held through a reference to the family's <see cref="SuperVersion"/> so that a concurrent flush
/// or compaction cannot free them under the read.
/// </summary>
/// <remarks>
/// Taken, used and disposed without the database mutex. A struct, so taking one allocates nothing. REQUIRES: disposed exactly once, by its one owner
/// (copies share the reference).
/// </remarks>
internal readonly struct ReadView : IDisposable
{
    private readonly SuperVersion _superVersion;

    /// <summary>Takes over a reference to <paramref name="superVersion"/>, which <see cref="Dispose"/> releases.</summary>
    public ReadView(SuperVersion superVersion)
    {
        _superVersion = superVersion;
    }

    public ColumnFamilyData ColumnFamily => _superVersion.ColumnFamily;

    public MemTable Mem => _superVersion.Mem;

    /// <summary>Immutable memtables, newest first.</summary>
    public MemTable[] Imm => _superVersion.Imm;

    public Version Version => _superVersion.Version;

    public void Dispose() => _superVersion.Unref();
}
