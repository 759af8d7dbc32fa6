using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Lsm.Engine.Hashing;

namespace Lsm.Engine.Table.Filter;

/// <summary>
/// Reader for RocksDB's legacy full-filter Bloom (written for format_version &lt; 5):
/// LegacyLocalityBloomImpl&lt;ExtraRotates = false&gt; in util/bloom_impl.h.
/// </summary>
/// <remarks>
/// <para>Contents: <c>num_lines</c> cache lines of equal power-of-two size (64 bytes on the x86
/// machines that wrote most such files, 128 on ARM64/POWER, 256 on s390x), then a 5-byte trailer:
/// num_probes (1..127) and fixed32 num_lines. The line size is derived as len / num_lines.</para>
/// <para>Probing uses the 32-bit <see cref="LegacyHash.BloomHash"/> h: line = h % num_lines;
/// then num_probes times: bit = h &amp; (line_bits - 1) within the line, h += rotr(h, 17).</para>
/// </remarks>
internal sealed class LegacyBloomReader : FilterReader
{
    // Keeps the in-line bit mask below 2^31 (a 256 MiB single line), far beyond real files.
    private const int MaxLog2LineBytes = 28;

    private readonly ReadOnlyMemory<byte> _bits;
    private readonly int _numProbes;
    private readonly uint _numLines;
    private readonly int _log2LineBytes;

    private LegacyBloomReader(ReadOnlyMemory<byte> bits, int numProbes, uint numLines, int log2LineBytes, long sizeBytes)
        : base(sizeBytes, malformed: false)
    {
        _bits = bits;
        _numProbes = numProbes;
        _numLines = numLines;
        _log2LineBytes = log2LineBytes;
    }

    public override string Kind => LegacyBloomKind;

    public override int NumProbes => _numProbes;

    /// <summary>Bytes per cache line this filter was built with.</summary>
    public int LineBytes => 1 << _log2LineBytes;

    /// <summary>Number of cache lines.</summary>
    public uint NumLines => _numLines;

    /// <summary>
    /// Creates the reader for contents whose marker byte (at length - 5) is 1..127, or an
    /// always-may-match reader when the geometry is inconsistent (as RocksDB does).
    /// </summary>
    /// <param name="span">The contents, trailer included.</param>
    /// <param name="memory">The same bytes, for the reader to keep; empty for a detached reader (<see cref="FilterReader.CreateDetached"/>).</param>
    internal static FilterReader CreateLegacy(ReadOnlySpan<byte> span, ReadOnlyMemory<byte> memory)
    {
        int total = span.Length;
        int len = total - MetadataLength;
        int numProbes = span[len];
        uint numLines = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(len + 1, 4));

        // There must be a power-of-two line size x with num_lines * x == len.
        if (len <= 0 || numProbes is < 1 or > 127 || numLines == 0 || (uint)len % numLines != 0)
        {
            return new AlwaysMayMatchFilterReader(MalformedKind, total, malformed: true);
        }

        uint lineBytes = (uint)len / numLines;
        if (!BitOperations.IsPow2(lineBytes) || BitOperations.Log2(lineBytes) > MaxLog2LineBytes)
        {
            return new AlwaysMayMatchFilterReader(MalformedKind, total, malformed: true);
        }

        return new LegacyBloomReader(memory.IsEmpty ? default : memory[..len], numProbes, numLines, BitOperations.Log2(lineBytes), total);
    }

    public override bool KeyMayMatch(ReadOnlySpan<byte> key) =>
        LegacyBloom.HashMayMatch(LegacyHash.BloomHash(key), _numLines, _numProbes, _bits.Span, _log2LineBytes);

    public override bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key) =>
        LegacyBloom.HashMayMatch(LegacyHash.BloomHash(key), _numLines, _numProbes, contents[..^MetadataLength], _log2LineBytes);
}

/// <summary>
/// The legacy Bloom algorithm (shared by <see cref="LegacyBloomReader"/> and a builder used for
/// tests / format_version &lt; 5), plus LegacyBloomBitsBuilder's sizing rules.
/// </summary>
internal static class LegacyBloom
{
    /// <summary>Cache line size RocksDB uses when writing on x86-64 (CACHE_LINE_SIZE).</summary>
    public const int DefaultLog2LineBytes = 6;

