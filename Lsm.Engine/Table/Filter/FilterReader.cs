using System.Buffers.Binary;
using Lsm.Engine.Hashing;

namespace Lsm.Engine.Table.Filter;

/// <summary>
/// Query side of a RocksDB full filter block, dispatching on the 5-byte metadata trailer as
/// BuiltinFilterPolicy::GetBuiltinFilterBitsReader does.
/// </summary>
/// <remarks>
/// <para>Trailer (last 5 bytes; len = contents length - 5):</para>
/// <code>
/// contents[len] as signed byte:
///   1..127  legacy Bloom: num_probes, then fixed32 num_lines     -> LegacyBloomReader
///   0       zero probes                                          -> always may-match
///   -1      newer Bloom: [len+1] sub-impl (0 = FastLocalBloom),
///           [len+2] low 5 bits num_probes (1..30), top 3 bits log2(block bytes) - 6,
///           [len+3..len+5) reserved, must be 0                    -> FastLocalBloomReader
///   -2      Standard128 Ribbon                                   -> not implemented: always may-match
///   other   reserved                                             -> always may-match
/// </code>
/// <para>
/// An empty block means "built from zero keys" and never matches. A filter can only cost reads,
/// never correctness, so anything unrecognised answers "may match". <see cref="Create"/> never
/// throws: content that fails a sanity check gets an always-may-match reader with
/// <see cref="Malformed"/> set. Deliberate deviations from RocksDB, both on content RocksDB
/// never writes: 1..5 byte blocks (RocksDB: "no keys", always false) and FastLocalBloom blocks
/// with fewer than 64 filter bytes (RocksDB would read past the block) are treated as malformed.
/// </para>
/// </remarks>
internal abstract class FilterReader
{
    /// <summary>Kind reported for a FastLocalBloom filter.</summary>
    public const string FastLocalBloomKind = "FastLocalBloom";

    /// <summary>Kind reported for a legacy (format_version &lt; 5) Bloom filter.</summary>
    public const string LegacyBloomKind = "LegacyBloom";

    /// <summary>Kind reported for an empty block (zero keys).</summary>
    public const string EmptyKind = "Empty (always false)";

    /// <summary>Kind reported for a Ribbon filter, which this engine does not evaluate.</summary>
    public const string RibbonKind = "Ribbon (unsupported: always may-match)";

    /// <summary>Kind reported for RocksDB's explicit zero-probe "always true" filter.</summary>
    public const string ZeroProbesKind = "Zero probes (always may-match)";

    /// <summary>Kind reported for reserved / future metadata RocksDB also refuses to interpret.</summary>
    public const string UnknownKind = "Unknown (reserved format: always may-match)";

    /// <summary>Kind reported when the contents fail a sanity check.</summary>
    public const string MalformedKind = "Malformed (always may-match)";

    /// <summary>Length of the metadata trailer.</summary>
    public const int MetadataLength = FastLocalBloom.MetadataLength;

    private protected FilterReader(long sizeBytes, bool malformed)
    {
        SizeBytes = sizeBytes;
        Malformed = malformed;
    }

    /// <summary>Human-readable filter implementation, for diagnostics and tools.</summary>
    public abstract string Kind { get; }

    /// <summary>Probes per key, or 0 for the trivial readers.</summary>
    public virtual int NumProbes => 0;

    /// <summary>Size of the filter block contents in bytes (including the trailer).</summary>
    public long SizeBytes { get; }

    /// <summary>True when the contents failed a sanity check and the reader degraded to "may match".</summary>
    public bool Malformed { get; }

    /// <summary>
    /// False only if <paramref name="key"/> was certainly not added to the filter. The key is
    /// the exact byte string the builder hashed (user key without timestamp, or a prefix).
    /// </summary>
    public abstract bool KeyMayMatch(ReadOnlySpan<byte> key);

