namespace Lsm.Engine;

/// <summary>What is wrong with a stretch of a write-ahead log (format-spec.md, section 14.1).</summary>
/// <remarks>
/// <see cref="TornTail"/> is the clean end of a log whose writer stopped in the middle of a record; every
/// other kind is corruption. See <see cref="WalRecoveryMode"/> for what recovery does with each.
/// </remarks>
public enum WalProblemKind
{
    /// <summary>
    /// The last record is cut short by the end of the file: a partial header, a partial payload, or the
    /// fragments of a record without its last one. Not corruption: nothing acknowledged is lost.
    /// </summary>
    TornTail,

    /// <summary>A whole record whose checksum does not match its type and payload.</summary>
    ChecksumMismatch,

    /// <summary>
    /// A record whose length runs past the end of its 32 KiB block, or past the end of the file while its
    /// checksum matches a shorter payload (a damaged length, not a torn write).
    /// </summary>
    BadLength,

    /// <summary>A record with an unknown type that is not marked safe to ignore, or a type out of place.</summary>
    BadRecordType,

    /// <summary>A middle or last fragment without a first one, or a new record before the previous one's last fragment.</summary>
    FragmentOutOfSequence,

    /// <summary>Non-zero bytes where only zeros can be: a block trailer, or after a header of zeros.</summary>
    BadPadding,

    /// <summary>A metadata record (compression type, timestamp sizes, predecessor log) that does not decode or is misplaced.</summary>
    BadMetadata,

    /// <summary>A record whose checksum holds but whose write batch does not decode.</summary>
    BadWriteBatch,

    /// <summary>In a compressed log, a record whose checksum holds but whose ZSTD frame does not decompress.</summary>
    BadCompressedRecord,
}
