using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

/// <summary>
/// Properties of the table layer checked against a sorted-list model over random inputs.
/// </summary>
public sealed class TablePropertyTests
{
    private static readonly InternalKeyComparator Order = InternalKeyComparator.Bytewise;

    /// <summary>Random distinct internal keys (several versions of some user keys) with values, sorted as a table holds them.</summary>
    private static List<(byte[] Key, byte[] Value)> Model(byte[][] userKeys, int seed)
    {
        var random = new Random(seed);
        var set = new SortedDictionary<byte[], byte[]>(Comparer<byte[]>.Create((a, b) => Order.Compare(a, b)));
        ValueKind[] kinds = [ValueKind.Value, ValueKind.Deletion, ValueKind.Merge, ValueKind.SingleDeletion];
        foreach (byte[] user in userKeys)
        {
            int versions = random.Next(1, 4);
            for (int v = 0; v < versions; v++)
            {
                byte[] key = InternalKey.Create(user, (ulong)random.Next(0, 1000), kinds[random.Next(kinds.Length)]);
                byte[] value = new byte[random.Next(0, 50)];
                random.NextBytes(value);
                set[key] = value;
            }
        }

        return set.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    private static TableReader Build(List<(byte[] Key, byte[] Value)> entries, int seed)
    {
        var random = new Random(seed);
        var options = new TableOptions
        {
            BlockSize = 64 + random.Next(512),
            BlockRestartInterval = 1 + random.Next(16),
            Compression = random.Next(2) == 0 ? CompressionType.None : CompressionType.Lz4,
            FormatVersion = 5 + random.Next(2),
            BloomBitsPerKey = random.Next(3) == 0 ? 0 : 10,
        };
        var file = new MemoryFile("model.sst");
        using (var builder = new TableBuilder(file, options, new TableBuilderContext(0, "default", "nullptr", "db", "S", 7, false)))
        {
            foreach ((byte[] key, byte[] value) in entries)
            {
                builder.Add(key, value);
            }

            builder.Finish();
        }

        return TableReader.Open(new MemoryFile("model.sst", file.ToArray()), ownsFile: true);
    }

    [Property(MaxTest = 150)]
    public bool WrittenEntries_ReadBackInOrder(byte[][] userKeys, int seed)
    {
        List<(byte[] Key, byte[] Value)> model = Model(userKeys ?? [], seed);
        using TableReader reader = Build(model, seed);
        TableIterator it = reader.NewIterator();
        int i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            if (i >= model.Count || !it.Key.SequenceEqual(model[i].Key) || !it.Value.SequenceEqual(model[i].Value))
            {
                return false;
            }
        }

        return i == model.Count;
    }

    [Property(MaxTest = 150)]
    public bool Seek_LandsOnFirstKeyAtOrAfterTarget(byte[][] userKeys, byte[][] targets, int seed)
    {
        List<(byte[] Key, byte[] Value)> model = Model(userKeys ?? [], seed);
        using TableReader reader = Build(model, seed);
        TableIterator it = reader.NewIterator();
        var random = new Random(seed);
        foreach (byte[] user in targets ?? [])
        {
            byte[] target = InternalKey.Create(user, (ulong)random.Next(0, 1000), ValueKind.Value);
            it.Seek(target);
            int expected = model.FindIndex(e => Order.Compare(e.Key, target) >= 0);
            if (expected < 0 ? it.Valid : !it.Valid || !it.Key.SequenceEqual(model[expected].Key))
            {
                return false;
            }

            it.SeekForPrev(target);
            int expectedPrev = model.FindLastIndex(e => Order.Compare(e.Key, target) <= 0);
            if (expectedPrev < 0 ? it.Valid : !it.Valid || !it.Key.SequenceEqual(model[expectedPrev].Key))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public bool NextThenPrev_ReturnsToTheSameEntry(byte[][] userKeys, int seed)
    {
        List<(byte[] Key, byte[] Value)> model = Model(userKeys ?? [], seed);
        using TableReader reader = Build(model, seed);
        TableIterator it = reader.NewIterator();
        for (int i = 0; i < model.Count; i++)
        {
            it.Seek(model[i].Key);
            it.Next();
            if (i + 1 < model.Count)
            {
                if (!it.Valid || !it.Key.SequenceEqual(model[i + 1].Key))
                {
                    return false;
                }

                it.Prev();
                if (!it.Valid || !it.Key.SequenceEqual(model[i].Key))
                {
                    return false;
                }
            }
            else if (it.Valid)
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public bool Get_FindsNewestVisibleVersion(byte[][] userKeys, int seed)
    {
        List<(byte[] Key, byte[] Value)> model = Model(userKeys ?? [], seed);
        using TableReader reader = Build(model, seed);
        TableIterator scratch = reader.NewIterator();
        var random = new Random(seed);
        foreach ((byte[] key, _) in model)
        {
            byte[] user = InternalKey.UserKey(key).ToArray();
            ulong snapshot = (ulong)random.Next(0, 1100);
            int expected = model.FindIndex(e => InternalKey.UserKey(e.Key).SequenceEqual(user) && InternalKey.Sequence(e.Key) <= snapshot);
            bool found = reader.TryGet(user, snapshot, scratch, out ValueKind kind, out ReadOnlySpan<byte> value);
            if (found != expected >= 0)
            {
                return false;
            }

            if (found && (kind != InternalKey.Kind(model[expected].Key) || !value.SequenceEqual(model[expected].Value)))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public bool BloomFilter_HasNoFalseNegatives(byte[][] keys, double bitsPerKey)
    {
        double bits = 1 + (Math.Abs(bitsPerKey) % 30);
        if (double.IsNaN(bits))
        {
            bits = 10;
        }

        var builder = new Lsm.Engine.Table.Filter.FullFilterBuilder(bits);
        foreach (byte[] key in keys ?? [])
        {
            builder.AddKey(key);
        }

        var reader = Lsm.Engine.Table.Filter.FilterReader.Create(builder.Finish());
        return (keys ?? []).All(k => reader.KeyMayMatch(k));
    }
}
