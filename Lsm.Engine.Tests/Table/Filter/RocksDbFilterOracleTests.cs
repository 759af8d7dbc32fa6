using Lsm.Engine.Hashing;
using Lsm.Engine.Table.Filter;

namespace Lsm.Engine.Tests.Table.Filter;

/// <summary>
/// Bit-exactness against the real thing: RocksDB's SstFileWriter (native library from the
/// RocksDB NuGet package) writes a table with a full filter; our builder's output for the same
/// keys must appear verbatim in the file (filter blocks are stored uncompressed).
/// Skipped where the native library is unavailable.
/// </summary>
public class RocksDbFilterOracleTests
{
    private static List<byte[]> SortedKeys(int count) =>
        Enumerable.Range(0, count).Select(i => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}")).ToList();

    private static bool Contains(byte[] file, byte[] block) => file.AsSpan().IndexOf(block) >= 0;

    [Fact]
    public void NativeRocksDb_IsAvailableOnLinuxX64()
    {
        // Guards against the oracle tests passing vacuously where they are expected to run.
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.True(RocksDbNative.IsAvailable);
        }
    }

    [Theory]
    [InlineData(10.0, new[] { 1, 2, 87, 1000, 2087, 10000, 100000 })]
    [InlineData(5.0, new[] { 1, 87, 2087 })]
    [InlineData(16.0, new[] { 1, 3, 2087, 10000 })]
    [InlineData(9.5, new[] { 7, 2088 })]
    [InlineData(2.0, new[] { 1, 2087 })]
    [InlineData(1.234, new[] { 500 })]
    [InlineData(33.3, new[] { 5, 500 })]
    public void FullFilter_MatchesRocksDbSstFileWriter(double bitsPerKey, int[] counts)
    {
        if (!RocksDbNative.IsAvailable)
        {
            return;
        }

        foreach (int count in counts)
        {
            List<byte[]> keys = SortedKeys(count);
            // null: RocksDB's default (optimize_filters_for_memory = true), our default ctor.
            foreach (bool? offm in new bool?[] { null, false, true })
            {
                byte[] file = RocksDbNative.WriteSst(keys, bitsPerKey, formatVersion: 7, offm);
                FullFilterBuilder builder = offm is bool explicitOffm
                    ? new FullFilterBuilder(bitsPerKey, explicitOffm)
                    : new FullFilterBuilder(bitsPerKey);
                foreach (byte[] key in keys)
                {
                    builder.AddKey(key);
                }

                byte[] ours = builder.Finish();
                Assert.True(Contains(file, ours), $"{bitsPerKey} bits/key, {count} keys, offm={offm}: filter bytes not found in RocksDB's SST");
                Assert.True(Contains(file, System.Text.Encoding.ASCII.GetBytes(FilterPolicyNames.FullFilterMetaIndexKey)));
                // Property keys are prefix-compressed against "rocksdb.<previous>", so look for the tail.
                Assert.True(Contains(file, "filter.policy"u8.ToArray()));
                Assert.True(Contains(file, System.Text.Encoding.ASCII.GetBytes(FilterPolicyNames.BloomFilterPolicyName)));
            }
        }
    }

    [Theory]
    [InlineData(10.0, 1)]
    [InlineData(10.0, 2087)]
    [InlineData(3.0, 500)]
    [InlineData(14.4, 3000)]
    public void LegacyFilter_MatchesRocksDbFormatVersion4(double bitsPerKey, int count)
    {
        if (!RocksDbNative.IsAvailable)
        {
            return;
        }

        List<byte[]> keys = SortedKeys(count);
        byte[] file = RocksDbNative.WriteSst(keys, bitsPerKey, formatVersion: 4, optimizeFiltersForMemory: null);
        byte[] ours = FilterTestKeys.BuildLegacy(bitsPerKey, keys);
        Assert.True(Contains(file, ours), "legacy filter bytes not found in RocksDB's SST");
        FilterReader reader = FilterReader.Create(ours);
        Assert.Equal(FilterReader.LegacyBloomKind, reader.Kind);
        Assert.All(keys, k => Assert.True(reader.KeyMayMatch(k)));
        Assert.Equal(LegacyHash.BloomHash(keys[0]), LegacyHash.Hash(keys[0], 0xbc9f1d34));
    }
}
