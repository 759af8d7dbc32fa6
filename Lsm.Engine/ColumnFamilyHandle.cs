namespace Lsm.Engine;

/// <summary>
/// Names one column family of an open database: a keyspace with its own memtable, tables and options,
/// sharing the database's write-ahead log.
/// </summary>
/// <remarks>
/// Handles come from the database (the default family always exists, with id 0 and name <c>default</c>).
/// A handle of a dropped family, or of another database, is refused by every operation.
/// </remarks>
public sealed class ColumnFamilyHandle
{
    /// <summary>The name of the column family every database has.</summary>
    public const string DefaultName = "default";

    internal ColumnFamilyHandle(uint id, string name)
    {
        Id = id;
        Name = name;
    }

    /// <summary>The family's id, as stored in write batches and the MANIFEST.</summary>
    public uint Id { get; }

    /// <summary>The family's name.</summary>
    public string Name { get; }

    /// <summary>True once the family has been dropped; the handle can then no longer be used.</summary>
    public bool IsDropped { get; internal set; }

    /// <summary>The database the handle belongs to.</summary>
    internal object? Owner { get; init; }

    /// <summary>The family's in-memory side, for lookups that resolve the handle without the database mutex.</summary>
    internal Db.ColumnFamilyData? Data { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Id})";
}
