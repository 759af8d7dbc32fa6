using System.Diagnostics;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;

namespace Lsm.Engine.Wal;

/// <summary>What <see cref="LogReader.ReadNext"/> found.</summary>
internal enum LogReadStatus
{
    /// <summary>A whole logical record: <see cref="LogReader.Record"/> at <see cref="LogReader.RecordOffset"/>.</summary>
    Record,

    /// <summary>A metadata record, verified and decoded: <see cref="LogReader.MetadataType"/>, payload in <see cref="LogReader.Record"/>.</summary>
    Metadata,

    /// <summary>Corruption, described by <see cref="LogReader.Problem"/>; the reader has skipped past it and can go on.</summary>
    Corruption,

    /// <summary>No more records. <see cref="LogReader.TornTail"/> says whether the last one was cut short.</summary>
    EndOfLog,
}

/// <summary>
/// Reads the logical records of a log written in RocksDB's log format (format-spec.md, section 14.1),
/// RocksDB's or ours, legacy or recyclable, and classifies every problem precisely.
/// </summary>
/// <remarks>
/// <para>
/// Two levels. <see cref="ReadNext"/> reports each record, metadata record, corruption and the end, and
/// never throws for bad input (only <see cref="NotSupportedException"/> for a log compressed with something other than ZSTD, and I/O
/// errors): inspection and any custom policy use it. <see cref="TryReadRecord"/> applies a
/// <see cref="WalRecoveryMode"/>: it throws a <see cref="CorruptionException"/> naming the file and
/// offset, stops (point in time), or skips and counts.
/// </para>
/// <para>Classification, for a physical record starting at offset X:</para>
/// <list type="bullet">
/// <item><description>Torn tail (clean end): the file ends inside X's header or payload, where the record would
/// still fit in its block; or the file ends after a first fragment (and any middle ones) with no last one.
/// Exceptions, because the two header fields that place a record's end can be the damaged ones: if the
/// checksum matches a prefix of the bytes present, the length is damaged
/// (<see cref="WalProblemKind.BadLength"/>); if a recyclable type read as a legacy record is whole with a
/// matching checksum, the type is damaged (<see cref="WalProblemKind.BadRecordType"/>). So damage to any
/// single byte of a legacy log is never taken for a torn tail; a genuinely torn record is taken for
/// corruption only if its checksum matches by chance (probability about 2^-17 at most).</description></item>
/// <item><description>Corruption, reported at X, the rest of X's block skipped: checksum mismatch, a length
/// past the block end, non-zero padding, a recyclable type in a log of legacy records. Reported at X,
/// only X skipped: an unknown type without the safe-to-ignore bit, a fragment out of sequence, a bad
/// metadata record.</description></item>
/// <item><description>Clean, nothing reported: zeros where a header would start (preallocated space: the rest
/// of the block must be zeros too, and is skipped), a zero-filled block trailer, unknown types with the
/// safe-to-ignore bit, and an empty first fragment (which old RocksDB writers emitted).</description></item>
/// <item><description>Recyclable logs: the first recyclable record fixes the log number (unless given); a record
/// of another log number, or a legacy data record after recyclable ones, is an earlier use's leftover and
/// ends the log.</description></item>
/// </list>
/// <para>
/// Not thread-safe. A record's bytes are valid until the next call. Reads the file's length once, at
/// construction. Allocation: one 32 KiB block buffer, plus a buffer for reassembling fragmented records
/// that grows to the largest one.
/// </para>
/// </remarks>
internal sealed partial class LogReader : IDisposable
{
    private readonly IRandomAccessFile _file;
    private readonly bool _ownsFile;
    private readonly long _fileLength;
    private readonly byte[] _block = new byte[LogFormat.BlockSize];
    private long _blockStart;
    private int _blockLength;
    private int _position;
    private long _nextBlockOffset;

    private uint? _logNumber;
    private bool _recycled;
    private bool _dataFragmentSeen;
    private long _physicalRecords;

