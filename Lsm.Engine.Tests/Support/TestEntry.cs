using System.Text;

namespace Lsm.Engine.Tests.Support;

/// <summary>One entry of an external file: a user key, its kind and value.</summary>
public sealed record TestEntry(byte[] Key, ValueKind Kind, byte[] Value)
{
    public override string ToString() => $"{System.Text.Encoding.ASCII.GetString(Key)}:{Kind}:{Value.Length}";
}

/// <summary>Generators of key sets with the shapes that break table code: empty values, long keys, shared prefixes.</summary>
public static class TestEntries
{
    /// <summary>Sorted, unique user keys with a mix of puts, deletes and merge operands (merge operands are 8-byte little-endian numbers).</summary>
    public static List<TestEntry> Random(int seed, int count, bool withDeletesAndMerges = true, int maxValueLength = 200)
    {
        var random = new Random(seed);
        var keys = new SortedSet<byte[]>(ByteArrayComparer.Instance);
        string[] prefixes = ["", "user:", "user:0000", "a", "zz/long/shared/prefix/"];
        while (keys.Count < count)
        {
            string prefix = prefixes[random.Next(prefixes.Length)];
            int shape = random.Next(10);
            byte[] key;
            if (shape == 0)
            {
                key = new byte[random.Next(1, 600)]; // long, binary
                random.NextBytes(key);
            }
            else
            {
                key = System.Text.Encoding.ASCII.GetBytes(prefix + random.Next(0, count * 10).ToString("D" + random.Next(1, 9), System.Globalization.CultureInfo.InvariantCulture));
            }

            keys.Add(key);
        }

        var entries = new List<TestEntry>(count);
        foreach (byte[] key in keys)
        {
            int roll = withDeletesAndMerges ? random.Next(10) : 9;
            if (roll == 0)
            {
                entries.Add(new TestEntry(key, ValueKind.Deletion, []));
            }
            else if (roll == 1)
            {
                entries.Add(new TestEntry(key, ValueKind.Merge, BitConverter.GetBytes((ulong)random.NextInt64())));
            }
            else
            {
                byte[] value = new byte[random.Next(4) == 0 ? 0 : random.Next(maxValueLength)];
                // Half the values compressible text, half random bytes.
                if (random.Next(2) == 0)
                {
                    random.NextBytes(value);
                }
                else
                {
                    for (int i = 0; i < value.Length; i++)
                    {
                        value[i] = (byte)('a' + (i % 7));
                    }
                }

                entries.Add(new TestEntry(key, ValueKind.Value, value));
            }
        }

        return entries;
    }
}

public sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static ByteArrayComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
