namespace Lsm.Engine;

/// <summary>
/// One row of a column family's compaction-stats table (RocksDB's <c>** Compaction Stats **</c>): the files of a
/// level now, and what flushes and compactions writing into it have done since the database opened.
/// </summary>
/// <remarks>
/// As in RocksDB, compaction figures are booked to the compaction's output level: <see cref="BytesReadFromInputLevels"/>
/// (Rn) came from the levels above it, <see cref="BytesReadFromOutputLevel"/> (Rnp1) from the level itself. Flushes
/// are booked to level 0. Counters start at zero at every open.
/// </remarks>
public sealed record LevelCompactionStatistics
{
    /// <summary>The level; -1 in the sum row.</summary>
    public required int Level { get; init; }

    /// <summary>Files in the level now.</summary>
    public required int Files { get; init; }

    /// <summary>Files of the level that a running compaction is reading.</summary>
    public required int FilesBeingCompacted { get; init; }

    /// <summary>Bytes of the level's files.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>The compaction style's score for the level (1 or more: due); 0 in the sum row.</summary>
    public required double Score { get; init; }

    /// <summary>Bytes compactions into this level read from the levels above (RocksDB's Rn).</summary>
    public required long BytesReadFromInputLevels { get; init; }

    /// <summary>Bytes compactions into this level read from the level itself (RocksDB's Rnp1).</summary>
    public required long BytesReadFromOutputLevel { get; init; }

    /// <summary>Bytes written into the level: compaction outputs, and for level 0 flushes too.</summary>
    public required long BytesWritten { get; init; }

    /// <summary>Bytes trivial moves brought into the level without rewriting them.</summary>
    public required long BytesMoved { get; init; }

    /// <summary>
    /// <see cref="BytesWritten"/> over the bytes that came in from above (RocksDB's W-Amp): for level 0 over the bytes
    /// flushed, for the sum row over the bytes flushed too; 0 when nothing came in.
    /// </summary>
    public required double WriteAmplification { get; init; }

    /// <summary>Time spent in compactions into the level (flushes not included).</summary>
    public required TimeSpan CompactionTime { get; init; }

    /// <summary>Compactions into the level that rewrote files; for level 0 flushes included.</summary>
    public required int Compactions { get; init; }

    /// <summary>Entries compactions into the level read.</summary>
    public required long RecordsIn { get; init; }

    /// <summary>Entries compactions into the level dropped (obsolete versions, deletions, filtered keys).</summary>
    public required long RecordsDropped { get; init; }

    /// <summary>All bytes compactions into the level read (RocksDB's Read).</summary>
    public long BytesRead => BytesReadFromInputLevels + BytesReadFromOutputLevel;

    /// <summary>Bytes written beyond what was read from the level itself (RocksDB's Wnew).</summary>
    public long NewBytesWritten => BytesWritten - BytesReadFromOutputLevel;
}

/// <summary>A column family's compaction statistics: one row per level, the sum, flushes and its live data.</summary>
public sealed record CompactionStatistics
{
    /// <summary>The column family's name.</summary>
    public required string ColumnFamily { get; init; }

    /// <summary>One row per level, level 0 first (every level, empty ones included).</summary>
    public required IReadOnlyList<LevelCompactionStatistics> Levels { get; init; }

    /// <summary>The sum over the levels (<see cref="LevelCompactionStatistics.Level"/> -1).</summary>
    public required LevelCompactionStatistics Sum { get; init; }

    /// <summary>Bytes of tables flushes wrote.</summary>
    public required long BytesFlushed { get; init; }

    /// <summary>Flushes since the database opened.</summary>
    public required int Flushes { get; init; }

    /// <summary>
    /// The estimated bytes of live data (RocksDB's <c>rocksdb.estimate-live-data-size</c>): from the last level up, the
    /// sizes of files whose key ranges overlap no file already counted. Tends to underestimate a tree that is not
    /// compacted much.
    /// </summary>
    public required long LiveDataBytes { get; init; }

    /// <summary>Bytes of the family's tables over <see cref="LiveDataBytes"/>; 0 for an empty family.</summary>
    public double SpaceAmplification => LiveDataBytes == 0 ? 0 : (double)Sum.SizeBytes / LiveDataBytes;
}
