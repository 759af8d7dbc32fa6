using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.Db;

/// <summary>The kind of one write in a <see cref="ModelDatabase"/> history.</summary>
internal enum ModelKind
{
    Put,
    Delete,

    /// <summary>A <see cref="UInt64AddOperator"/> operand: 8 bytes, little-endian.</summary>
    Merge,

    /// <summary>Deletes every key in [Key, Value): the entry's value is the range's exclusive end.</summary>
    DeleteRange,
}

/// <summary>One operation of a write batch, as the model and the engine both apply it.</summary>
/// <param name="Kind">Put, delete or merge.</param>
/// <param name="ColumnFamily">Index into <see cref="ModelDatabase.ColumnFamilyNames"/>.</param>
/// <param name="Key">The user key.</param>
/// <param name="Value">The value or merge operand; empty for a delete; the end of the range for a range deletion.</param>
internal readonly record struct ModelEntry(ModelKind Kind, int ColumnFamily, byte[] Key, byte[] Value)
{
    public static ModelEntry Put(int cf, string key, byte[] value) => new(ModelKind.Put, cf, System.Text.Encoding.UTF8.GetBytes(key), value);

    public static ModelEntry Delete(int cf, string key) => new(ModelKind.Delete, cf, System.Text.Encoding.UTF8.GetBytes(key), []);

    public static ModelEntry DeleteRange(int cf, string begin, string end) =>
        new(ModelKind.DeleteRange, cf, System.Text.Encoding.UTF8.GetBytes(begin), System.Text.Encoding.UTF8.GetBytes(end));

    public static ModelEntry Merge(int cf, string key, ulong operand)
    {
        byte[] value = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(value, operand);
        return new(ModelKind.Merge, cf, System.Text.Encoding.UTF8.GetBytes(key), value);
    }

    public override string ToString() => Kind switch
    {
        ModelKind.Put => $"put cf{ColumnFamily} {ModelDatabase.Text(Key)} {ModelDatabase.Text(Value)}",
        ModelKind.Delete => $"del cf{ColumnFamily} {ModelDatabase.Text(Key)}",
        ModelKind.DeleteRange => $"delrange cf{ColumnFamily} {ModelDatabase.Text(Key)} {ModelDatabase.Text(Value)}",
        _ => $"merge cf{ColumnFamily} {ModelDatabase.Text(Key)} {BinaryPrimitives.ReadUInt64LittleEndian(Value)}",
    };
}

/// <summary>
/// What a database with two column families (<c>default</c>, <c>cf1</c>) and the <see cref="UInt64AddOperator"/>
/// should hold: one <see cref="SortedDictionary{TKey, TValue}"/> per family, in the engine's bytewise key order.
/// </summary>
/// <remarks>
/// Shared by the crash, fault, process-crash and model tests. Merge follows <see cref="UInt64AddOperator"/> exactly: an
/// existing value that is not 8 bytes counts as 0, and the sum wraps. Not thread-safe.
/// </remarks>
internal sealed class ModelDatabase
{
    public static readonly string[] ColumnFamilyNames = [ColumnFamilyHandle.DefaultName, "cf1"];

    private readonly SortedDictionary<byte[], byte[]>[] _families;

    public ModelDatabase()
    {
        _families = new SortedDictionary<byte[], byte[]>[ColumnFamilyNames.Length];
        for (int i = 0; i < _families.Length; i++)
        {
            _families[i] = new SortedDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        }
    }

    private ModelDatabase(ModelDatabase other)
    {
        _families = new SortedDictionary<byte[], byte[]>[other._families.Length];
        for (int i = 0; i < _families.Length; i++)
        {
            _families[i] = new SortedDictionary<byte[], byte[]>(other._families[i], ByteArrayComparer.Instance);
        }
    }

    /// <summary>Entries per family.</summary>
    public int Count => _families.Sum(f => f.Count);

    public SortedDictionary<byte[], byte[]> Family(int cf) => _families[cf];

    public ModelDatabase Clone() => new(this);

    public byte[]? Get(int cf, byte[] key) => _families[cf].TryGetValue(key, out byte[]? value) ? value : null;

    public void Apply(ModelEntry entry)
    {
        SortedDictionary<byte[], byte[]> family = _families[entry.ColumnFamily];
        switch (entry.Kind)
        {
            case ModelKind.Put:
                family[entry.Key] = entry.Value;
                break;
            case ModelKind.Delete:
                family.Remove(entry.Key);
                break;
            case ModelKind.DeleteRange:
                foreach (byte[] key in KeysInRange(family, entry.Key, entry.Value))
                {
                    family.Remove(key);
                }

                break;
            default:
                ulong existing = family.TryGetValue(entry.Key, out byte[]? old) && old.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(old) : 0;
                byte[] sum = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(sum, unchecked(existing + BinaryPrimitives.ReadUInt64LittleEndian(entry.Value)));
                family[entry.Key] = sum;
                break;
        }
    }