    // Reassembly of a fragmented record: its payload so far, where it began, its physical size so far.
    private byte[] _scratch = [];
    private int _scratchLength;
    private bool _inFragment;
    private long _fragmentOffset;
    private long _fragmentBytes;

    // A verified physical record that ended an unfinished fragmented record: reported next, after that problem.
    private Physical _pending;
    private bool _hasPending;

    private byte[] _recordArray = [];
    private WalDecompressor? _decompressor; // set by a SetCompressionType record naming ZSTD
    private int _recordStart;
    private int _recordLength;
    private bool _finished;
    private bool _tornTailHandled;
    private bool _disposed;
    private Dictionary<uint, int>? _timestampSizes;

    /// <summary>Creates a reader over <paramref name="file"/>, from its start.</summary>
    /// <param name="file">The log.</param>
    /// <param name="logNumber">
    /// The log's number (from its file name), checked against recyclable records' headers; when null, the
    /// first recyclable record's number is taken. Legacy logs do not use it.
    /// </param>
    /// <param name="ownsFile">Whether <see cref="Dispose"/> disposes <paramref name="file"/>.</param>
    public LogReader(IRandomAccessFile file, ulong? logNumber = null, bool ownsFile = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        _ownsFile = ownsFile;
        _fileLength = file.Length;
        _logNumber = logNumber is ulong n ? (uint)n : null; // recyclable headers keep the low 32 bits
    }

    /// <summary>The file's name, for messages.</summary>
    public string FileName => _file.Name;

    /// <summary>The file's length when the reader was created.</summary>
    public long FileLength => _fileLength;

    /// <summary>After <see cref="LogReadStatus.Record"/> or <see cref="LogReadStatus.Metadata"/>: the payload; valid until the next call.</summary>
    public ReadOnlySpan<byte> Record => _recordArray.AsSpan(_recordStart, _recordLength);

    /// <summary>After <see cref="LogReadStatus.Record"/> or <see cref="LogReadStatus.Metadata"/>: the file offset of the record's first header.</summary>
    public long RecordOffset { get; private set; } = -1;

    /// <summary>After <see cref="LogReadStatus.Metadata"/>: which metadata record it was.</summary>
    public LogRecordType MetadataType { get; private set; }

    /// <summary>After <see cref="LogReadStatus.Corruption"/>: what was found.</summary>
    public LogProblem Problem { get; private set; }

    /// <summary>Set at the end of the log if its last record was cut short by the end of the file.</summary>
    public LogProblem? TornTail { get; private set; }

    /// <summary>True when the log ended at a record left from an earlier use of a recycled file.</summary>
    public bool EndedAtOldRecord { get; private set; }

    /// <summary>True once a recyclable record has been read: the log is in the recyclable format.</summary>
    public bool IsRecycled => _recycled;

    /// <summary>
    /// User-defined timestamp sizes (column family id → bytes) announced by the log's metadata records so
    /// far. Keys of those families carry a timestamp suffix.
    /// </summary>
    public IReadOnlyDictionary<uint, int> TimestampSizes =>
        (IReadOnlyDictionary<uint, int>?)_timestampSizes ?? System.Collections.ObjectModel.ReadOnlyDictionary<uint, int>.Empty;

    /// <summary>With <see cref="TryReadRecord"/>: the problem at which point-in-time recovery stopped, if any.</summary>
    public LogProblem? StoppedAt { get; private set; }

    /// <summary>With <see cref="TryReadRecord"/>: corruptions skipped (<see cref="WalRecoveryMode.SkipAnyCorruptedRecords"/>).</summary>
    public int CorruptionsSkipped { get; private set; }

    /// <summary>
    /// With <see cref="TryReadRecord"/>: bytes not replayed because of problems: skipped corruptions, a
    /// torn tail, and everything from the point where point-in-time recovery stopped.
    /// </summary>
    public long DroppedBytes { get; private set; }

