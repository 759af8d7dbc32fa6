using System.Buffers.Binary;
using Lsm.Engine.Hashing;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Tests.Table.Filter;

/// <summary>Helpers mirroring util/bloom_test.cc's key scheme and fingerprints.</summary>
internal static class FilterTestKeys
{
    /// <summary>bloom_test.cc Key(i): 4-byte little-endian fixed32.</summary>
    public static byte[] Key(int i)
    {
        byte[] key = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(key, i);
        return key;
    }

    public static byte[] BuildFast(double bitsPerKey, int firstKey, int endKey, bool optimizeFiltersForMemory)
    {
        var builder = new FullFilterBuilder(bitsPerKey, optimizeFiltersForMemory);
        Span<byte> key = stackalloc byte[4];
        for (int i = firstKey; i < endKey; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(key, i);
            builder.AddKey(key);
        }

        return builder.Finish();
    }

    /// <summary>Legacy (format_version &lt; 5) filter as RocksDB's LegacyBloomBitsBuilder builds it with 64-byte lines.</summary>
    public static byte[] BuildLegacy(double bitsPerKey, IEnumerable<byte[]> keys)
    {
        var hashes = new List<uint>();
        foreach (byte[] key in keys)
        {
            uint h = LegacyHash.BloomHash(key);
            if (hashes.Count == 0 || hashes[^1] != h)
            {
                hashes.Add(h);
            }
        }

        int wholeBits = LegacyBloom.WholeBitsPerKey(FastLocalBloom.ToMillibitsPerKey(bitsPerKey));
        return LegacyBloom.Build(hashes.ToArray(), wholeBits);
    }

    public static byte[] BuildLegacy(double bitsPerKey, int firstKey, int endKey) =>
        BuildLegacy(bitsPerKey, Enumerable.Range(firstKey, endKey - firstKey).Select(Key));

    /// <summary>bloom_test.cc PackedMatches: bit i set when Key(i + 12345) may match.</summary>
    public static ulong PackedMatches(FilterReader reader)
    {
        ulong result = 0;
        for (int i = 0; i < 64; i++)
        {
            if (reader.KeyMayMatch(Key(i + 12345)))
            {
                result |= 1UL << i;
            }
        }

        return result;
    }

    /// <summary>bloom_test.cc FirstFPs: indexes i of the first false positives among Key(i + 1000000).</summary>
    public static string FirstFPs(FilterReader reader, int count)
    {
        var found = new List<int>();
        for (int i = 0; i < 1000000 && found.Count < count; i++)
        {
            if (reader.KeyMayMatch(Key(i + 1000000)))
            {
                found.Add(i);
            }
        }

        return string.Join(',', found);
    }

    /// <summary>bloom_test.cc FalsePositiveRate: share of Key(i + 1e9), i &lt; 10000, that may match.</summary>
    public static double FalsePositiveRate(FilterReader reader)
    {
        int hits = 0;
        for (int i = 0; i < 10000; i++)
        {
            if (reader.KeyMayMatch(Key(i + 1000000000)))
            {
                hits++;
            }
        }

        return hits / 10000.0;
    }

    /// <summary>bloom_test.cc RawFilterTester: a tail slice of a 3000-byte buffer whose last 5 bytes are metadata.</summary>
    public static byte[] RawFilter(uint lengthWithoutMetadata, uint numLines, uint numProbes, byte? fill)
    {
        byte[] data = new byte[3000];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = fill ?? unchecked((byte)(0x7b7b >> (i % 7)));
        }

        int metadata = data.Length - 5;
        data[metadata] = unchecked((byte)numProbes);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(metadata + 1), numLines);
        long len = (long)lengthWithoutMetadata + 5;
        // Lengths that would not fit (the "negative" lengths in bloom_test.cc) wrap like uint32.
        len = (uint)len;
        return data.AsSpan((int)(data.Length - len), (int)len).ToArray();
    }
}