    /// <summary>The keys of <paramref name="family"/> in [<paramref name="begin"/>, <paramref name="end"/>), copied out.</summary>
    private static List<byte[]> KeysInRange(SortedDictionary<byte[], byte[]> family, byte[] begin, byte[] end) =>
        [.. family.Keys.Where(k => ByteArrayComparer.Instance.Compare(k, begin) >= 0 && ByteArrayComparer.Instance.Compare(k, end) < 0)];

    /// <summary>The keys an entry may change in this model or in <paramref name="other"/>: its key, or every key of its range.</summary>
    private IEnumerable<byte[]> KeysTouched(ModelEntry e, ModelDatabase other) =>
        e.Kind == ModelKind.DeleteRange
            ? KeysInRange(_families[e.ColumnFamily], e.Key, e.Value).Concat(KeysInRange(other._families[e.ColumnFamily], e.Key, e.Value))
            : [e.Key];

    public void Apply(IEnumerable<ModelEntry> batch)
    {
        foreach (ModelEntry entry in batch)
        {
            Apply(entry);
        }
    }

    /// <summary>The engine's batch for <paramref name="entries"/>; <paramref name="handles"/> are indexed like <see cref="ColumnFamilyNames"/>.</summary>
    public static WriteBatch ToWriteBatch(IEnumerable<ModelEntry> entries, IReadOnlyList<ColumnFamilyHandle> handles)
    {
        var batch = new WriteBatch();
        foreach (ModelEntry e in entries)
        {
            ColumnFamilyHandle cf = handles[e.ColumnFamily];
            switch (e.Kind)
            {
                case ModelKind.Put:
                    batch.Put(cf, e.Key, e.Value);
                    break;
                case ModelKind.Delete:
                    batch.Delete(cf, e.Key);
                    break;
                case ModelKind.DeleteRange:
                    batch.DeleteRange(cf, e.Key, e.Value);
                    break;
                default:
                    batch.Merge(cf, e.Key, e.Value);
                    break;
            }
        }

        return batch;
    }

    /// <summary>The handles of an open database's families, indexed like <see cref="ColumnFamilyNames"/>.</summary>
    public static ColumnFamilyHandle[] Handles(LsmDb db) =>
        [.. ColumnFamilyNames.Select(name => db.GetColumnFamily(name) ?? throw new InvalidOperationException($"column family '{name}' is missing"))];

    /// <summary>
    /// Reads everything an open database holds, with a forward iterator per family, and checks that a point read of
    /// each key of <paramref name="probeKeys"/> (and of each key found) agrees with the scan.
    /// </summary>
    public static ModelDatabase Read(LsmDb db, IEnumerable<byte[]>? probeKeys = null)
    {
        var model = new ModelDatabase();
        ColumnFamilyHandle[] handles = Handles(db);
        for (int cf = 0; cf < handles.Length; cf++)
        {
            using LsmIterator it = db.NewIterator(handles[cf]);
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                model._families[cf].Add(it.Key.ToArray(), it.Value.ToArray());
            }

            foreach (byte[] key in (probeKeys ?? []).Concat(model._families[cf].Keys.ToArray()))
            {
                byte[]? scanned = model.Get(cf, key);
                byte[]? got = db.Get(handles[cf], key);
                if (!ByteArrayComparer.Instance.Equals(scanned ?? [], got ?? []) || (scanned is null) != (got is null))
                {
                    throw new InvalidOperationException(
                        $"Get and the iterator disagree on cf{cf} {Text(key)}: Get={(got is null ? "absent" : Text(got))}, scan={(scanned is null ? "absent" : Text(scanned))}");
                }
            }
        }

