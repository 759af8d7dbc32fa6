using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Lsm.Engine.Table.Filter;

/// <summary>
/// RocksDB's cache-local Bloom filter ("FastLocalBloom", the format_version &gt;= 5 Bloom):
/// FastLocalBloomImpl in util/bloom_impl.h plus the sizing rules of FastLocalBloomBitsBuilder
/// and BloomLikeFilterPolicy in table/block_based/filter_policy.cc.
/// </summary>
/// <remarks>
/// Layout of the filter bits (the metadata trailer is handled by <see cref="FullFilterBuilder"/>
/// and <see cref="FilterReader"/>):
/// <list type="bullet">
/// <item>The bit array is <c>len</c> bytes, a whole number of 64-byte "cache lines"
/// (512-bit blocks). Every probe of a key lands in one block.</item>
/// <item>A key's 64-bit hash h (<see cref="Hashing.Xxph3.GetSliceHash64"/>) is split into
/// h1 = lower 32 bits, which picks the block by 32-bit "fastrange":
/// <c>block = (h1 * (len / 64)) &gt;&gt; 32</c>, and h2 = upper 32 bits, which drives the probes.</item>
/// <item>Probe i uses <c>h2 * 0x9e3779b9^i</c> (mod 2^32); its top 9 bits are the bit address
/// inside the 512-bit block: byte = addr &gt;&gt; 3, bit = addr &amp; 7 (LSB first).</item>
/// </list>
/// </remarks>
internal static class FastLocalBloom
{
    /// <summary>Bytes per block (cache line); the only block size RocksDB supports for this format.</summary>
    public const int BlockBytes = 64;

    /// <summary>Length of the metadata trailer RocksDB's built-in filters append.</summary>
    public const int MetadataLength = 5;

    /// <summary>Largest bit-array length (bytes) the format supports.</summary>
    public const uint MaxLength = 0xffffffc0;

    /// <summary>Golden-ratio multiplier that re-mixes h2 between probes.</summary>
    private const uint ProbeMultiplier = 0x9e3779b9;

    /// <summary>Largest number of probes a reader accepts (RocksDB reserves 0 and 31).</summary>
    public const int MaxProbes = 30;

    /// <summary>
    /// RocksDB's BloomLikeFilterPolicy sanitisation of bits/key, returned as millibits/key:
    /// below 0.5 means "no filter" (0), [0.5, 1) becomes 1 bit, at least 100 (or NaN) becomes
    /// 100 bits, and the rest is rounded with a small upward nudge so that values written with
    /// three decimals are exact.
    /// </summary>
    public static int ToMillibitsPerKey(double bitsPerKey)
    {
        if (bitsPerKey < 0.5)
        {
            bitsPerKey = 0;
        }
        else if (bitsPerKey < 1.0)
        {
            bitsPerKey = 1.0;
        }
        else if (!(bitsPerKey < 100.0))
        {
            // Also catches NaN.
            bitsPerKey = 100.0;
        }

        return (int)((bitsPerKey * 1000.0) + 0.500001);
    }

    /// <summary>FastLocalBloomImpl::ChooseNumProbes: the most accurate probe count for a given density.</summary>
    public static int ChooseNumProbes(int millibitsPerKey)
    {
        if (millibitsPerKey <= 2080)
        {
            return 1;
        }

        if (millibitsPerKey <= 3580)
        {
            return 2;
        }

        if (millibitsPerKey <= 5100)
        {
            return 3;
        }

        if (millibitsPerKey <= 6640)
        {
            return 4;
        }

        if (millibitsPerKey <= 8300)
        {
            return 5;
        }

        if (millibitsPerKey <= 10070)
        {
            return 6;
        }

        if (millibitsPerKey <= 11720)
        {
            return 7;
        }

        if (millibitsPerKey <= 14001)
        {
            return 8;
        }

        if (millibitsPerKey <= 16050)
        {
            return 9;
        }

        if (millibitsPerKey <= 18300)
        {
            return 10;
        }

        if (millibitsPerKey <= 22001)
        {
            return 11;
        }

        if (millibitsPerKey <= 25501)
        {
            return 12;
        }

        if (millibitsPerKey > 50000)
        {
            return 24;
        }

        return ((millibitsPerKey - 1) / 2000) - 1;
    }

