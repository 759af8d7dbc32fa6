using System.Buffers.Binary;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>How the values of a block's entries are encoded.</summary>
internal enum BlockValueFormat
{
    /// <summary>Each entry stores its value length: data, metaindex and properties blocks, and index blocks before version 4.</summary>
    LengthPrefixed,

    /// <summary>Index blocks from format version 4: no value length; a handle, or a signed size delta when the key shares bytes.</summary>
    DeltaEncodedHandles,
}

/// <summary>
/// One verified, uncompressed block, parsed far enough to locate its restart array.
/// </summary>
/// <remarks>
/// A small value over a byte array or over native memory (a block held in the <see cref="BlockCache"/>): immutable
/// and thread-safe as long as the memory is (blocks read into a <see cref="BlockBuffer"/> are valid only until that
/// buffer is refilled or released, cached blocks until their <see cref="Cache.CacheHandle"/> is released), and any
/// number of <see cref="BlockIterator"/>s may read it. The default value is an empty block that no iterator enters.
/// Construction checks that the restart array fits, so iterators can trust <see cref="RestartsOffset"/>;
/// entries themselves are checked as they are decoded. See format-spec.md, "Blocks".
/// </remarks>
internal readonly unsafe struct Block
{
    private readonly byte[]? _array;
    private readonly nint _pointer;

    private Block(
        byte[]? array,
        nint pointer,
        int length,
        int restartsOffset,
        int numRestarts,
        int valuesOffset,
        string file,
        long fileOffset)
    {
        _array = array;
        _pointer = pointer;
        Length = length;
        RestartsOffset = restartsOffset;
        NumRestarts = numRestarts;
        ValuesOffset = valuesOffset;
        File = file;
        FileOffset = fileOffset;
    }

    /// <summary>The block's <see cref="Length"/> bytes, in the managed array or the native memory it lives in.</summary>
    public ReadOnlySpan<byte> Bytes => _array is not null ? new ReadOnlySpan<byte>(_array, 0, Length) : new ReadOnlySpan<byte>((void*)_pointer, Length);

    public int Length { get; }

    /// <summary>Where the restart array starts; also the end of the entries (or of the values section).</summary>
    public int RestartsOffset { get; }

    public int NumRestarts { get; }

    /// <summary>Start of the values section for separated key/value blocks, or -1 when values are inline.</summary>
    public int ValuesOffset { get; }

    /// <summary>End of the entry (key) section.</summary>
    public int EntriesEnd => ValuesOffset >= 0 ? ValuesOffset : RestartsOffset;

    public string File { get; }

    /// <summary>The block's offset in <see cref="File"/>, for error messages.</summary>
    public long FileOffset { get; }

    public uint RestartPoint(int index) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes.Slice(RestartsOffset + (index * 4), 4));

    /// <summary>Parses a block held in the first <paramref name="length"/> bytes of a managed array.</summary>
    /// <exception cref="CorruptionException">The footer or restart array does not fit in the block.</exception>
    /// <exception cref="NotSupportedException">The footer uses the reserved flag bit of a future format.</exception>
    public static Block Parse(byte[] data, int length, string file, long fileOffset) =>
        Parse(data, 0, data.AsSpan(0, length), file, fileOffset, verifyRestarts: true);

    /// <summary>
    /// Parses a block in native memory, which must stay valid and unchanged while the block is used.
    /// <paramref name="verifyRestarts"/> false skips the check of every restart point, for a block already parsed once
    /// (a cached block is verified before it is inserted).
    /// </summary>
    public static Block Parse(nint pointer, int length, string file, long fileOffset, bool verifyRestarts = true) =>
        Parse(null, pointer, new ReadOnlySpan<byte>((void*)pointer, length), file, fileOffset, verifyRestarts);

    /// <summary>Parses the block footer: restart count, flags, and the optional hash index and values offset.</summary>
    /// <remarks>
    /// The footer word's flag bits are decoded for every kind of block, as RocksDB does (an index block may
    /// carry the uniform-keys hint); only data blocks are ever written with a hash index or separated values.
    /// </remarks>
    private static Block Parse(byte[]? array, nint pointer, ReadOnlySpan<byte> data, string file, long fileOffset, bool verifyRestarts)
    {
        int length = data.Length;
        if (length < 4)
        {
            throw new CorruptionException("block too small for its restart count", file, fileOffset);
        }

        int end = length - 4;
        uint packed = Coding.ReadFixed32(data[end..]);
        if ((packed & TableFormat.DataBlockReservedBit) != 0)
        {
            throw new NotSupportedException(
                $"Block at offset {fileOffset} in {file} uses a block feature newer than this engine (reserved footer bit).");
        }

        bool hasHashIndex = (packed & TableFormat.DataBlockHashIndexBit) != 0;
        bool separated = (packed & TableFormat.DataBlockSeparatedKvBit) != 0;
        packed &= TableFormat.DataBlockMaxRestarts; // also drops the uniform-keys hint
        int valuesOffset = -1;
        if (separated)
        {
            if (end < 4)
            {
                throw new CorruptionException("block too small for its values offset", file, fileOffset);
            }

            end -= 4;
            valuesOffset = (int)Math.Min(Coding.ReadFixed32(data[end..]), int.MaxValue);
        }

        if (hasHashIndex)
        {
            // [buckets: one byte each][bucket count u16] sit between the restart array and the footer.
            if (end < 2)
            {
                throw new CorruptionException("block too small for its hash index", file, fileOffset);
            }

            int buckets = data[end - 2] | (data[end - 1] << 8);
            end -= 2 + buckets;
            if (end < 0)
            {
                throw new CorruptionException("hash index larger than its block", file, fileOffset);
            }
        }

        if (packed == 0 || packed > (uint)end / 4)
        {
            throw new CorruptionException($"bad restart count {packed} for a block of {length} bytes", file, fileOffset + length - 4);
        }

        int numRestarts = (int)packed;
        int restartsOffset = end - (numRestarts * 4);
        if (valuesOffset > restartsOffset)
        {
            throw new CorruptionException("values section starts past the restart array", file, fileOffset + end);
        }

        int entriesEnd = valuesOffset >= 0 ? valuesOffset : restartsOffset;
        if (verifyRestarts)
        {
            ReadOnlySpan<byte> restarts = data.Slice(restartsOffset, numRestarts * 4);
            for (int i = 0; i < numRestarts; i++)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(restarts[(i * 4)..]) > (uint)entriesEnd)
                {
                    throw new CorruptionException($"restart point {i} lies outside the block", file, fileOffset + restartsOffset + (i * 4));
                }
            }
        }

        return new Block(array, pointer, length, restartsOffset, numRestarts, valuesOffset, file, fileOffset);
    }
}
