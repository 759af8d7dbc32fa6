using System.Diagnostics;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>
/// What the version set knows of one column family: id, name, comparator, log number, and its current
/// <see cref="Version"/> (RocksDB's <c>ColumnFamilyData</c>, version part).
/// </summary>
/// <remarks>
/// Changed only by <see cref="VersionSet"/> under its locks. Read <see cref="Current"/> through
/// <see cref="VersionSet.AcquireCurrent"/> when the version must outlive the call.
/// </remarks>
[DebuggerDisplay("cf {Id} {Name}, log {LogNumber}")]
internal sealed class ColumnFamilyState
{
    private ulong _nextEpochNumber = 1;
    private Version _current;

    internal ColumnFamilyState(uint id, string name, KeyComparator comparator, Version current)
    {
        Id = id;
        Name = name;
        Comparator = comparator;
        InternalComparator = current.Comparator;
        _current = current;
    }

    /// <summary>The name of the column family every database has, id 0.</summary>
    public const string DefaultName = "default";

    /// <summary>The column family's id (0 for <see cref="DefaultName"/>); ids are never reused.</summary>
    public uint Id { get; }

    /// <summary>The column family's name.</summary>
    public string Name { get; }

    /// <summary>The user comparator.</summary>
    public KeyComparator Comparator { get; }

    /// <summary>The internal key order built on <see cref="Comparator"/>.</summary>
    public InternalKeyComparator InternalComparator { get; }

    /// <summary>Write-ahead logs numbered below this hold nothing this column family needs.</summary>
    public ulong LogNumber { get; internal set; }

    /// <summary>The full-history timestamp low bound; null when not set.</summary>
    public byte[]? FullHistoryTsLow { get; internal set; }

    /// <summary>True once the column family is dropped: it takes no more edits.</summary>
    public bool IsDropped { get; internal set; }

    /// <summary>The current version (the version set holds a reference to it).</summary>
    public Version Current
    {
        get => _current;
        internal set
        {
            _current = value;
            CurrentChanged?.Invoke();
        }
    }

    /// <summary>Called after <see cref="Current"/> changes (the database drops the family's super version).</summary>
    internal Action? CurrentChanged { get; set; }

    /// <summary>The epoch number the next flushed or ingested file gets (see <see cref="NewEpochNumber"/>).</summary>
    public ulong NextEpochNumber => Interlocked.Read(ref _nextEpochNumber);

    /// <summary>Allocates an epoch number for a new L0 file (flush or ingestion); numbers start at 1.</summary>
    public ulong NewEpochNumber() => Interlocked.Increment(ref _nextEpochNumber) - 1;

    internal void SetNextEpochNumber(ulong next)
    {
        ulong current;
        do
        {
            current = Interlocked.Read(ref _nextEpochNumber);
        }
        while (next > current && Interlocked.CompareExchange(ref _nextEpochNumber, next, current) != current);
    }
}
