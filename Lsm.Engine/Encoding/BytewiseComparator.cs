namespace Lsm.Engine;

/// <summary>
/// Orders keys by their unsigned bytes, shorter first on a common prefix: RocksDB's default comparator,
/// with its name <c>leveldb.BytewiseComparator</c>.
/// </summary>
public sealed class BytewiseComparator : KeyComparator
{
    /// <summary>The single instance.</summary>
    public static BytewiseComparator Instance { get; } = new();

    private BytewiseComparator()
    {
    }

    /// <inheritdoc />
    public override string Name => "leveldb.BytewiseComparator";

    /// <inheritdoc />
    public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <inheritdoc />
    /// <remarks>
    /// Finds the first differing byte; if it can be incremented and still sort below
    /// <paramref name="limit"/>, the separator is the common prefix plus that incremented byte.
    /// Otherwise it skips past the differing byte to the first byte of <paramref name="start"/> below 0xFF.
    /// The result must equal RocksDB's, since our index keys and RocksDB's are compared byte for byte in tests.
    /// </remarks>
    public override byte[] FindShortestSeparator(ReadOnlySpan<byte> start, ReadOnlySpan<byte> limit)
    {
        int minLength = Math.Min(start.Length, limit.Length);
        int diff = start.CommonPrefixLength(limit);
        if (diff >= minLength)
        {
            return start.ToArray(); // one is a prefix of the other
        }

        byte startByte = start[diff];
        byte limitByte = limit[diff];
        if (startByte >= limitByte)
        {
            return start.ToArray();
        }

        if (diff < limit.Length - 1 || startByte + 1 < limitByte)
        {
            byte[] shortened = start[..(diff + 1)].ToArray();
            shortened[diff]++;
            return shortened;
        }

        for (int i = diff + 1; i < start.Length; i++)
        {
            if (start[i] < 0xFF)
            {
                byte[] shortened = start[..(i + 1)].ToArray();
                shortened[i]++;
                return shortened;
            }
        }

        return start.ToArray();
    }

    /// <inheritdoc />
    public override byte[] FindShortSuccessor(ReadOnlySpan<byte> key)
    {
        for (int i = 0; i < key.Length; i++)
        {
            if (key[i] != 0xFF)
            {
                byte[] successor = key[..(i + 1)].ToArray();
                successor[i]++;
                return successor;
            }
        }

        return key.ToArray();
    }
}
