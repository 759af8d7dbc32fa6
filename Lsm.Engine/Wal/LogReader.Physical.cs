using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;

namespace Lsm.Engine.Wal;

// The physical level of the log reader: blocks, headers, checksums, and the torn-tail decision.
internal sealed partial class LogReader
{
    /// <summary>Reads the next physical record whose checksum holds, or what stops that.</summary>
    private Physical ReadPhysical()
    {
        while (true)
        {
            if (_position >= _blockLength)
            {
                if (!ReadNextBlock())
                {
                    return new Physical { Kind = PhysicalKind.EndOfFile };
                }

                continue;
            }

            int inBlock = _position;
            long offset = _blockStart + inBlock;
            int blockLeft = LogFormat.BlockSize - inBlock;
            ReadOnlySpan<byte> rest = _block.AsSpan(inBlock, _blockLength - inBlock);

            if (blockLeft < LogFormat.HeaderSize)
            {
                // The block trailer: too short for a header, written as zeros.
                _position = _blockLength;
                int nonZero = rest.IndexOfAnyExcept((byte)0);
                if (nonZero >= 0)
                {
                    return Failure(WalProblemKind.BadPadding, offset, rest.Length, $"the block trailer holds data at offset {offset + nonZero}");
                }

                continue;
            }

            if (rest.Length < LogFormat.HeaderSize)
            {
                // The file ends inside a header (the block is the last and is short).
                _position = _blockLength;
                if (!rest.ContainsAnyExcept((byte)0))
                {
                    return new Physical { Kind = PhysicalKind.EndOfFile }; // zeros: no record was begun
                }

                return Torn(offset, rest.Length, $"torn tail at offset {offset}: the file ends {rest.Length} bytes into a record header");
            }

            uint storedCrc = Coding.ReadFixed32(rest);
            int length = rest[LogFormat.LengthOffset] | (rest[LogFormat.LengthOffset + 1] << 8);
            byte type = rest[LogFormat.TypeOffset];
            if (storedCrc == 0 && length == 0 && type == (byte)LogRecordType.Zero)
            {
                // Preallocated space or a recycled log's padding: zeros up to the block's end, skipped.
                _position = _blockLength;
                int nonZero = rest.IndexOfAnyExcept((byte)0);
                if (nonZero >= 0)
                {
                    return Failure(WalProblemKind.BadPadding, offset, rest.Length, $"zeros at offset {offset} are followed by data at offset {offset + nonZero} in the same block");
                }

                continue;
            }

            int headerSize = LogFormat.HeaderSizeOf(type);
            int size = headerSize + length;
            if (headerSize == LogFormat.RecyclableHeaderSize && !_recycled && _dataFragmentSeen)
            {
                // Checked before the length: with a damaged type, the header size and so the record's end are wrong.
                _position = _blockLength;
                return Failure(WalProblemKind.BadRecordType, offset, rest.Length, $"a recyclable record (type {type}) in a log of legacy records");
            }

            if (size > blockLeft)
            {
                _position = _blockLength;
                return Failure(WalProblemKind.BadLength, offset, rest.Length, $"a record of {length} bytes (type {type}) at block offset {inBlock} runs past the end of its block");
            }

            if (size > rest.Length)
            {
                // The file ends inside this record: a torn write, unless the checksum matches a shorter
                // payload, in which case the length field is what is damaged.
                _position = _blockLength;
                if (rest.Length >= headerSize && ChecksumMatchesPrefix(rest, headerSize, storedCrc, out int matched))
                {
                    return Failure(WalProblemKind.BadLength, offset, rest.Length, $"the length field says {length} bytes, past the end of the file, but the checksum matches {matched} bytes");
                }

                if (headerSize == LogFormat.RecyclableHeaderSize && LegacyTypeMatches(rest, length, storedCrc, out byte legacyType))
                {
                    return Failure(WalProblemKind.BadRecordType, offset, rest.Length, $"the type byte says {type} (recyclable), but the checksum matches a legacy record of type {legacyType}");
                }

                return Torn(offset, rest.Length, $"torn tail at offset {offset}: a record of {length} bytes is cut short by the end of the file after {rest.Length - headerSize} bytes");
            }

            uint actual = Crc32C.Compute(rest.Slice(LogFormat.TypeOffset, size - LogFormat.TypeOffset));
            if (actual != Crc32C.Unmask(storedCrc))
            {
                // The length cannot be trusted, so neither can the next header: skip the rest of the block.
                _position = _blockLength;
                return Failure(WalProblemKind.ChecksumMismatch, offset, rest.Length, $"checksum mismatch in a record of {length} bytes (type {type})");
            }

            _position = inBlock + size;
            _physicalRecords++;
            bool isData = type is >= (byte)LogRecordType.Full and <= (byte)LogRecordType.RecyclableLast;
            if (LogFormat.IsRecyclable(type))
            {
                uint number = Coding.ReadFixed32(rest[LogFormat.LogNumberOffset..]);
                if (!_recycled)
                {
                    _recycled = true;
                    _logNumber ??= number;
                }

                if (number != _logNumber)
                {
                    return new Physical { Kind = PhysicalKind.OldRecord, Offset = offset };
                }
            }
            else if (_recycled && isData)
            {
                return new Physical { Kind = PhysicalKind.OldRecord, Offset = offset };
            }

            _dataFragmentSeen |= isData;
            return new Physical
            {
                Kind = PhysicalKind.Record,
                Type = type,
                Offset = offset,
                PayloadStart = inBlock + headerSize,
                PayloadLength = length,
                Size = size,
            };
        }
    }

