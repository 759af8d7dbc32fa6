using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction;

/// <summary>What a finished <see cref="CompactionJob"/> produced, ready to install.</summary>
/// <param name="Edit">Deletes every input file and adds every output at the output level; install it with <c>LogAndApply</c>.</param>
/// <param name="Outputs">The output files, in key order; synced, as is their directory.</param>
/// <param name="Stats">What was read, written and dropped.</param>
internal sealed record CompactionResult(VersionEdit Edit, IReadOnlyList<FileMetadata> Outputs, CompactionStats Stats);