    /// <summary>
    /// <see cref="KeyMayMatch(ReadOnlySpan{byte})"/> against <paramref name="contents"/>, the same filter block's
    /// contents (trailer included) held elsewhere: how a reader made by <see cref="CreateDetached"/> probes a block
    /// kept in the block cache.
    /// </summary>
    public abstract bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key);

    /// <summary>
    /// <see cref="KeyMayMatch(ReadOnlySpan{byte})"/> given the key's <see cref="Xxph3.GetSliceHash64"/> too, so that a
    /// lookup probing several tables hashes the key once; readers whose filter hashes otherwise ignore it.
    /// </summary>
    public virtual bool KeyMayMatch(ReadOnlySpan<byte> key, ulong sliceHash) => KeyMayMatch(key);

    /// <summary>The detached form of <see cref="KeyMayMatch(ReadOnlySpan{byte}, ulong)"/>, against <paramref name="contents"/>.</summary>
    public virtual bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key, ulong sliceHash) => KeyMayMatch(contents, key);

    /// <summary>
    /// Asks the processor to start loading the memory a probe of <paramref name="sliceHash"/> will read (the contents
    /// given, or the reader's own when empty), so that the probes of several tables wait for memory together rather
    /// than one after another. A hint only: it reads nothing and never faults. Does nothing where not applicable.
    /// </summary>
    public virtual void Prefetch(ReadOnlySpan<byte> contents, ulong sliceHash)
    {
    }

    /// <summary>Parses the trailer of <paramref name="contents"/> and returns a matching reader. Never throws.</summary>
    /// <param name="contents">The filter block contents, without the block trailer (type byte and checksum). Not copied.</param>
    public static FilterReader Create(ReadOnlyMemory<byte> contents) => CreateFrom(contents.Span, contents);

    /// <summary>
    /// A reader that keeps only what the trailer of <paramref name="contents"/> says (kind, probes, geometry), not the
    /// bits: it answers <see cref="KeyMayMatch(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> only, given the same
    /// contents each time. Never throws.
    /// </summary>
    public static FilterReader CreateDetached(ReadOnlySpan<byte> contents) => CreateFrom(contents, default);

    /// <summary>Parses <paramref name="span"/>; the reader probes <paramref name="memory"/> (the same bytes), or only spans it is given when empty.</summary>
    private static FilterReader CreateFrom(ReadOnlySpan<byte> span, ReadOnlyMemory<byte> memory)
    {
        int total = span.Length;
        if (total == 0)
        {
            return new AlwaysFalseFilterReader(0);
        }

        if (total <= MetadataLength)
        {
            return new AlwaysMayMatchFilterReader(MalformedKind, total, malformed: true);
        }

        int len = total - MetadataLength;
        sbyte marker = (sbyte)span[len];
        if (marker > 0)
        {
            return LegacyBloomReader.CreateLegacy(span, memory);
        }

        return marker switch
        {
            0 => new AlwaysMayMatchFilterReader(ZeroProbesKind, total, malformed: false),
            -1 => CreateNewBloom(span, memory),
            -2 => new AlwaysMayMatchFilterReader(RibbonKind, total, malformed: false),
            _ => new AlwaysMayMatchFilterReader(UnknownKind, total, malformed: false),
        };
    }

    private static FilterReader CreateNewBloom(ReadOnlySpan<byte> span, ReadOnlyMemory<byte> memory)
    {
        int total = span.Length;
        int len = total - MetadataLength;
        byte subImplementation = span[len + 1];
        byte blockAndProbes = span[len + 2];
        int log2BlockBytes = ((blockAndProbes >> 5) & 7) + 6;
        int numProbes = blockAndProbes & 31;
        ushort reserved = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(len + 3, 2));

        if (numProbes < 1 || numProbes > FastLocalBloom.MaxProbes || reserved != 0
            || subImplementation != 0 || log2BlockBytes != 6)
        {
            // Reserved for future formats: RocksDB answers "may match" too.
            return new AlwaysMayMatchFilterReader(UnknownKind, total, malformed: false);
        }

        if (len < FastLocalBloom.BlockBytes)
        {
            // RocksDB never writes this (len is a positive multiple of 64) and would read out of bounds.
            return new AlwaysMayMatchFilterReader(MalformedKind, total, malformed: true);
        }

        return new FastLocalBloomReader(memory.IsEmpty ? default : memory[..len], numProbes, total);
    }
}

/// <summary>Reader for FastLocalBloom (format_version &gt;= 5) filters.</summary>
internal sealed class FastLocalBloomReader : FilterReader
{
    private readonly ReadOnlyMemory<byte> _bits;
    private readonly int _numProbes;

    /// <param name="bits">The bit array without the trailer; at least 64 bytes. A trailing partial block is ignored, as in RocksDB.</param>
    /// <param name="numProbes">1..30.</param>
    /// <param name="sizeBytes">Contents length including the trailer.</param>
    internal FastLocalBloomReader(ReadOnlyMemory<byte> bits, int numProbes, long sizeBytes)
        : base(sizeBytes, malformed: false)
    {
        _bits = bits;
        _numProbes = numProbes;
    }

    public override string Kind => FastLocalBloomKind;

    public override int NumProbes => _numProbes;

    public override bool KeyMayMatch(ReadOnlySpan<byte> key) =>
        FastLocalBloom.HashMayMatch(Xxph3.GetSliceHash64(key), _numProbes, _bits.Span);

    public override bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key) =>
        FastLocalBloom.HashMayMatch(Xxph3.GetSliceHash64(key), _numProbes, contents[..^MetadataLength]);

    public override bool KeyMayMatch(ReadOnlySpan<byte> key, ulong sliceHash) =>
        FastLocalBloom.HashMayMatch(sliceHash, _numProbes, _bits.Span);

    public override bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key, ulong sliceHash) =>
        FastLocalBloom.HashMayMatch(sliceHash, _numProbes, contents[..^MetadataLength]);

    public override void Prefetch(ReadOnlySpan<byte> contents, ulong sliceHash) =>
        FastLocalBloom.Prefetch(sliceHash, contents.IsEmpty ? _bits.Span : contents[..^MetadataLength]);
}

/// <summary>Answers "may match" for everything: unknown, unsupported or malformed filters.</summary>
internal sealed class AlwaysMayMatchFilterReader : FilterReader
{
    internal AlwaysMayMatchFilterReader(string kind, long sizeBytes, bool malformed)
        : base(sizeBytes, malformed)
    {
        Kind = kind;
    }

    public override string Kind { get; }

    public override bool KeyMayMatch(ReadOnlySpan<byte> key) => true;

    public override bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key) => true;
}

/// <summary>Answers "no" for everything: the filter of zero keys.</summary>
internal sealed class AlwaysFalseFilterReader : FilterReader
{
    internal AlwaysFalseFilterReader(long sizeBytes)
        : base(sizeBytes, malformed: false)
    {
    }

    public override string Kind => EmptyKind;

    public override bool KeyMayMatch(ReadOnlySpan<byte> key) => false;

    public override bool KeyMayMatch(ReadOnlySpan<byte> contents, ReadOnlySpan<byte> key) => false;
}