    /// <summary>Reads the next record, metadata record or problem. Never throws for bad input.</summary>
    /// <returns>What was found; after <see cref="LogReadStatus.EndOfLog"/>, always <see cref="LogReadStatus.EndOfLog"/>.</returns>
    /// <exception cref="NotSupportedException">The log is compressed with something other than ZSTD.</exception>
    public LogReadStatus ReadNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            return LogReadStatus.EndOfLog;
        }

        while (true)
        {
            Physical p;
            if (_hasPending)
            {
                p = _pending;
                _hasPending = false;
            }
            else
            {
                p = ReadPhysical();
            }

            switch (p.Kind)
            {
                case PhysicalKind.EndOfFile:
                    if (_inFragment)
                    {
                        TornTail = CutRecord("the end of the file", 0);
                    }

                    return Finish();
                case PhysicalKind.TornTail:
                    TornTail = _inFragment ? CutRecord("the end of the file", p.Problem.DroppedBytes) : p.Problem;
                    return Finish();
                case PhysicalKind.OldRecord:
                    EndedAtOldRecord = true;
                    if (_inFragment)
                    {
                        TornTail = CutRecord("the data of an earlier use of the file", 0);
                    }

                    return Finish();
                case PhysicalKind.Problem:
                    Problem = AbandonFragments(p.Problem);
                    return LogReadStatus.Corruption;
            }

            switch ((LogRecordType)p.Type)
            {
                case LogRecordType.Full or LogRecordType.RecyclableFull:
                    if (InterruptsFragments(p))
                    {
                        return LogReadStatus.Corruption;
                    }

                    return SetDataRecord(_block, p.PayloadStart, p.PayloadLength, p.Offset, p.Size);

                case LogRecordType.First or LogRecordType.RecyclableFirst:
                    if (InterruptsFragments(p))
                    {
                        return LogReadStatus.Corruption;
                    }

                    _inFragment = true;
                    _fragmentOffset = p.Offset;
                    _fragmentBytes = p.Size;
                    _scratchLength = 0;
                    AppendFragment(p);
                    continue;

                case LogRecordType.Middle or LogRecordType.RecyclableMiddle:
                    if (!_inFragment)
                    {
                        Problem = new LogProblem(WalProblemKind.FragmentOutOfSequence, p.Offset, p.Size, "a middle fragment without a first fragment");
                        return LogReadStatus.Corruption;
                    }

                    _fragmentBytes += p.Size;
                    AppendFragment(p);
                    continue;

                case LogRecordType.Last or LogRecordType.RecyclableLast:
                    if (!_inFragment)
                    {
                        Problem = new LogProblem(WalProblemKind.FragmentOutOfSequence, p.Offset, p.Size, "a last fragment without a first fragment");
                        return LogReadStatus.Corruption;
                    }

                    AppendFragment(p);
                    _inFragment = false;
                    return SetDataRecord(_scratch, 0, _scratchLength, _fragmentOffset, _fragmentBytes + p.Size);

                case LogRecordType.SetCompressionType
                    or LogRecordType.UserDefinedTimestampSize or LogRecordType.RecyclableUserDefinedTimestampSize
                    or LogRecordType.PredecessorWalInfo or LogRecordType.RecyclablePredecessorWalInfo:
                    if (InterruptsFragments(p))
                    {
                        return LogReadStatus.Corruption;
                    }

                    return ReadMetadata(p);

                default:
                    if ((p.Type & LogFormat.SafeToIgnoreMask) != 0)
                    {
                        continue; // a newer writer's record that older readers may skip
                    }

                    Problem = AbandonFragments(new LogProblem(WalProblemKind.BadRecordType, p.Offset, p.Size, $"unknown record type {p.Type}"));
                    return LogReadStatus.Corruption;
            }
        }
    }

    /// <summary>
    /// Reads the next logical record, skipping metadata, and handles problems as <paramref name="mode"/> says
    /// (see <see cref="WalRecoveryMode"/>).
    /// </summary>
    /// <param name="mode">What to do with a torn tail or corruption.</param>
    /// <param name="record">The record's bytes, valid until the next call; empty when false is returned.</param>
    /// <returns>True with a record; false at the end of the log, or where point-in-time recovery stops (<see cref="StoppedAt"/>).</returns>
    /// <exception cref="CorruptionException">Corruption the mode does not tolerate, naming the file and the offset.</exception>
    /// <exception cref="NotSupportedException">The log is compressed with something other than ZSTD.</exception>
    public bool TryReadRecord(WalRecoveryMode mode, out ReadOnlySpan<byte> record)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown WAL recovery mode.");
        }

        record = default;
        while (true)
        {
            switch (ReadNext())
            {
                case LogReadStatus.Record:
                    record = Record;
                    return true;

                case LogReadStatus.Metadata:
                    continue;

                case LogReadStatus.EndOfLog:
                    if (TornTail is LogProblem torn && !_tornTailHandled)
                    {
                        _tornTailHandled = true;
                        if (mode == WalRecoveryMode.AbsoluteConsistency)
                        {
                            throw torn.ToException(FileName);
                        }

                        DroppedBytes += torn.DroppedBytes;
                        if (mode == WalRecoveryMode.PointInTimeRecovery)
                        {
                            StoppedAt = torn;
                        }
                    }

                    return false;

                default:
                    LogProblem problem = Problem;
                    if (_recycled && mode == WalRecoveryMode.TolerateCorruptedTailRecords
                        && problem.Kind is WalProblemKind.BadLength or WalProblemKind.ChecksumMismatch)
                    {
                        // A reused file ends in the bytes of its previous life, which a record cut off by a crash
                        // cannot be told from: RocksDB ends the log there in this mode, and so do we (counted).
                        TornTail = problem;
                        _tornTailHandled = true;
                        DroppedBytes += _fileLength - problem.Offset;
                        _finished = true;
                        return false;
                    }

                    switch (mode)
                    {
                        case WalRecoveryMode.SkipAnyCorruptedRecords:
                            CorruptionsSkipped++;
                            DroppedBytes += problem.DroppedBytes;
                            continue;

                        case WalRecoveryMode.PointInTimeRecovery:
                            StoppedAt = problem;
                            DroppedBytes += _fileLength - problem.Offset;
                            _finished = true;
                            return false;

                        default:
                            throw problem.ToException(FileName);
                    }
            }
        }
    }

    /// <summary>Disposes the file if the reader owns it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_ownsFile)
        {
            _file.Dispose();
        }
    }

    private LogReadStatus Finish()
    {
        _finished = true;
        _inFragment = false;
        _recordLength = 0;
        return LogReadStatus.EndOfLog;
    }

    /// <summary>Delivers a whole data record, decompressing it first in a compressed log.</summary>
    private LogReadStatus SetDataRecord(byte[] array, int start, int length, long offset, long bytesOnDisk)
    {
        if (_decompressor is null)
        {
            SetRecord(array, start, length, offset);
            return LogReadStatus.Record;
        }

        if (!_decompressor.TryDecompress(array, start, length, out byte[] output, out int outputLength))
        {
            Problem = new LogProblem(WalProblemKind.BadCompressedRecord, offset, bytesOnDisk, "a record whose checksum holds but whose ZSTD frame does not decompress");
            return LogReadStatus.Corruption;
        }

        SetRecord(output, 0, outputLength, offset);
        return LogReadStatus.Record;
    }

    private void SetRecord(byte[] array, int start, int length, long offset)
    {
        _recordArray = array;
        _recordStart = start;
        _recordLength = length;
        RecordOffset = offset;
    }

    private void AppendFragment(in Physical p)
    {
        int needed = _scratchLength + p.PayloadLength;
        if (needed > _scratch.Length)
        {
            // Bounded by the file's length: fragments are only appended once read from it.
            Array.Resize(ref _scratch, (int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _scratch.Length)));
        }

        _block.AsSpan(p.PayloadStart, p.PayloadLength).CopyTo(_scratch.AsSpan(_scratchLength));
        _scratchLength = needed;
    }

    /// <summary>
    /// When a record begins while a fragmented one is open, the open one is lost: report it now and keep
    /// <paramref name="p"/> for the next call. An open record with no payload yet is dropped silently.
    /// </summary>
    private bool InterruptsFragments(in Physical p)
    {
        if (!_inFragment)
        {
            return false;
        }

        _inFragment = false;
        if (_scratchLength == 0)
        {
            return false;
        }

        _pending = p;
        _hasPending = true;
        Problem = new LogProblem(
            WalProblemKind.FragmentOutOfSequence,
            _fragmentOffset,
            _fragmentBytes,
            $"the record begun at offset {_fragmentOffset} has no last fragment before the record at offset {p.Offset}");
        return true;
    }

    private LogProblem AbandonFragments(LogProblem problem)
    {
        if (!_inFragment)
        {
            return problem;
        }

        _inFragment = false;
        return problem with
        {
            DroppedBytes = problem.DroppedBytes + _fragmentBytes,
            Reason = problem.Reason + $" (losing the fragmented record begun at offset {_fragmentOffset})",
        };
    }

    private LogProblem CutRecord(string by, long extraBytes) =>
        new(
            WalProblemKind.TornTail,
            _fragmentOffset,
            _fragmentBytes + extraBytes,
            $"torn tail at offset {_fragmentOffset}: the fragmented record there is cut short by {by}");

    private LogReadStatus ReadMetadata(in Physical p)
    {
        ReadOnlySpan<byte> payload = _block.AsSpan(p.PayloadStart, p.PayloadLength);
        var type = (LogRecordType)p.Type;
        string? bad = null;
        switch (type)
        {
            case LogRecordType.SetCompressionType:
                if (_physicalRecords != 1)
                {
                    bad = "a compression type record that is not the log's first record";
                }
                else if (payload.Length < LogFormat.CompressionTypeRecordSize)
                {
                    bad = $"a compression type record of {payload.Length} bytes";
                }
                else if (Coding.ReadFixed32(payload) is uint compression and not 0)
                {
                    if (compression != WalDecompressor.ZstdType)
                    {
                        throw new NotSupportedException(
                            $"{FileName} is compressed with compression type {compression}; RocksDB's wal_compression and this engine use only ZSTD (7).");
                    }

                    _decompressor = new WalDecompressor();
                }

                break;

            case LogRecordType.UserDefinedTimestampSize or LogRecordType.RecyclableUserDefinedTimestampSize:
                if (payload.Length % LogFormat.TimestampSizeEntrySize != 0)
                {
                    bad = $"a timestamp size record of {payload.Length} bytes, not a multiple of {LogFormat.TimestampSizeEntrySize}";
                    break;
                }

                for (; !payload.IsEmpty; payload = payload[LogFormat.TimestampSizeEntrySize..])
                {
                    uint family = Coding.ReadFixed32(payload);
                    int size = payload[4] | (payload[5] << 8);
                    _timestampSizes ??= [];
                    if (!_timestampSizes.TryAdd(family, size) && _timestampSizes[family] != size)
                    {
                        bad = $"column family {family}'s timestamp size changes from {_timestampSizes[family]} to {size}";
                        break;
                    }
                }

                break;

            default:
                Debug.Assert(type is LogRecordType.PredecessorWalInfo or LogRecordType.RecyclablePredecessorWalInfo, "not a metadata type");
                if (payload.Length < LogFormat.PredecessorWalInfoSize)
                {
                    bad = $"a predecessor log record of {payload.Length} bytes";
                }

                break;
        }

        if (bad is not null)
        {
            Problem = new LogProblem(WalProblemKind.BadMetadata, p.Offset, p.Size, bad);
            return LogReadStatus.Corruption;
        }

        MetadataType = type;
        SetRecord(_block, p.PayloadStart, p.PayloadLength, p.Offset);
        return LogReadStatus.Metadata;
    }
}
