using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

/// <summary>
/// A seek narrowed by <see cref="RestartKeyWords"/> lands exactly where the plain restart binary search lands,
/// for keys built to stress the words: a long shared prefix, zero bytes (which tie with the padding of short
/// keys), keys that are prefixes of others, 0xFF bytes, and targets outside the prefix on either side.
/// </summary>
public sealed class RestartKeyWordsTests
{
    private static readonly byte[] Alphabet = [0x00, 0x01, (byte)'a', (byte)'b', 0xFF];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 3)]
    [InlineData(4, 16)]
    public void Seek_WithWords_MatchesPlainSeek_UserKeys(int seed, int restartInterval)
    {
        var random = new Random(seed);
        byte[] prefix = seed % 2 == 0 ? "shared/prefix/"u8.ToArray() : [];
        var keys = new SortedSet<byte[]>(ByteComparer.Instance);
        while (keys.Count < 400)
        {
            keys.Add([.. prefix, .. RandomBytes(random, random.Next(0, 12))]);
        }

        AssertUserKeySeeksAgree(keys, restartInterval, Targets(random, keys, prefix));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void Seek_WithWords_MatchesPlainSeek_InternalKeys(int seed)
    {
        var random = new Random(seed);
        var userKeys = new SortedSet<byte[]>(ByteComparer.Instance);
        while (userKeys.Count < 150)
        {
            userKeys.Add(RandomBytes(random, random.Next(0, 10)));
        }

        // Several versions of some user keys, newest (highest sequence) first, as internal-key order wants.
        var keys = new List<byte[]>();
        foreach (byte[] user in userKeys)
        {
            int versions = random.Next(1, 4);
            for (int v = versions; v >= 1; v--)
            {
                keys.Add(InternalKey.Create(user, (ulong)(v * 10), ValueKind.Value));
            }
        }

        (Block block, _) = Build(keys, restartInterval: 1);
        var plain = new BlockIterator();
        plain.Reset(block, InternalKeyComparator.Bytewise);
        RestartKeyWords? words = RestartKeyWords.TryBuild(plain, block.NumRestarts, internalKeys: true);
        Assert.NotNull(words);
        var fast = new BlockIterator();
        fast.Reset(block, InternalKeyComparator.Bytewise, words: words);

        foreach (byte[] user in Targets(random, userKeys, []))
        {
            foreach (ulong sequence in new ulong[] { 0, 5, 10, 15, 20, 30, InternalKey.MaxSequence })
            {
                byte[] target = InternalKey.Create(user, sequence, InternalKey.KindForSeek);
                plain.Seek(target);
                fast.Seek(target);
                Assert.Equal(plain.Valid, fast.Valid);
                if (plain.Valid)
                {
                    Assert.Equal(plain.Key.ToArray(), fast.Key.ToArray());
                }
            }
        }
    }

    /// <summary>
    /// Thousands of restarts, so the search runs over several samples of 64 words, with runs of equal words longer
    /// than a sample (keys that share their first 8 bytes past the prefix) and short keys whose padded words tie.
    /// </summary>
    [Theory]
    [InlineData(7, 1)]
    [InlineData(8, 2)]
    public void Seek_WithWords_MatchesPlainSeek_ManyRestartsAndLongTies(int seed, int restartInterval)
    {
        var random = new Random(seed);
        byte[] prefix = "p/"u8.ToArray();
        var keys = new SortedSet<byte[]>(ByteComparer.Instance);
        while (keys.Count < 3000)
        {
            // 24 distinct 8-byte heads: about 125 keys share each, differing only past the word (780 suffixes each).
            byte head = (byte)random.Next(24);
            byte[] word = [head, 0, 0, 0, 0, 0, 0, (byte)(head & 3)];
            keys.Add(random.Next(10) == 0
                ? [.. prefix, head]
                : [.. prefix, .. word, .. RandomBytes(random, random.Next(1, 5))]);
        }

        AssertUserKeySeeksAgree(keys, restartInterval, Targets(random, keys, prefix));
    }

    [Fact]
    public void TryBuild_SmallBlock_ReturnsNull()
    {
        var keys = new SortedSet<byte[]>(ByteComparer.Instance) { "a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray() };
        (Block block, _) = Build(keys, restartInterval: 1);
        var it = new BlockIterator();
        it.Reset(block, UserKeyOrder.Bytewise);
        Assert.Null(RestartKeyWords.TryBuild(it, block.NumRestarts, internalKeys: false));
    }

    /// <summary>Seeks each target with and without the words, in a block of <paramref name="keys"/>, and checks both land on the same entry.</summary>
    private static void AssertUserKeySeeksAgree(IEnumerable<byte[]> keys, int restartInterval, IEnumerable<byte[]> targets)
    {
        (Block block, byte[] data) = Build(keys, restartInterval);
        var plain = new BlockIterator();
        plain.Reset(block, UserKeyOrder.Bytewise);
        RestartKeyWords? words = RestartKeyWords.TryBuild(plain, block.NumRestarts, internalKeys: false);
        Assert.NotNull(words);
        var fast = new BlockIterator();
        fast.Reset(block, UserKeyOrder.Bytewise, words: words);

        foreach (byte[] target in targets)
        {
            plain.Seek(target);
            fast.Seek(target);
            Assert.Equal(plain.Valid, fast.Valid);
            if (plain.Valid)
            {
                Assert.Equal(plain.Key.ToArray(), fast.Key.ToArray());
            }
        }

        GC.KeepAlive(data);
    }

    private static (Block Block, byte[] Data) Build(IEnumerable<byte[]> keys, int restartInterval)
    {
        using var builder = new BlockBuilder(restartInterval);
        foreach (byte[] key in keys)
        {
            builder.Add(key, "v"u8);
        }

        byte[] data = builder.Finish().ToArray();
        return (Block.Parse(data, data.Length, "block", 0), data);
    }

    private static IEnumerable<byte[]> Targets(Random random, IEnumerable<byte[]> keys, byte[] prefix)
    {
        yield return [];
        yield return [0xFF, 0xFF];
        if (prefix.Length > 0)
        {
            yield return prefix[..^1];                                  // a proper prefix of the prefix: before all
            yield return [.. prefix[..^1], (byte)(prefix[^1] + 1)];     // past the prefix: after all
            yield return [.. prefix[..^1], (byte)(prefix[^1] - 1), 0xFF]; // below the prefix: before all
            yield return prefix;
        }

        foreach (byte[] key in keys)
        {
            yield return key;
            yield return [.. key, 0x00];
            yield return [.. key, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
            if (key.Length > 0)
            {
                yield return key[..^1];
            }
        }

        for (int i = 0; i < 300; i++)
        {
            yield return [.. prefix, .. RandomBytes(random, random.Next(0, 12))];
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = Alphabet[random.Next(Alphabet.Length)];
        }

        return bytes;
    }

    private sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
