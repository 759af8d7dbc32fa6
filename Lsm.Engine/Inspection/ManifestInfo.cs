namespace Lsm.Engine;

/// <summary>What <see cref="ManifestFile.Read(string)"/> found in a MANIFEST: its edits in order and the state they add up to.</summary>
/// <param name="Path">The MANIFEST file.</param>
/// <param name="Edits">Every record decoded, in file order, with its offset and text.</param>
/// <param name="ColumnFamilies">The live column families after the edits, by id, with their files per level.</param>
/// <param name="DbId">The database id recorded, or null.</param>
/// <param name="NextFileNumber">The last next-file-number recorded, or null.</param>
/// <param name="LastSequence">The largest last sequence recorded, or null.</param>
/// <param name="LogNumber">The last log number recorded for any column family, or null.</param>
/// <param name="PrevLogNumber">The previous log number recorded (0 when none).</param>
/// <param name="MinLogNumberToKeep">The largest min-log-number-to-keep recorded (0 when none).</param>
/// <param name="MaxColumnFamily">The largest column family id used.</param>
/// <param name="Problem">
/// Why reading stopped early, or null: a damaged record, an edit that does not decode or does not apply,
/// or a torn last record. The state is the one before that point.
/// </param>
/// <param name="ProblemOffset">The offset of the record <paramref name="Problem"/> is about; -1 when none or unknown.</param>
public sealed record ManifestInfo(
    string Path,
    IReadOnlyList<ManifestEdit> Edits,
    IReadOnlyList<ManifestColumnFamily> ColumnFamilies,
    string? DbId,
    ulong? NextFileNumber,
    ulong? LastSequence,
    ulong? LogNumber,
    ulong PrevLogNumber,
    ulong MinLogNumberToKeep,
    uint MaxColumnFamily,
    string? Problem,
    long ProblemOffset);

/// <summary>One record of a MANIFEST.</summary>
/// <param name="Offset">The byte offset of the record's first header in the file.</param>
/// <param name="Text">
/// The edit, one <c>name: value</c> line per field (e.g. <c>log-number: 8</c>,
/// <c>add-file: L0 000009:[a#1,SET-c#3,SET] size=1362 epoch=1</c>); <c>(empty)</c> for an empty edit.
/// </param>
public sealed record ManifestEdit(long Offset, string Text);

/// <summary>A column family as the MANIFEST leaves it.</summary>
/// <param name="Id">The column family id (0 is <c>default</c>).</param>
/// <param name="Name">The column family name.</param>
/// <param name="Comparator">The comparator name recorded, or null when none was.</param>
/// <param name="LogNumber">Write-ahead logs below this number hold nothing it needs.</param>
/// <param name="Levels">Its files, level by level (index = level), each level in read order (L0 newest first).</param>
public sealed record ManifestColumnFamily(
    uint Id,
    string Name,
    string? Comparator,
    ulong LogNumber,
    IReadOnlyList<IReadOnlyList<ManifestTableFile>> Levels);

/// <summary>A table file of a column family's version.</summary>
/// <param name="Level">The level.</param>
/// <param name="FileNumber">The file number (the file is <c>{FileNumber:D6}.sst</c>).</param>
/// <param name="FileSize">Its size in bytes.</param>
/// <param name="Smallest">Its smallest key, as <c>user#seq,KIND</c> (<see cref="KeyText"/>).</param>
/// <param name="Largest">Its largest key, as <c>user#seq,KIND</c>.</param>
/// <param name="SmallestSequence">The smallest sequence number in it.</param>
/// <param name="LargestSequence">The largest sequence number in it.</param>
/// <param name="EpochNumber">Its flush or ingestion order (0 when unknown).</param>
/// <param name="SmallestKey">Its smallest internal key's bytes (user key and 8-byte trailer).</param>
/// <param name="LargestKey">Its largest internal key's bytes.</param>
public sealed record ManifestTableFile(
    int Level,
    ulong FileNumber,
    ulong FileSize,
    string Smallest,
    string Largest,
    ulong SmallestSequence,
    ulong LargestSequence,
    ulong EpochNumber,
    ReadOnlyMemory<byte> SmallestKey,
    ReadOnlyMemory<byte> LargestKey);
