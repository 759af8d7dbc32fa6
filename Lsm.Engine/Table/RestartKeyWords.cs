using System.Buffers.Binary;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// A compact search aid for a block whose keys sort bytewise (in practice a table's index block): for each
/// restart point, the 8 bytes of its user key that follow the prefix every restart key shares, as a
/// big-endian integer. A seek binary searches this array, which fits in a few cache lines per thousand
/// entries, instead of decoding restart keys scattered over the whole block; only restarts whose word
/// equals the target's (usually none or one) are compared in full.
/// </summary>
/// <remarks>
/// Invariants: every restart user key starts with <see cref="_prefix"/> (the common prefix of the first
/// and the last restart key: bytewise, every key between them shares it) and the words are non-decreasing.
/// A word is monotonic in its key: a key that sorts before another never has a larger word (bytes past
/// the 8th, and the zero padding of short keys, only ever make words tie). So a restart whose word is
/// below the target's sorts strictly before the target, and one whose word is above sorts strictly after.
/// Built once per table; immutable and thread-safe.
/// </remarks>
internal sealed class RestartKeyWords
{
    /// <summary>Blocks with fewer restarts are searched directly: the array would save next to nothing.</summary>
    private const int MinRestarts = 16;

    /// <summary>log2 of the words per sample of <see cref="_samples"/>: 64 words, eight cache lines.</summary>
    private const int SampleShift = 6;

    private readonly byte[] _prefix;
    private readonly ulong[] _words;
    private readonly bool _internalKeys;

    /// <summary>
    /// Every 64th word (<c>_samples[j] = _words[j * 64]</c>): a search runs over these first, a few kilobytes that
    /// stay in the processor's caches, and then within one run of 64 words, so that a seek in a large index misses
    /// the cache a few times rather than once per halving of the whole array.
    /// </summary>
    private readonly ulong[] _samples;

    private RestartKeyWords(byte[] prefix, ulong[] words, bool internalKeys)
    {
        _prefix = prefix;
        _words = words;
        _internalKeys = internalKeys;
        _samples = new ulong[((words.Length - 1) >> SampleShift) + 1];
        for (int j = 0; j < _samples.Length; j++)
        {
            _samples[j] = words[j << SampleShift];
        }
    }

    /// <summary>
    /// Builds the words for the block <paramref name="iterator"/> reads, or returns null when the block is
    /// too small or its restart keys are not in bytewise order (the plain search then decides, and reports
    /// any corruption where it meets it).
    /// </summary>
    /// <param name="iterator">An iterator reset on the block, with its key order and value format.</param>
    /// <param name="numRestarts">The block's restart count.</param>
    /// <param name="internalKeys">Whether keys are internal keys (the user key is all but the 8-byte trailer).</param>
    public static RestartKeyWords? TryBuild(BlockIterator iterator, int numRestarts, bool internalKeys)
    {
        if (numRestarts < MinRestarts)
        {
            return null;
        }

        if (!TryUserKey(iterator.RestartKey(0), internalKeys, out ReadOnlySpan<byte> first)
            || !TryUserKey(iterator.RestartKey(numRestarts - 1), internalKeys, out ReadOnlySpan<byte> last))
        {
            return null;
        }

        byte[] prefix = first[..first.CommonPrefixLength(last)].ToArray();
        ulong[] words = new ulong[numRestarts];
        for (int i = 0; i < numRestarts; i++)
        {
            if (!TryUserKey(iterator.RestartKey(i), internalKeys, out ReadOnlySpan<byte> key) || !key.StartsWith(prefix))
            {
                return null;
            }

            words[i] = Word(key, prefix.Length);
            if (i > 0 && words[i] < words[i - 1])
            {
                return null;
            }
        }

        return new RestartKeyWords(prefix, words, internalKeys);
    }

