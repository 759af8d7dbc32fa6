using System.Buffers.Binary;
using System.Text;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Compaction;

/// <summary>The kinds of write a <see cref="CompactionHistory"/> holds.</summary>
internal enum HistoryKind
{
    Put,
    Delete,
    Merge,
    DeleteRange,
}

/// <summary>One write of a history, at its own sequence number. For a range deletion, <see cref="Value"/> is the exclusive end key.</summary>
internal sealed record HistoryOp(ulong Sequence, HistoryKind Kind, byte[] Key, byte[] Value);

/// <summary>
/// A random history of writes (puts, deletes, <see cref="UInt64AddOperator"/> merges, range deletions) over a few keys,
/// cut into chunks as successive flushes would cut it, with snapshots taken along the way; and the model of what a
/// reader sees at any sequence number, computed from the writes alone.
/// </summary>
internal sealed class CompactionHistory
{
    private static readonly byte[][] Keys =
        [[], "a"u8.ToArray(), "aa"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray(), "e"u8.ToArray(), "k"u8.ToArray(), [0xFF]];

    private CompactionHistory(List<HistoryOp> ops, List<int> chunkEnds, ulong[] snapshots)
    {
        Ops = ops;
        ChunkEnds = chunkEnds;
        Snapshots = snapshots;
    }

    public IReadOnlyList<HistoryOp> Ops { get; }

    /// <summary>The exclusive end index in <see cref="Ops"/> of each chunk, oldest chunk first.</summary>
    public IReadOnlyList<int> ChunkEnds { get; }

    /// <summary>The live snapshots, ascending.</summary>
    public ulong[] Snapshots { get; }

    public ulong LastSequence => Ops.Count == 0 ? 0 : Ops[^1].Sequence;

    /// <summary>A history of 1 to <paramref name="maxOps"/> writes drawn from <paramref name="seed"/>.</summary>
    public static CompactionHistory Generate(int seed, int maxOps = 60)
    {
        var random = new Random(seed);
        int count = random.Next(1, maxOps + 1);
        var ops = new List<HistoryOp>(count);
        var chunkEnds = new List<int>();
        var snapshots = new List<ulong>();
        int chunkChance = random.Next(5, 40);
        for (int i = 0; i < count; i++)
        {
            ulong sequence = (ulong)i + 1;
            byte[] key = Keys[random.Next(Keys.Length)];
            int roll = random.Next(100);
            HistoryOp op = roll switch
            {
                < 45 => new HistoryOp(sequence, HistoryKind.Put, key, RandomValue(random)),
                < 62 => new HistoryOp(sequence, HistoryKind.Delete, key, []),
                < 90 => new HistoryOp(sequence, HistoryKind.Merge, key, U64((ulong)random.Next(1, 100))),
                _ => RandomRange(random, sequence),
            };
            ops.Add(op);
            if (random.Next(100) < 15)
            {
                snapshots.Add(sequence);
            }

            if (random.Next(100) < chunkChance)
            {
                chunkEnds.Add(i + 1);
            }
        }

        if (chunkEnds.Count == 0 || chunkEnds[^1] != count)
        {
            chunkEnds.Add(count);
        }

        // Some snapshots were released before the compaction; the rest are live.
        var live = new List<ulong>();
        foreach (ulong s in snapshots)
        {
            if (random.Next(3) > 0)
            {
                live.Add(s);
            }
        }

        return new CompactionHistory(ops, chunkEnds, [.. live]);
    }

    /// <summary>The same history with some writes replaced (the compaction filter's effect).</summary>
    public CompactionHistory With(IReadOnlyDictionary<ulong, HistoryOp> replacements)
    {
        var ops = new List<HistoryOp>(Ops.Count);
        foreach (HistoryOp op in Ops)
        {
            ops.Add(replacements.TryGetValue(op.Sequence, out HistoryOp? replacement) ? replacement : op);
        }

        return new CompactionHistory(ops, [.. ChunkEnds], Snapshots);
    }

    /// <summary>The same writes with other live snapshots.</summary>
    public CompactionHistory WithSnapshots(ulong[] snapshots) => new([.. Ops], [.. ChunkEnds], snapshots);

    /// <summary>What a reader at <paramref name="snapshot"/> sees: every key with a value, in order.</summary>
    public SortedDictionary<byte[], byte[]> ReadAt(ulong snapshot)
    {
        var state = new SortedDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        foreach (HistoryOp op in Ops)
        {
            if (op.Sequence > snapshot)
            {
                break;
            }

            switch (op.Kind)
            {
                case HistoryKind.Put:
                    state[op.Key] = op.Value;
                    break;
                case HistoryKind.Delete:
                    state.Remove(op.Key);
                    break;
                case HistoryKind.Merge:
                    ReadOnlyMemory<byte>? existing = state.TryGetValue(op.Key, out byte[]? v) ? v : null;
                    state[op.Key] = UInt64AddOperator.Instance.FullMerge(op.Key, existing, [op.Value]);
                    break;
                case HistoryKind.DeleteRange:
                    foreach (byte[] key in state.Keys.ToList())
                    {
                        if (ByteArrayComparer.Instance.Compare(key, op.Key) >= 0 && ByteArrayComparer.Instance.Compare(key, op.Value) < 0)
                        {
                            state.Remove(key);
                        }
                    }

                    break;
            }
        }

        return state;
    }

    /// <summary>The history as text, one write per line, chunk ends and live snapshots marked: printed when a property fails.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("snapshots: ").AppendJoin(' ', Snapshots).AppendLine();
        int chunk = 0;
        for (int i = 0; i < Ops.Count; i++)
        {
            HistoryOp op = Ops[i];
            text.Append('#').Append(op.Sequence).Append(' ').Append(op.Kind).Append(' ').Append(KeyText.FormatUserKey(op.Key));
            if (op.Kind != HistoryKind.Delete)
            {
                text.Append(' ').Append(op.Kind == HistoryKind.DeleteRange ? KeyText.FormatUserKey(op.Value) : Convert.ToHexString(op.Value));
            }

            text.AppendLine();
            if (chunk < ChunkEnds.Count && ChunkEnds[chunk] == i + 1)
            {
                text.AppendLine("-- flush");
                chunk++;
            }
        }

        return text.ToString();
    }

    public static byte[] U64(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] RandomValue(Random random)
    {
        if (random.Next(2) == 0)
        {
            return U64((ulong)random.Next(0, 1000));
        }

        byte[] value = new byte[random.Next(0, 13)];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)random.Next('a', 'z' + 1);
        }

        return value;
    }

    private static HistoryOp RandomRange(Random random, ulong sequence)
    {
        byte[] a = Keys[random.Next(Keys.Length)];
        byte[] b = Keys[random.Next(Keys.Length)];
        if (ByteArrayComparer.Instance.Compare(a, b) > 0)
        {
            (a, b) = (b, a);
        }
        else if (ByteArrayComparer.Instance.Compare(a, b) == 0)
        {
            b = [.. a, 0]; // the smallest range holding a: [a, a\0)
        }

        return new HistoryOp(sequence, HistoryKind.DeleteRange, a, b);
    }
}
