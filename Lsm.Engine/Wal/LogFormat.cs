namespace Lsm.Engine.Wal;

/// <summary>
/// Constants of RocksDB's log format: the framing shared by the write-ahead log and the MANIFEST.
/// </summary>
/// <remarks>
/// <para>Written to disk: never renumber. See format-spec.md, section 14.1 "Write-ahead log (log format)".</para>
/// <para>
/// A log is a sequence of 32 KiB blocks. Each block holds physical records, each a header followed by
/// a payload; a logical record (one write batch) too long for the rest of a block is cut into a
/// <see cref="LogRecordType.First"/> fragment, any number of <see cref="LogRecordType.Middle"/> ones
/// and a <see cref="LogRecordType.Last"/> one. A record never straddles a block boundary: when fewer
/// bytes than a header remain in a block, they are written as zeros (the trailer) and the next record
/// starts the next block.
/// </para>
/// <code>
/// legacy header:     checksum u32 | length u16 | type u8                     (7 bytes)
/// recyclable header: checksum u32 | length u16 | type u8 | log number u32    (11 bytes)
/// </code>
/// <para>
/// All integers little-endian. The checksum is the masked CRC-32C of the type byte, the log number
/// (recyclable types only) and the payload. The length counts payload bytes only.
/// </para>
/// </remarks>
internal static class LogFormat
{
    /// <summary>Bytes per block; a physical record never crosses a block boundary.</summary>
    public const int BlockSize = 32 * 1024;

    /// <summary>Legacy header: checksum (4), length (2), type (1).</summary>
    public const int HeaderSize = 4 + 2 + 1;

    /// <summary>Recyclable header: the legacy header followed by the low 32 bits of the log number (4).</summary>
    public const int RecyclableHeaderSize = HeaderSize + 4;

    /// <summary>Offset of the little-endian payload length in a header.</summary>
    public const int LengthOffset = 4;

    /// <summary>Offset of the record type byte in a header.</summary>
    public const int TypeOffset = 6;

    /// <summary>Offset of the log number in a recyclable header.</summary>
    public const int LogNumberOffset = 7;

    /// <summary>
    /// Unknown record types with this bit set may be skipped by a reader that does not know them;
    /// unknown types without it are corruption.
    /// </summary>
    public const byte SafeToIgnoreMask = 0x80;

    /// <summary>Payload of a <see cref="LogRecordType.SetCompressionType"/> record: the compression type as fixed32.</summary>
    public const int CompressionTypeRecordSize = 4;

    /// <summary>Payload of a predecessor-WAL record: log number, size in bytes, last sequence, each fixed64.</summary>
    public const int PredecessorWalInfoSize = 3 * 8;

    /// <summary>One entry of a user-defined-timestamp-size record: column family id fixed32, timestamp size fixed16.</summary>
    public const int TimestampSizeEntrySize = 4 + 2;

    /// <summary>True for the types written with the 11-byte recyclable header.</summary>
    public static bool IsRecyclable(byte type) => type switch
    {
        (byte)LogRecordType.RecyclableFull or (byte)LogRecordType.RecyclableFirst
            or (byte)LogRecordType.RecyclableMiddle or (byte)LogRecordType.RecyclableLast
            or (byte)LogRecordType.RecyclableUserDefinedTimestampSize
            or (byte)LogRecordType.RecyclablePredecessorWalInfo => true,
        _ => false,
    };

    /// <summary>The header size a physical record of <paramref name="type"/> is written with.</summary>
    public static int HeaderSizeOf(byte type) => IsRecyclable(type) ? RecyclableHeaderSize : HeaderSize;
}

/// <summary>The type byte of a physical log record (RocksDB's <c>log::RecordType</c>).</summary>
/// <remarks>Written to disk: never renumber. See format-spec.md, section 14.1.</remarks>
internal enum LogRecordType : byte
{
    /// <summary>Reserved: a header of zeros marks preallocated space (or a recycled log's padding), never a record.</summary>
    Zero = 0,

    /// <summary>A whole logical record.</summary>
    Full = 1,

    /// <summary>The first fragment of a logical record.</summary>
    First = 2,

    /// <summary>A fragment that is neither first nor last.</summary>
    Middle = 3,

    /// <summary>The last fragment of a logical record.</summary>
    Last = 4,

    /// <summary><see cref="Full"/> with the recyclable header (RocksDB <c>recycle_log_file_num</c> &gt; 0).</summary>
    RecyclableFull = 5,

    /// <summary><see cref="First"/> with the recyclable header.</summary>
    RecyclableFirst = 6,

    /// <summary><see cref="Middle"/> with the recyclable header.</summary>
    RecyclableMiddle = 7,

    /// <summary><see cref="Last"/> with the recyclable header.</summary>
    RecyclableLast = 8,

    /// <summary>
    /// Metadata, first record of a log written with WAL compression: the compression type of every later
    /// record (fixed32). Always written with the legacy header. RocksDB writes it only when
    /// <c>wal_compression</c> is not none.
    /// </summary>
    SetCompressionType = 9,

    /// <summary>
    /// Metadata: pairs of (column family id fixed32, timestamp size fixed16) for families with
    /// user-defined timestamps, applying to every later record. Written only for such families.
    /// </summary>
    UserDefinedTimestampSize = 10,

    /// <summary><see cref="UserDefinedTimestampSize"/> with the recyclable header.</summary>
    RecyclableUserDefinedTimestampSize = 11,

    /// <summary>
    /// Metadata, safe to ignore (bit 7 set): the previous WAL's number, size and last sequence, written at
    /// the start of a log when RocksDB's <c>track_and_verify_wals</c> is on (default off).
    /// </summary>
    PredecessorWalInfo = 130,

    /// <summary><see cref="PredecessorWalInfo"/> with the recyclable header.</summary>
    RecyclablePredecessorWalInfo = 131,
}
