using Lsm.Engine.Encoding;
using Lsm.Engine.Memtable;

namespace Lsm.Engine.Tests.Memtable;

/// <summary>A memtable filled with random entries, and the same entries in a sorted model.</summary>
internal sealed class MemTableModel : IDisposable
{
    private static readonly ValueKind[] Kinds = [ValueKind.Value, ValueKind.Value, ValueKind.Deletion, ValueKind.Merge, ValueKind.SingleDeletion];

    private MemTableModel(InternalKeyComparator order, MemTable table, List<(byte[] Key, byte[] Value)> entries)
    {
        Order = order;
        Table = table;
        Entries = entries;
    }

    public InternalKeyComparator Order { get; }

    public MemTable Table { get; }

    /// <summary>The entries in internal-key order.</summary>
    public List<(byte[] Key, byte[] Value)> Entries { get; }

    /// <summary>
    /// Several versions (random sequence and kind) of each user key, plus the empty key; values mostly short,
    /// some empty, some larger than the 4 KiB arena chunk. Inserted in random order.
    /// </summary>
    public static MemTableModel Create(byte[][]? userKeys, int seed, bool reverseOrder = false)
    {
        var random = new Random(seed);
        InternalKeyComparator order = reverseOrder ? new InternalKeyComparator(ReverseBytewiseComparator.Instance) : InternalKeyComparator.Bytewise;
        var model = new SortedDictionary<byte[], byte[]>(Comparer<byte[]>.Create((a, b) => order.Compare(a, b)));
        var insertion = new List<(byte[] Key, byte[] Value)>();
        foreach (byte[]? user in (userKeys ?? []).Append([]))
        {
            int versions = random.Next(8) == 0 ? random.Next(10, 40) : random.Next(1, 4);
            for (int v = 0; v < versions; v++)
            {
                byte[] key = InternalKey.Create(user ?? [], (ulong)random.Next(0, 200), Kinds[random.Next(Kinds.Length)]);
                int length = random.Next(20) switch
                {
                    0 => 0,
                    1 => random.Next(3000, 9000),
                    _ => random.Next(0, 60),
                };
                byte[] value = new byte[length];
                random.NextBytes(value);
                if (model.TryAdd(key, value))
                {
                    insertion.Add((key, value));
                }
            }
        }

        var table = new MemTable(order, Arena.MinChunkSize);
        foreach ((byte[] key, byte[] value) in insertion)
        {
            table.Add(InternalKey.Sequence(key), InternalKey.Kind(key), InternalKey.UserKey(key), value);
        }

        return new MemTableModel(order, table, model.Select(kv => (kv.Key, kv.Value)).ToList());
    }

    /// <summary>Index of the first entry at or after <paramref name="target"/>; Count when none.</summary>
    public int LowerBound(byte[] target) => Partition(e => Order.Compare(e, target) < 0);

    /// <summary>Index of the last entry at or before <paramref name="target"/>; -1 when none.</summary>
    public int LastAtOrBefore(byte[] target) => Partition(e => Order.Compare(e, target) <= 0) - 1;

    /// <summary>The versions of <paramref name="userKey"/> visible at <paramref name="snapshot"/>, newest first.</summary>
    public List<(byte[] Key, byte[] Value)> Visible(byte[] userKey, ulong snapshot)
    {
        // Versions of a user key are adjacent in the model: find the run, then filter it by sequence.
        int start = Partition(e => Order.UserComparator.Compare(InternalKey.UserKey(e), userKey) < 0);
        int end = Partition(e => Order.UserComparator.Compare(InternalKey.UserKey(e), userKey) <= 0);
        return Entries.GetRange(start, end - start).Where(e => InternalKey.Sequence(e.Key) <= snapshot).ToList();
    }

    /// <summary>The number of leading entries whose key satisfies <paramref name="before"/> (a prefix of the sorted list).</summary>
    private int Partition(Func<byte[], bool> before)
    {
        int lo = 0;
        int hi = Entries.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (before(Entries[mid].Key))
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

    public void Dispose() => Table.Dispose();
}

/// <summary>A user order other than bytewise, so the skip list's generic comparison path is exercised.</summary>
internal sealed class ReverseBytewiseComparator : KeyComparator
{
    public static ReverseBytewiseComparator Instance { get; } = new();

    public override string Name => "test.ReverseBytewiseComparator";

    public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => b.SequenceCompareTo(a);
}
