namespace Lsm.Engine;

/// <summary>What a <see cref="WalRecord"/> is.</summary>
public enum WalRecordKind
{
    /// <summary>A logical record holding a write batch, decoded in <see cref="WalRecord.Batch"/>.</summary>
    Batch,

    /// <summary>
    /// A metadata record (compression type, user-defined timestamp sizes, predecessor log), described in
    /// <see cref="WalRecord.Detail"/>.
    /// </summary>
    Metadata,

    /// <summary>Corruption, described by <see cref="WalRecord.Problem"/> and <see cref="WalRecord.Detail"/>; reading went on after it.</summary>
    Corruption,

    /// <summary>The log's last record, cut short by the end of the file: the clean end of a log whose writer stopped mid-write.</summary>
    TornTail,
}

/// <summary>One record of a write-ahead log, or one problem found in it, as <see cref="WalFile.Read"/> lists them.</summary>
/// <param name="Kind">What the record is.</param>
/// <param name="Offset">
/// Byte offset in the file: of the record's first header (a record cut into fragments starts at its first
/// fragment), or of the damaged or cut record.
/// </param>
/// <param name="Length">For a batch or metadata record, its payload size in bytes (headers excluded); for a problem, the bytes skipped because of it.</param>
/// <param name="Batch">The decoded write batch, for <see cref="WalRecordKind.Batch"/>; otherwise null.</param>
/// <param name="Problem">What is wrong, for <see cref="WalRecordKind.Corruption"/> and <see cref="WalRecordKind.TornTail"/>; otherwise null.</param>
/// <param name="Detail">The metadata record's contents, or the problem's description; null for a batch.</param>
public sealed record WalRecord(
    WalRecordKind Kind,
    long Offset,
    long Length,
    WalBatch? Batch,
    WalProblemKind? Problem,
    string? Detail);
