using Lsm.Engine.Table;

namespace Lsm.Engine.Iterators;

/// <summary>
/// Range tombstones cut into non-overlapping fragments, answering "which is the newest tombstone visible at a
/// snapshot that covers this user key" with one binary search (RocksDB's FragmentedRangeTombstoneList).
/// </summary>
/// <remarks>
/// <para>Tombstones may overlap each other arbitrarily. Their start and end keys, sorted and deduplicated, cut
/// the key space into elementary intervals [b<sub>i</sub>, b<sub>i+1</sub>); each interval that some tombstone
/// covers becomes a fragment carrying the sequence numbers of every tombstone covering it, newest first.
/// A key in a fragment is deleted at snapshot S for every entry older than the newest of those sequences
/// that is at most S.</para>
/// <para>Building costs O(n log n) for the sort plus the total number of (tombstone, interval) pairs, which is
/// O(n²) only when every tombstone overlaps every other. Immutable after construction; thread-safe.</para>
/// </remarks>
internal sealed class FragmentedRangeTombstones
{
    private readonly KeyComparator _comparator;
    private readonly byte[][] _starts;
    private readonly byte[][] _ends;
    private readonly ulong[][] _sequences; // per fragment, descending

    private FragmentedRangeTombstones(KeyComparator comparator, byte[][] starts, byte[][] ends, ulong[][] sequences)
    {
        _comparator = comparator;
        _starts = starts;
        _ends = ends;
        _sequences = sequences;
    }

    /// <summary>Number of fragments.</summary>
    public int Count => _starts.Length;

    /// <summary>Fragments <paramref name="tombstones"/>; returns null when none deletes anything (all empty or none given).</summary>
    public static FragmentedRangeTombstones? Build(KeyComparator comparator, IReadOnlyList<RangeTombstone> tombstones)
    {
        var bounds = new List<byte[]>(tombstones.Count * 2);
        foreach (RangeTombstone t in tombstones)
        {
            if (comparator.Compare(t.Start, t.End) < 0)
            {
                bounds.Add(t.Start);
                bounds.Add(t.End);
            }
        }

        if (bounds.Count == 0)
        {
            return null;
        }

        bounds.Sort((a, b) => comparator.Compare(a, b));
        int distinct = 1;
        for (int i = 1; i < bounds.Count; i++)
        {
            if (comparator.Compare(bounds[i], bounds[distinct - 1]) != 0)
            {
                bounds[distinct++] = bounds[i];
            }
        }

        bounds.RemoveRange(distinct, bounds.Count - distinct);

        // covering[i]: sequences of the tombstones covering [bounds[i], bounds[i + 1]).
        var covering = new List<ulong>?[bounds.Count - 1];
        foreach (RangeTombstone t in tombstones)
        {
            if (comparator.Compare(t.Start, t.End) >= 0)
            {
                continue;
            }

            int first = IndexOf(comparator, bounds, t.Start);
            int end = IndexOf(comparator, bounds, t.End);
            for (int i = first; i < end; i++)
            {
                (covering[i] ??= []).Add(t.Sequence);
            }
        }

        var starts = new List<byte[]>();
        var ends = new List<byte[]>();
        var sequences = new List<ulong[]>();
        for (int i = 0; i < covering.Length; i++)
        {
            if (covering[i] is not List<ulong> list)
            {
                continue; // a gap between tombstones
            }

            list.Sort();
            list.Reverse();
            starts.Add(bounds[i]);
            ends.Add(bounds[i + 1]);
            sequences.Add([.. list]);
        }

        return new FragmentedRangeTombstones(comparator, [.. starts], [.. ends], [.. sequences]);
    }

    /// <summary>
    /// The sequence of the newest tombstone with sequence at most <paramref name="snapshot"/> that covers
    /// <paramref name="userKey"/>; 0 when there is none. Entries of the key older than it are deleted.
    /// </summary>
    public ulong MaxCoveringSequence(ReadOnlySpan<byte> userKey, ulong snapshot)
    {
        // The last fragment starting at or before the key.
        int lo = 0;
        int hi = _starts.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_comparator.Compare(_starts[mid], userKey) <= 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        int fragment = lo - 1;
        if (fragment < 0 || _comparator.Compare(userKey, _ends[fragment]) >= 0)
        {
            return 0;
        }

        foreach (ulong sequence in _sequences[fragment])
        {
            if (sequence <= snapshot)
            {
                return sequence;
            }
        }

        return 0;
    }

    private static int IndexOf(KeyComparator comparator, List<byte[]> bounds, byte[] key)
    {
        int lo = 0;
        int hi = bounds.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (comparator.Compare(bounds[mid], key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