        return model;
    }

    /// <summary>A copy holding only the keys that <paramref name="keep"/> selects.</summary>
    public ModelDatabase Where(Func<byte[], bool> keep)
    {
        var copy = new ModelDatabase();
        for (int cf = 0; cf < _families.Length; cf++)
        {
            foreach ((byte[] key, byte[] value) in _families[cf].Where(e => keep(e.Key)))
            {
                copy._families[cf].Add(key, value);
            }
        }

        return copy;
    }

    /// <summary>The keys (per family) on which the two models differ.</summary>
    public IEnumerable<(int ColumnFamily, byte[] Key)> Differences(ModelDatabase other)
    {
        for (int cf = 0; cf < _families.Length; cf++)
        {
            foreach (byte[] key in _families[cf].Keys.Union(other._families[cf].Keys, ByteArrayComparer.Instance))
            {
                if (!SameAt(other, cf, key))
                {
                    yield return (cf, key);
                }
            }
        }
    }

    /// <summary>Up to <paramref name="max"/> lines describing the differences, "expected" being this model.</summary>
    public string Describe(ModelDatabase actual, int max = 12)
    {
        var text = new StringBuilder();
        int n = 0;
        foreach ((int cf, byte[] key) in Differences(actual))
        {
            if (n++ == max)
            {
                text.Append("  ...\n");
                break;
            }

            text.Append(CultureInfo.InvariantCulture, $"  cf{cf} {Text(key)}: expected {Show(Get(cf, key))}, actual {Show(actual.Get(cf, key))}\n");
        }

        return n == 0 ? "  (no differences)\n" : text.ToString();
    }

    /// <summary>Whether the two models hold the same value (or none) for <paramref name="key"/>.</summary>
    public bool SameAt(ModelDatabase other, int cf, byte[] key)
    {
        byte[]? a = Get(cf, key);
        byte[]? b = other.Get(cf, key);
        return a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
    }

    /// <summary>
    /// Finds a prefix length k in [<paramref name="lo"/>, <paramref name="hi"/>] such that <paramref name="start"/> (the
    /// state after the first <paramref name="startIndex"/> batches of <paramref name="history"/>) followed by batches
    /// <paramref name="startIndex"/>..k-1 equals <paramref name="actual"/>; the smallest such k, or -1.
    /// </summary>
    /// <remarks>Linear in the batches applied plus the size of the state: only the keys a batch touches are rechecked.</remarks>
    public static int FindPrefix(ModelDatabase start, int startIndex, IReadOnlyList<IReadOnlyList<ModelEntry>> history, int lo, int hi, ModelDatabase actual)
    {
        if (lo < startIndex || hi > history.Count || lo > hi)
        {
            throw new ArgumentException($"bad bounds [{lo}, {hi}] for a history of {history.Count} batches starting at {startIndex}");
        }

        ModelDatabase state = start.Clone();
        for (int i = startIndex; i < lo; i++)
        {
            state.Apply(history[i]);
        }

        var mismatched = new HashSet<(int, byte[])>(state.Differences(actual), KeyComparer.Instance);
        for (int k = lo; ; k++)
        {
            if (mismatched.Count == 0)
            {
                return k;
            }

            if (k == hi)
            {
                return -1;
            }

            foreach (ModelEntry e in history[k])
            {
                List<byte[]> touched = [.. state.KeysTouched(e, actual)];
                state.Apply(e);
                foreach (byte[] key in touched)
                {
                    if (state.SameAt(actual, e.ColumnFamily, key))
                    {
                        mismatched.Remove((e.ColumnFamily, key));
                    }
                    else
                    {
                        mismatched.Add((e.ColumnFamily, key));
                    }
                }
            }
        }
    }

    /// <summary>The prefix length in [<paramref name="startIndex"/>, <paramref name="hi"/>] closest to <paramref name="actual"/> (fewest differing keys), for failure messages.</summary>
    public static (int Length, int Differences) ClosestPrefix(ModelDatabase start, int startIndex, IReadOnlyList<IReadOnlyList<ModelEntry>> history, int hi, ModelDatabase actual)
    {
        ModelDatabase state = start.Clone();
        (int Length, int Differences) best = (startIndex, int.MaxValue);
        for (int k = startIndex; ; k++)
        {
            int differences = state.Differences(actual).Count();
            if (differences < best.Differences)
            {
                best = (k, differences);
            }

            if (k == hi)
            {
                return best;
            }

            state.Apply(history[k]);
        }
    }

    /// <summary>A key or value as text: printable ASCII quoted, anything else as hex (values longer than 24 bytes abbreviated).</summary>
    public static string Text(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 8 && bytes.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) >= 0)
        {
            return "u64:" + BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        }

        string body = bytes.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) < 0 ? System.Text.Encoding.ASCII.GetString(bytes) : "0x" + Convert.ToHexString(bytes);
        return bytes.Length == 0 ? "\"\"" : body.Length > 24 ? $"{body[..24]}…({bytes.Length}B)" : body;
    }

    private static string Show(byte[]? value) => value is null ? "absent" : Text(value);

    private sealed class KeyComparer : IEqualityComparer<(int, byte[])>
    {
        public static KeyComparer Instance { get; } = new();

        public bool Equals((int, byte[]) x, (int, byte[]) y) => x.Item1 == y.Item1 && x.Item2.AsSpan().SequenceEqual(y.Item2);

        public int GetHashCode((int, byte[]) obj) => HashCode.Combine(obj.Item1, ByteArrayComparer.Instance.GetHashCode(obj.Item2));
    }
}
