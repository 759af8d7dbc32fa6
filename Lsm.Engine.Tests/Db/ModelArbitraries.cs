using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// FsCheck generation and shrinking of <see cref="ModelProgram"/>s: operations over a dozen short keys (the empty key
/// and 0xFF included) in two families, values from empty to 2.5 KB (so a 4 KiB write buffer fills every few writes),
/// 8-byte values that merges add to, snapshots, flushes and reopens.
/// </summary>
/// <remarks>
/// Shrinking removes runs of operations (halves down to single ones), then simplifies what remains: a batch to one of
/// its entries, a value to empty, a read to one without bounds or snapshot; so a failure ends as a short program.
/// </remarks>
public static class ModelArbitraries
{
    private static readonly byte[][] Keys =
        [[], "a"u8.ToArray(), "aa"u8.ToArray(), "ab"u8.ToArray(), "b"u8.ToArray(), "b\0"u8.ToArray(), "c"u8.ToArray(), "d"u8.ToArray(), "k1"u8.ToArray(), "k2"u8.ToArray(), "z"u8.ToArray(), [0xFF]];

    private static readonly Gen<int> Family = Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Constant(1)));

    private static readonly Gen<byte[]> Key = Gen.Elements(Keys);

    private static readonly Gen<byte[]?> Bound = Gen.Frequency((2, Gen.Constant<byte[]?>(null)), (1, Key.Select(k => (byte[]?)k)));

    private static readonly Gen<int?> Snapshot = Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(0, 3).Select(i => (int?)i)));

    private static readonly Gen<byte[]> Value = Gen.Frequency(
        (6, Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Choose('a', 'z').Select(c => (byte)c), n))),
        (2, Gen.Choose(0, 1000).Select(n => U64((ulong)n))),
        (2, Gen.Choose(300, 2500).Select(n => Enumerable.Repeat((byte)'v', n).ToArray())));

    private static readonly Gen<string> Moves =
        from n in Gen.Choose(0, 6)
        from moves in Gen.ArrayOf(Gen.Elements('N', 'P'), n)
        select new string(moves);

    private static readonly Gen<ModelEntry> Entry = Gen.Frequency(
        (5, from cf in Family from k in Key from v in Value select new ModelEntry(ModelKind.Put, cf, k, v)),
        (2, from cf in Family from k in Key select new ModelEntry(ModelKind.Delete, cf, k, [])),
        (2, from cf in Family from k in Key from n in Gen.Choose(1, 100) select new ModelEntry(ModelKind.Merge, cf, k, U64((ulong)n))),
        (1, from cf in Family from a in Key from b in Key select DeleteRange(cf, a, b)));

    private static readonly Gen<ModelOp> Scan =
        from cf in Family
        from forward in Gen.Elements(true, false)
        from lo in Bound
        from hi in Bound
        from s in Snapshot
        select (ModelOp)new ScanOp(cf, forward, lo, hi, s);

    private static readonly Gen<ModelOp> Seek =
        from cf in Family
        from forPrev in Gen.Elements(true, false)
        from target in Key
        from moves in Moves
        from lo in Bound
        from hi in Bound
        from s in Snapshot
        select (ModelOp)new SeekOp(cf, forPrev, target, moves, lo, hi, s);

    private static readonly Gen<ModelOp> Op = Gen.Frequency(
        (10, Entry.Select(e => (ModelOp)new WriteOp([e], Batch: false))),
        (3, from n in Gen.Choose(2, 5) from entries in Gen.ArrayOf(Entry, n) select (ModelOp)new WriteOp(entries, Batch: true)),
        (4, from cf in Family from k in Key from s in Snapshot select (ModelOp)new GetOp(cf, k, s)),
        (2, Scan),
        (2, Seek),
        (1, Gen.Constant((ModelOp)new SnapshotOp())),
        (1, Gen.Choose(0, 3).Select(i => (ModelOp)new ReleaseOp(i))),
        (1, Family.Select(cf => (ModelOp)new FlushOp(cf))),
        (1, Family.Select(cf => (ModelOp)new CompactOp(cf))),
        (1, Gen.Constant((ModelOp)new ReopenOp())));

    /// <summary>Programs of 1 to size operations (FsCheck's size grows over a run), with shrinking.</summary>
    public static Arbitrary<ModelProgram> Programs() =>
        Arb.From(
            Gen.Sized(size => Gen.Choose(1, Math.Max(1, size)).SelectMany(n => Gen.ArrayOf(Op, n))).Select(ops => new ModelProgram(ops)),
            Shrink);

    private static IEnumerable<ModelProgram> Shrink(ModelProgram program)
    {
        IReadOnlyList<ModelOp> ops = program.Ops;
        for (int chunk = Math.Max(1, ops.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start + chunk <= ops.Count; start += chunk)
            {
                yield return new ModelProgram([.. ops.Take(start), .. ops.Skip(start + chunk)]);
            }

            if (chunk == 1)
            {
                break;
            }
        }

        for (int i = 0; i < ops.Count; i++)
        {
            foreach (ModelOp simpler in Simplify(ops[i]))
            {
                yield return new ModelProgram([.. ops.Take(i), simpler, .. ops.Skip(i + 1)]);
            }
        }
    }

    /// <summary>A range deletion between two keys, in order (an inverted range is refused; equal bounds make an empty one).</summary>
    private static ModelEntry DeleteRange(int cf, byte[] a, byte[] b) =>
        a.AsSpan().SequenceCompareTo(b) <= 0 ? new(ModelKind.DeleteRange, cf, a, b) : new(ModelKind.DeleteRange, cf, b, a);

    private static IEnumerable<ModelOp> Simplify(ModelOp op)
    {
        switch (op)
        {
            case WriteOp { Batch: true } w:
                foreach (ModelEntry e in w.Entries)
                {
                    yield return new WriteOp([e], Batch: false);
                }

                break;
            case WriteOp { Entries: [{ Kind: ModelKind.Put, Value.Length: > 0 } e] } w:
                yield return w with { Entries = [e with { Value = [] }] };
                break;
            case GetOp { Snapshot: not null } g:
                yield return g with { Snapshot = null };
                break;
            case ScanOp s when s.Lower is not null || s.Upper is not null || s.Snapshot is not null:
                yield return s with { Lower = null, Upper = null, Snapshot = null };
                break;
            case SeekOp s:
                if (s.Moves.Length > 0)
                {
                    yield return s with { Moves = s.Moves[..^1] };
                }

                if (s.Lower is not null || s.Upper is not null || s.Snapshot is not null)
                {
                    yield return s with { Lower = null, Upper = null, Snapshot = null };
                }

                break;
        }
    }

    private static byte[] U64(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }
}
