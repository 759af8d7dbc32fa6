namespace Lsm.Engine.Wal;

/// <summary>A torn tail or a corruption found by <see cref="LogReader"/>.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Offset">File offset of the damaged or cut record's first header (or of the bad padding).</param>
/// <param name="DroppedBytes">Bytes the reader skipped because of it: the damaged record, the rest of its block, and any fragments of a record it cuts.</param>
/// <param name="Reason">What failed, without the file and offset.</param>
internal readonly record struct LogProblem(WalProblemKind Kind, long Offset, long DroppedBytes, string Reason)
{
    /// <summary>True for everything but <see cref="WalProblemKind.TornTail"/>.</summary>
    public bool IsCorruption => Kind != WalProblemKind.TornTail;

    /// <summary>The exception recovery throws for this problem in <paramref name="file"/>.</summary>
    public CorruptionException ToException(string file) => new(Reason, file, Offset);

    /// <inheritdoc />
    public override string ToString() => $"{Kind} at offset {Offset}: {Reason} ({DroppedBytes} bytes dropped)";
}
