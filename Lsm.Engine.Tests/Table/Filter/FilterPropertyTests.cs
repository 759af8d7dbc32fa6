using System.Buffers.Binary;
using FsCheck;
using FsCheck.Xunit;
using Lsm.Engine.Table.Filter;
using Xunit.Abstractions;

namespace Lsm.Engine.Tests.Table.Filter;

public class FilterPropertyTests
{
    private readonly ITestOutputHelper _output;

    public FilterPropertyTests(ITestOutputHelper output) => _output = output;

    [Property(MaxTest = 300)]
    public void FastLocalBloom_HasNoFalseNegatives(byte[][] keys, PositiveInt bitsSelector, bool optimizeFiltersForMemory)
    {
        // 0.5 .. 30 bits/key in half-bit steps, covering 1..24 probes.
        double bitsPerKey = 0.5 + ((bitsSelector.Get % 60) * 0.5);
        var builder = new FullFilterBuilder(bitsPerKey, optimizeFiltersForMemory);
        foreach (byte[] key in keys)
        {
            builder.AddKey(key);
        }

        FilterReader reader = FilterReader.Create(builder.Finish());
        foreach (byte[] key in keys)
        {
            Assert.True(reader.KeyMayMatch(key));
        }
    }

    [Property(MaxTest = 200)]
    public void FastLocalBloom_HasNoFalseNegatives_ManyKeys(PositiveInt count, int seed, NormalFloat bits)
    {
        double bitsPerKey = Math.Clamp(Math.Abs(bits.Get), 0.5, 40);
        int n = count.Get % 20000;
        var random = new Random(seed);
        var keys = new byte[n][];
        var builder = new FullFilterBuilder(bitsPerKey);
        for (int i = 0; i < n; i++)
        {
            keys[i] = new byte[random.Next(0, 40)];
            random.NextBytes(keys[i]);
            builder.AddKey(keys[i]);
        }

        FilterReader reader = FilterReader.Create(builder.Finish());
        foreach (byte[] key in keys)
        {
            Assert.True(reader.KeyMayMatch(key));
        }
    }

    [Property(MaxTest = 200)]
    public void LegacyBloom_HasNoFalseNegatives(byte[][] keys, PositiveInt bitsSelector)
    {
        double bitsPerKey = 1 + (bitsSelector.Get % 30);
        FilterReader reader = FilterReader.Create(FilterTestKeys.BuildLegacy(bitsPerKey, keys));
        foreach (byte[] key in keys)
        {
            Assert.True(reader.KeyMayMatch(key));
        }
    }

    /// <summary>
    /// The hashed-once probe a lookup uses answers exactly as the plain probe, for the reader and its detached form
    /// (both filter kinds, present and absent keys), and a prefetch changes nothing.
    /// </summary>
    [Property(MaxTest = 200)]
    public void KeyMayMatch_WithSliceHash_AnswersAsWithoutIt(byte[][] keys, byte[][] probes, bool legacy)
    {
        byte[] contents;
        if (legacy)
        {
            contents = FilterTestKeys.BuildLegacy(4, keys);
        }
        else
        {
            var builder = new FullFilterBuilder(4);
            foreach (byte[] key in keys)
            {
                builder.AddKey(key);
            }

            contents = builder.Finish();
        }

        FilterReader reader = FilterReader.Create(contents);
        FilterReader detached = FilterReader.CreateDetached(contents);
        foreach (byte[] key in keys.Concat(probes))
        {
            ulong hash = Lsm.Engine.Hashing.Xxph3.GetSliceHash64(key);
            reader.Prefetch(default, hash);
            detached.Prefetch(contents, hash);
            bool expected = reader.KeyMayMatch(key);
            Assert.Equal(expected, reader.KeyMayMatch(key, hash));
            Assert.Equal(expected, detached.KeyMayMatch(contents, key, hash));
            Assert.Equal(expected, detached.KeyMayMatch(contents, key));
        }
    }

    // 100k present keys vs 100k absent keys, 16-byte keys like "user00000000xxxx".
    [Theory]
    [InlineData(6, 0.07)]
    [InlineData(10, 0.012)]
    [InlineData(16, 0.0015)]
    public void FastLocalBloom_FalsePositiveRate(double bitsPerKey, double maxRate)
    {
        const int Count = 100_000;
        var builder = new FullFilterBuilder(bitsPerKey);
        byte[] key = "user00000000-key"u8.ToArray();
        for (int i = 0; i < Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(4), i);
            builder.AddKey(key);
        }

        byte[] filter = builder.Finish();
        FilterReader reader = FilterReader.Create(filter);
        for (int i = 0; i < Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(4), i);
            Assert.True(reader.KeyMayMatch(key));
        }

        int falsePositives = 0;
        for (int i = Count; i < 2 * Count; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(key.AsSpan(4), i);
            if (reader.KeyMayMatch(key))
            {
                falsePositives++;
            }
        }

        double rate = falsePositives / (double)Count;
        _output.WriteLine($"{bitsPerKey} bits/key: {reader.NumProbes} probes, {filter.Length} bytes, FP rate {rate:P3}");
        Assert.True(rate <= maxRate, $"{bitsPerKey} bits/key: FP rate {rate:P3} > {maxRate:P3}");
    }
}
