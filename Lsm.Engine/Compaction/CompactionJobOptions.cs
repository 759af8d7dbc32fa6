using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction;

/// <summary>
/// Everything one <see cref="CompactionJob"/> needs: what to read, where and how to write, and the state of the
/// database it must respect (live snapshots, whether the output is the bottommost level).
/// </summary>
/// <remarks>Captured by the caller under the database mutex when the compaction is picked; immutable afterwards.</remarks>
internal sealed record CompactionJobOptions
{
    /// <summary>The input files, by level. Together they must hold every version of every key they contain above the output level.</summary>
    public required IReadOnlyList<CompactionInputLevel> Inputs { get; init; }

    /// <summary>The level the outputs go to.</summary>
    public required int OutputLevel { get; init; }

    /// <summary>
    /// Whether no older version of any key can exist below the output (its level is the last holding data in the key
    /// range): deletions and range tombstones nothing needs can then go, and sequences can be zeroed.
    /// </summary>
    public required bool Bottommost { get; init; }

    /// <summary>An output is closed once it reaches this many bytes, at the next change of user key.</summary>
    public required long TargetFileSize { get; init; }

    /// <summary>How outputs are written; its comparator orders the keys.</summary>
    public required TableOptions TableOptions { get; init; }

    /// <summary>Opens an input table (a table cache). The job does not dispose the readers.</summary>
    public required Func<FileMetadata, TableReader> OpenTable { get; init; }

    /// <summary>
    /// Allocates an output's file number. The caller must keep files so numbered from obsolete-file deletion until
    /// the result is installed or the job fails (RocksDB's pending outputs).
    /// </summary>
    public required Func<ulong> NewFileNumber { get; init; }

    /// <summary>The file system the database lives on.</summary>
    public required IFileSystem FileSystem { get; init; }

    /// <summary>The database directory, where outputs are created.</summary>
    public required string DbPath { get; init; }

    /// <summary>The database identity, recorded in each output's properties and unique id.</summary>
    public required string DbId { get; init; }

    /// <summary>The writing session's identity, recorded likewise.</summary>
    public required string SessionId { get; init; }

    /// <summary>The column family's id, for the outputs' properties.</summary>
    public uint ColumnFamilyId { get; init; }

    /// <summary>The column family's name, for the outputs' properties.</summary>
    public string ColumnFamilyName { get; init; } = "default";

    /// <summary>Folds merge operands; required when the inputs hold any that the compaction folds.</summary>
    public MergeOperator? MergeOperator { get; init; }

    /// <summary>The column family's compaction filter, or null.</summary>
    public CompactionFilter? CompactionFilter { get; init; }

    /// <summary>The sequence numbers of the live snapshots, ascending.</summary>
    public ulong[] Snapshots { get; init; } = [];
}