    /// <summary>LegacyNoLocalityBloomImpl::ChooseNumProbes: floor(bits/key * 0.69), clamped to 1..30.</summary>
    public static int ChooseNumProbes(int wholeBitsPerKey) => Math.Clamp((int)(wholeBitsPerKey * 0.69), 1, 30);

    /// <summary>
    /// Whole bits/key the legacy builder uses: BloomLikeFilterPolicy rounds millibits to the
    /// nearest whole bit (e.g. 9.5 and 10.499 both give 10).
    /// </summary>
    public static int WholeBitsPerKey(int millibitsPerKey) => (millibitsPerKey + 500) / 1000;

    /// <summary>
    /// LegacyBloomBitsBuilder sizing: total bits = entries * bits/key (capped at 0xffff0000),
    /// rounded up to whole lines, and the line count forced odd.
    /// </summary>
    public static uint CalculateNumLines(long numEntries, int wholeBitsPerKey, int log2LineBytes = DefaultLog2LineBytes)
    {
        ulong totalBits = Math.Min((ulong)numEntries * (ulong)wholeBitsPerKey, 0xffff0000UL);
        ulong lineBits = 8UL << log2LineBytes;
        uint numLines = (uint)((totalBits + lineBits - 1) / lineBits);
        if (numLines % 2 == 0)
        {
            numLines++;
        }

        return numLines;
    }

    /// <summary>Line offset for hash h (no extra rotation in the format RocksDB shipped).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LineOffset(uint h, uint numLines, int log2LineBytes) => (int)((h % numLines) << log2LineBytes);

    /// <summary>Sets the probe bits of 32-bit hash <paramref name="h"/>.</summary>
    public static void AddHash(uint h, uint numLines, int numProbes, Span<byte> data, int log2LineBytes)
    {
        Span<byte> line = data.Slice(LineOffset(h, numLines, log2LineBytes), 1 << log2LineBytes);
        uint mask = (1u << (log2LineBytes + 3)) - 1;
        uint delta = BitOperations.RotateRight(h, 17);
        for (int i = 0; i < numProbes; i++)
        {
            uint bitPos = h & mask;
            line[(int)(bitPos >> 3)] |= (byte)(1 << (int)(bitPos & 7));
            h += delta;
        }
    }

    /// <summary>True when every probe bit of 32-bit hash <paramref name="h"/> is set.</summary>
    public static bool HashMayMatch(uint h, uint numLines, int numProbes, ReadOnlySpan<byte> data, int log2LineBytes)
    {
        ReadOnlySpan<byte> line = data.Slice(LineOffset(h, numLines, log2LineBytes), 1 << log2LineBytes);
        uint mask = (1u << (log2LineBytes + 3)) - 1;
        uint delta = BitOperations.RotateRight(h, 17);
        for (int i = 0; i < numProbes; i++)
        {
            uint bitPos = h & mask;
            if ((line[(int)(bitPos >> 3)] & (1 << (int)(bitPos & 7))) == 0)
            {
                return false;
            }

            h += delta;
        }

        return true;
    }

    /// <summary>
    /// Builds legacy filter contents exactly as LegacyBloomBitsBuilder::Finish does, from
    /// <see cref="LegacyHash.BloomHash"/> values with adjacent duplicates already removed.
    /// Returns an empty array for no hashes.
    /// </summary>
    public static byte[] Build(ReadOnlySpan<uint> hashes, int wholeBitsPerKey, int log2LineBytes = DefaultLog2LineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(wholeBitsPerKey, 1);
        if (hashes.IsEmpty)
        {
            return [];
        }

        int numProbes = ChooseNumProbes(wholeBitsPerKey);
        uint numLines = CalculateNumLines(hashes.Length, wholeBitsPerKey, log2LineBytes);
        long len = (long)numLines << log2LineBytes;
        if (len + FilterReader.MetadataLength > Array.MaxLength)
        {
            throw new InvalidOperationException("Legacy Bloom filter too large.");
        }

        var filter = new byte[len + FilterReader.MetadataLength];
        Span<byte> bits = filter.AsSpan(0, (int)len);
        foreach (uint h in hashes)
        {
            AddHash(h, numLines, numProbes, bits, log2LineBytes);
        }

        filter[len] = (byte)numProbes;
        BinaryPrimitives.WriteUInt32LittleEndian(filter.AsSpan((int)len + 1, 4), numLines);
        return filter;
    }
}
