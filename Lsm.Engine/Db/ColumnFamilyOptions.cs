namespace Lsm.Engine;

/// <summary>Options of one column family: memtable sizing, merge operator and table format.</summary>
public sealed record ColumnFamilyOptions
{
    /// <summary>Default for <see cref="WriteBufferSize"/>: 64 MiB.</summary>
    public const long DefaultWriteBufferSize = 64L * 1024 * 1024;

    /// <summary>Default for <see cref="MaxWriteBufferNumber"/>: 2.</summary>
    public const int DefaultMaxWriteBufferNumber = 2;

    /// <summary>
    /// Bytes of memtable before it is made immutable and flushed. Larger buffers mean fewer, larger level-0
    /// tables and longer recovery. Default: 64 MiB.
    /// </summary>
    public long WriteBufferSize { get; init; } = DefaultWriteBufferSize;

    /// <summary>
    /// Memtables (the active one plus immutable ones awaiting flush) allowed before writes wait for a flush.
    /// Default: 2.
    /// </summary>
    public int MaxWriteBufferNumber { get; init; } = DefaultMaxWriteBufferNumber;

    /// <summary>Folds merge operands; required to read keys written with Merge. Default: none.</summary>
    public MergeOperator? MergeOperator { get; init; }

    /// <summary>
    /// Decides during compaction whether values are kept, removed or replaced (time-to-live, application-defined
    /// garbage collection); shared by every compaction of the family, so it must be thread-safe. See
    /// <see cref="Lsm.Engine.CompactionFilter"/> for which values it is shown. Default: null (every value is kept).
    /// </summary>
    public CompactionFilter? CompactionFilter { get; init; }

    /// <summary>How tables are written (block size, Bloom bits, compression, checksum, comparator). Default: defaults.</summary>
    public TableOptions Table { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range options.</summary>
    public void Validate()
    {
        if (WriteBufferSize < 4096 || WriteBufferSize > (1L << 40))
        {
            throw new ArgumentException("WriteBufferSize must be between 4 KiB and 1 TiB.", nameof(WriteBufferSize));
        }

        if (MaxWriteBufferNumber is < 2 or > 64)
        {
            throw new ArgumentException("MaxWriteBufferNumber must be between 2 and 64.", nameof(MaxWriteBufferNumber));
        }

        Table.Validate();
    }
}