    /// <summary>
    /// True if the stored checksum matches the type (and log number) followed by some prefix of the payload
    /// bytes present in <paramref name="record"/>, which is shorter than the record its header describes.
    /// </summary>
    private static bool ChecksumMatchesPrefix(ReadOnlySpan<byte> record, int headerSize, uint storedCrc, out int matched)
    {
        uint expected = Crc32C.Unmask(storedCrc);
        uint crc = Crc32C.Compute(record[LogFormat.TypeOffset..headerSize]);
        ReadOnlySpan<byte> payload = record[headerSize..];
        for (int n = 0; ; n++)
        {
            if (crc == expected)
            {
                matched = n;
                return true;
            }

            if (n == payload.Length)
            {
                matched = -1;
                return false;
            }

            crc = Crc32C.Extend(crc, payload.Slice(n, 1));
        }
    }

    /// <summary>
    /// For a recyclable record cut short by the end of the file: true if, read with the legacy 7-byte header
    /// and a legacy type, it is whole and its checksum holds, so the type byte is what is damaged.
    /// </summary>
    private static bool LegacyTypeMatches(ReadOnlySpan<byte> record, int length, uint storedCrc, out byte legacyType)
    {
        legacyType = 0;
        if (LogFormat.HeaderSize + length > record.Length)
        {
            return false;
        }

        uint expected = Crc32C.Unmask(storedCrc);
        ReadOnlySpan<byte> payload = record.Slice(LogFormat.HeaderSize, length);
        ReadOnlySpan<byte> legacyTypes =
        [
            (byte)LogRecordType.Full, (byte)LogRecordType.First, (byte)LogRecordType.Middle, (byte)LogRecordType.Last,
            (byte)LogRecordType.SetCompressionType, (byte)LogRecordType.UserDefinedTimestampSize, (byte)LogRecordType.PredecessorWalInfo,
        ];
        foreach (byte t in legacyTypes)
        {
            if (Crc32C.Extend(Crc32C.Compute([t]), payload) == expected)
            {
                legacyType = t;
                return true;
            }
        }

        return false;
    }

    private bool ReadNextBlock()
    {
        if (_nextBlockOffset < 0 || _nextBlockOffset >= _fileLength)
        {
            return false;
        }

        int wanted = (int)Math.Min(LogFormat.BlockSize, _fileLength - _nextBlockOffset);
        int read = _file.Read(_nextBlockOffset, _block.AsSpan(0, wanted));
        if (read <= 0)
        {
            _nextBlockOffset = -1;
            return false;
        }

        _blockStart = _nextBlockOffset;
        _blockLength = read;
        _position = 0;
        _nextBlockOffset = read == LogFormat.BlockSize ? _blockStart + LogFormat.BlockSize : -1;
        return true;
    }

    private static Physical Failure(WalProblemKind kind, long offset, long dropped, string reason) =>
        new() { Kind = PhysicalKind.Problem, Offset = offset, Problem = new LogProblem(kind, offset, dropped, reason) };

    private static Physical Torn(long offset, long dropped, string reason) =>
        new() { Kind = PhysicalKind.TornTail, Offset = offset, Problem = new LogProblem(WalProblemKind.TornTail, offset, dropped, reason) };

    private enum PhysicalKind
    {
        Record,
        EndOfFile,
        TornTail,
        OldRecord,
        Problem,
    }

    /// <summary>One physical record, or what was found instead. The payload lies in <see cref="_block"/>.</summary>
    private struct Physical
    {
        public PhysicalKind Kind;
        public byte Type;
        public long Offset;
        public int PayloadStart;
        public int PayloadLength;
        public int Size;
        public LogProblem Problem;
    }
}
