using Lsm.Engine.Iterators;
using Lsm.Engine.Table;

namespace Lsm.Engine.Compaction;

/// <summary>
/// The range tombstones of a compaction: all of them, fragmented, for <see cref="CompactionIterator"/> to drop the
/// point entries they delete; and those the outputs must keep, each clipped to the key range of the output file it
/// is written to.
/// </summary>
/// <remarks>
/// <para>
/// A tombstone is kept unless the output is the bottommost level and its sequence is at most the oldest live
/// snapshot (any sequence when there is none): everything it deletes is then older than every snapshot, so lies in
/// stripe 0 of this compaction, where the iterator drops it, and nothing lies below (RocksDB drops these too).
/// Identical tombstones are written once.
/// </para>
/// <para>
/// Output files partition the key space: file k owns the user keys in [lower<sub>k</sub>, upper<sub>k</sub>), where
/// upper<sub>k</sub> = lower<sub>k+1</sub> is the first user key of file k+1 and the outer bounds are open. A tombstone is
/// written, clipped, to every file whose range it meets, so each file's bounds stay inside its own range and the
/// outputs of a level never overlap (the end sentinel <c>(upper, max sequence, range deletion)</c> sorts before every
/// entry of the next file). Immutable after construction; not shared between threads.
/// </para>
/// </remarks>
internal sealed class CompactionRangeTombstones
{
    private readonly KeyComparator _comparator;
    private readonly RangeTombstone[] _kept; // by start ascending, then sequence descending

    public CompactionRangeTombstones(
        KeyComparator comparator, IReadOnlyList<RangeTombstone> inputs, ulong[] snapshots, bool bottommost, CompactionStats stats)
    {
        _comparator = comparator;
        All = FragmentedRangeTombstones.Build(comparator, inputs);
        stats.RangeTombstonesRead += inputs.Count;
        ulong oldestSnapshot = snapshots.Length > 0 ? snapshots[0] : ulong.MaxValue;
        var kept = new List<RangeTombstone>(inputs.Count);
        foreach (RangeTombstone tombstone in inputs)
        {
            if (comparator.Compare(tombstone.Start, tombstone.End) >= 0 || (bottommost && tombstone.Sequence <= oldestSnapshot))
            {
                stats.RangeTombstonesDropped++;
                continue;
            }

            kept.Add(tombstone);
        }

        kept.Sort(Compare);
        int distinct = 0;
        for (int i = 0; i < kept.Count; i++)
        {
            if (distinct > 0 && Compare(kept[i], kept[distinct - 1]) == 0)
            {
                stats.RangeTombstonesDropped++;
                continue;
            }

            kept[distinct++] = kept[i];
        }

        _kept = [.. kept.GetRange(0, distinct)];
    }

    /// <summary>Every input tombstone, fragmented; null when there are none.</summary>
    public FragmentedRangeTombstones? All { get; }

    /// <summary>How many tombstones the outputs keep (before clipping).</summary>
    public int Count => _kept.Length;

    /// <summary>Writes the kept tombstones' parts within [<paramref name="lower"/>, <paramref name="upper"/>) to <paramref name="output"/>.</summary>
    /// <param name="output">The output file.</param>
    /// <param name="lower">The file's first user key; null for the first file (no lower bound).</param>
    /// <param name="upper">The next file's first user key; null for the last file (no upper bound).</param>
    /// <returns>How many tombstone parts were written.</returns>
    public int WriteTo(CompactionOutput output, byte[]? lower, byte[]? upper)
    {
        int written = 0;
        foreach (RangeTombstone tombstone in _kept)
        {
            if (upper is not null && _comparator.Compare(tombstone.Start, upper) >= 0)
            {
                break; // this one and every later one start at or past the file's range
            }

            byte[] start = lower is not null && _comparator.Compare(tombstone.Start, lower) < 0 ? lower : tombstone.Start;
            byte[] end = upper is not null && _comparator.Compare(tombstone.End, upper) > 0 ? upper : tombstone.End;
            if (_comparator.Compare(start, end) < 0)
            {
                output.AddRangeTombstone(start, tombstone.Sequence, end);
                written++;
            }
        }

        return written;
    }

    private int Compare(RangeTombstone a, RangeTombstone b)
    {
        int c = _comparator.Compare(a.Start, b.Start);
        if (c != 0)
        {
            return c;
        }

        c = b.Sequence.CompareTo(a.Sequence);
        return c != 0 ? c : _comparator.Compare(a.End, b.End);
    }
}