    /// <summary>
    /// Narrows the restart range [<paramref name="lo"/>, <paramref name="hi"/>] that holds the last restart
    /// whose key sorts before <paramref name="target"/> (restart 0 when none does), as
    /// <see cref="BlockIterator.Seek"/> needs it; the caller finishes with full comparisons inside it.
    /// </summary>
    /// <param name="target">The seek target, in the block's key form (internal or user key).</param>
    /// <param name="lo">The first candidate restart.</param>
    /// <param name="hi">The last candidate restart.</param>
    public void Narrow(ReadOnlySpan<byte> target, out int lo, out int hi)
    {
        ReadOnlySpan<byte> user = target;
        if (_internalKeys)
        {
            if (target.Length < InternalKey.TrailerSize)
            {
                lo = 0;
                hi = _words.Length - 1;
                return;
            }

            user = InternalKey.UserKey(target);
        }

        if (!user.StartsWith(_prefix))
        {
            // Outside the prefix's range: before every key, or after every key.
            int n = Math.Min(user.Length, _prefix.Length);
            int c = user[..n].SequenceCompareTo(_prefix.AsSpan(0, n));
            lo = hi = c < 0 || (c == 0 && user.Length < _prefix.Length) ? 0 : _words.Length - 1;
            return;
        }

        ulong word = Word(user, _prefix.Length);
        int below = LowerBound(word);          // restarts [0, below) sort before the target
        int notAbove = UpperBound(word, below); // restarts [notAbove, n) sort after it
        lo = Math.Max(below - 1, 0);
        hi = Math.Max(notAbove - 1, 0);
    }

    /// <summary>The first index whose word is at least <paramref name="word"/>.</summary>
    private int LowerBound(ulong word)
    {
        // The first sample at least the word bounds the answer: every word of the run before it is smaller but
        // the run's last ones may not be, so the answer is in (start of the previous run, this sample].
        int sample = LowerBound(_samples, 0, _samples.Length, word);
        int lo = sample == 0 ? 0 : ((sample - 1) << SampleShift) + 1;
        int hi = sample == _samples.Length ? _words.Length : sample << SampleShift;
        return LowerBound(_words, lo, hi, word);
    }

    /// <summary>
    /// The first index at or after <paramref name="from"/> whose word is above <paramref name="word"/>. Equal words
    /// are rare (keys that share their first 8 bytes past the prefix), so the search gallops from
    /// <paramref name="from"/>, usually stopping at once, before it halves.
    /// </summary>
    private int UpperBound(ulong word, int from)
    {
        ulong[] words = _words;
        int lo = from;
        int hi = from;
        int step = 1;
        while (hi < words.Length && words[hi] <= word)
        {
            lo = hi + 1;
            hi = from + step;
            step <<= 1;
        }

        // words[lo - 1] <= word (or lo == from); words[hi] > word (or hi is past the end).
        hi = Math.Min(hi, words.Length);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (words[mid] <= word)
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

    /// <summary>The first index in [<paramref name="lo"/>, <paramref name="hi"/>) whose value is at least <paramref name="word"/>, or <paramref name="hi"/>.</summary>
    private static int LowerBound(ulong[] values, int lo, int hi, ulong word)
    {
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (values[mid] < word)
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

    private static bool TryUserKey(ReadOnlySpan<byte> key, bool internalKeys, out ReadOnlySpan<byte> user)
    {
        if (!internalKeys)
        {
            user = key;
            return true;
        }

        user = key.Length >= InternalKey.TrailerSize ? InternalKey.UserKey(key) : default;
        return key.Length >= InternalKey.TrailerSize;
    }

    /// <summary>Up to 8 bytes of <paramref name="key"/> from <paramref name="start"/>, big-endian, zero-padded.</summary>
    private static ulong Word(ReadOnlySpan<byte> key, int start)
    {
        ReadOnlySpan<byte> rest = key[start..];
        if (rest.Length >= sizeof(ulong))
        {
            return BinaryPrimitives.ReadUInt64BigEndian(rest);
        }

        Span<byte> padded = stackalloc byte[sizeof(ulong)];
        padded.Clear();
        rest.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }
}
