using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction.Pickers;

/// <summary>
/// The input files a compaction takes from one level: for L1 and up, a contiguous run of the level's files in
/// key order; for L0, files in the version's newest-first order.
/// </summary>
/// <param name="Level">The level the files are on.</param>
/// <param name="Files">The files, never empty.</param>
internal sealed record CompactionInputLevel(int Level, IReadOnlyList<FileMetadata> Files)
{
    /// <summary>The sum of the files' sizes in bytes.</summary>
    public ulong TotalSize => FileRanges.TotalSize(Files);
}