    /// <summary>
    /// FastLocalBloomBitsBuilder::CalculateSpace: total filter length in bytes including the
    /// 5-byte trailer, for <paramref name="numEntries"/> &gt; 0 distinct-adjacent hashes. The bit
    /// array is ceil(entries * millibits / 8000) bytes, capped at <see cref="MaxLength"/>, then
    /// rounded UP to a multiple of 64.
    /// </summary>
    public static long CalculateSpace(long numEntries, int millibitsPerKey)
    {
        ulong raw = (((ulong)numEntries * (ulong)millibitsPerKey) + 7999) / 8000;
        if (raw >= MaxLength)
        {
            raw = MaxLength;
        }

        return (long)((raw + 63) & ~63UL) + MetadataLength;
    }

    /// <summary>
    /// Probe count RocksDB writes for a filter of <paramref name="lengthWithMetadata"/> bytes.
    /// With optimize_filters_for_memory (RocksDB's default since 9.2) it is chosen from the
    /// ACTUAL density after rounding to 64-byte blocks; without it, from the configured density.
    /// </summary>
    public static int GetNumProbes(long numEntries, long lengthWithMetadata, int millibitsPerKey, bool optimizeFiltersForMemory)
    {
        if (!optimizeFiltersForMemory)
        {
            return ChooseNumProbes(millibitsPerKey);
        }

        ulong millibits = (ulong)(lengthWithMetadata - MetadataLength) * 8000;
        ulong perKey = millibits / (ulong)Math.Max(numEntries, 1);
        // RocksDB narrows to int; realistic densities are far below int.MaxValue millibits.
        return ChooseNumProbes(perKey > int.MaxValue ? int.MaxValue : (int)perKey);
    }

    /// <summary>Byte offset of the 64-byte block that hash-half <paramref name="h1"/> selects.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BlockOffset(uint h1, uint lengthBytes)
    {
        uint blocks = lengthBytes >> 6;
        // 32-bit fastrange: maps h1 uniformly onto [0, blocks).
        return (int)((uint)(((ulong)h1 * blocks) >> 32) << 6);
    }

    /// <summary>Sets the probe bits of (h1, h2). <paramref name="data"/> is the bit array only (no trailer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddHash(uint h1, uint h2, int numProbes, Span<byte> data)
    {
        Span<byte> block = data.Slice(BlockOffset(h1, (uint)data.Length), BlockBytes);
        uint h = h2;
        for (int i = 0; i < numProbes; i++, h *= ProbeMultiplier)
        {
            // Top 9 bits: bit address within the 512-bit block.
            int bitPos = (int)(h >> (32 - 9));
            block[bitPos >> 3] |= (byte)(1 << (bitPos & 7));
        }
    }

    /// <summary>Adds a full 64-bit key hash: lower half picks the block, upper half the bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddHash(ulong hash, int numProbes, Span<byte> data) =>
        AddHash((uint)hash, (uint)(hash >> 32), numProbes, data);

    /// <summary>
    /// True when every probe bit of (h1, h2) is set. <paramref name="data"/> is the bit array only;
    /// it must hold at least one whole block (a trailing partial block is never addressed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HashMayMatch(uint h1, uint h2, int numProbes, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> block = data.Slice(BlockOffset(h1, (uint)data.Length), BlockBytes);
        uint h = h2;
        for (int i = 0; i < numProbes; i++, h *= ProbeMultiplier)
        {
            int bitPos = (int)(h >> (32 - 9));
            if ((block[bitPos >> 3] & (1 << (bitPos & 7))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Starts loading the 64-byte block (one cache line) a probe of <paramref name="hash"/> reads from
    /// <paramref name="data"/>, the bit array only. A hint: it never faults, and does nothing without SSE.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ulong hash, ReadOnlySpan<byte> data)
    {
        if (Sse.IsSupported && data.Length >= BlockBytes)
        {
            ref byte block = ref Unsafe.Add(ref MemoryMarshal.GetReference(data), BlockOffset((uint)hash, (uint)data.Length));
            Sse.Prefetch0(Unsafe.AsPointer(ref block));
        }
    }

    /// <summary>64-bit-hash form of <see cref="HashMayMatch(uint, uint, int, ReadOnlySpan{byte})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HashMayMatch(ulong hash, int numProbes, ReadOnlySpan<byte> data) =>
        HashMayMatch((uint)hash, (uint)(hash >> 32), numProbes, data);
}
