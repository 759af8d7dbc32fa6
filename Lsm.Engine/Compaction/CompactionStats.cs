namespace Lsm.Engine.Compaction;

/// <summary>
/// What one compaction read, wrote and dropped, and why: the numbers behind RocksDB's per-compaction statistics
/// (<c>num_input_records</c>, <c>num_record_drop_hidden</c>, ...) and the per-level write amplification.
/// </summary>
/// <remarks>
/// <para>
/// Point entries balance: <c>RecordsRead = RecordsWritten + DroppedHidden + DroppedRangeDeleted +
/// DroppedObsoleteDeletions + MergedAway</c>. The filter counters say what the compaction filter decided; a value it
/// removes becomes a deletion, counted again wherever that deletion ends up (written, or dropped as obsolete).
/// Range tombstones are counted apart: one written per output file each lands in, clipped to the file's range.
/// </para>
/// <para>Filled by one compaction on one thread; read it once the compaction returns.</para>
/// </remarks>
internal sealed class CompactionStats
{
    /// <summary>Input files read.</summary>
    public int InputFiles { get; set; }

    /// <summary>Bytes of the input files.</summary>
    public long BytesRead { get; set; }

    /// <summary>Point entries (values, deletions, merge operands) read from the inputs.</summary>
    public long RecordsRead { get; set; }

    /// <summary>Output files written.</summary>
    public int OutputFiles { get; set; }

    /// <summary>Bytes of the output files.</summary>
    public long BytesWritten { get; set; }

    /// <summary>Point entries written to the outputs.</summary>
    public long RecordsWritten { get; set; }

    /// <summary>Entries hidden from every reader by a newer value or deletion of their key in the same snapshot stripe (RocksDB num_record_drop_hidden).</summary>
    public long DroppedHidden { get; set; }

    /// <summary>Entries deleted by a range tombstone in their own snapshot stripe (RocksDB num_record_drop_range_del).</summary>
    public long DroppedRangeDeleted { get; set; }

    /// <summary>Deletions dropped at the bottommost level because no older version of their key is left to hide (RocksDB num_record_drop_obsolete).</summary>
    public long DroppedObsoleteDeletions { get; set; }

    /// <summary>Entries absorbed by merging: the operands and base folded into one value, less the one value written.</summary>
    public long MergedAway { get; set; }

    /// <summary>Values the compaction filter was shown.</summary>
    public long FilterCalls { get; set; }

    /// <summary>Values the compaction filter removed (turned into deletions).</summary>
    public long FilterRemoved { get; set; }

    /// <summary>Values the compaction filter replaced.</summary>
    public long FilterChanged { get; set; }

    /// <summary>Range tombstones read from the inputs.</summary>
    public long RangeTombstonesRead { get; set; }

    /// <summary>Range tombstones written, counting a tombstone once per output file it is clipped into.</summary>
    public long RangeTombstonesWritten { get; set; }

    /// <summary>Range tombstones dropped at the bottommost level because no snapshot can see anything they delete.</summary>
    public long RangeTombstonesDropped { get; set; }

    /// <summary>Wall-clock time the compaction took.</summary>
    public TimeSpan Elapsed { get; set; }

    /// <summary>A one-line summary for logs.</summary>
    public override string ToString() =>
        string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{InputFiles} files ({BytesRead} bytes, {RecordsRead} records) -> {OutputFiles} files ({BytesWritten} bytes, {RecordsWritten} records); "
            + $"dropped hidden={DroppedHidden} range-deleted={DroppedRangeDeleted} obsolete-deletions={DroppedObsoleteDeletions} merged={MergedAway}; "
            + $"filter calls={FilterCalls} removed={FilterRemoved} changed={FilterChanged}; "
            + $"range tombstones read={RangeTombstonesRead} written={RangeTombstonesWritten} dropped={RangeTombstonesDropped}; {Elapsed.TotalMilliseconds:F1} ms");
}
