using System.Diagnostics;
using Lsm.Engine.Encoding;
using Lsm.Engine.Hashing;
using Lsm.Engine.IO;

namespace Lsm.Engine.Wal;

/// <summary>
/// Appends logical records to a log file in RocksDB's log format (format-spec.md, section 14.1), cutting
/// each record into fragments at 32 KiB block boundaries.
/// </summary>
/// <remarks>
/// <para>
/// Writes the legacy (non-recyclable) header only, and no metadata record: RocksDB writes one at the
/// start of a WAL only for WAL compression, user-defined timestamps or <c>track_and_verify_wals</c>,
/// none of which this engine uses, and it reads logs without them.
/// </para>
/// <para>
/// Durability is the caller's: <see cref="AddRecord"/> hands bytes to the file; <see cref="Flush"/> and
/// <see cref="Sync"/> pass through. Not thread-safe: one writer at a time (the group-commit leader).
/// Allocation-free per record.
/// </para>
/// <para>
/// Invariant: between records, fewer than <see cref="LogFormat.HeaderSize"/> bytes are never left in the
/// current block. If the file throws, the writer no longer knows what reached the file and refuses
/// further records; the log must then be abandoned (a new one started).
/// </para>
/// </remarks>
internal sealed class LogWriter : IDisposable
{
    // CRC-32C of each data record type byte, precomputed: the header checksum extends it over the payload.
    private static readonly uint[] TypeCrc = CreateTypeCrcs();

    private readonly IWritableFile _file;
    private readonly bool _ownsFile;
    private readonly byte[] _header = new byte[LogFormat.HeaderSize];
    private int _blockOffset;
    private bool _failed;
    private bool _disposed;

    /// <summary>Creates a writer appending to <paramref name="file"/>.</summary>
    /// <remarks>
    /// The file may already hold a log (a log reopened for append): the block position is taken from its
    /// length. REQUIRES: such a file ends at a record boundary.
    /// </remarks>
    /// <param name="file">The file to append to.</param>
    /// <param name="ownsFile">Whether <see cref="Dispose"/> disposes <paramref name="file"/>.</param>
    public LogWriter(IWritableFile file, bool ownsFile = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        _ownsFile = ownsFile;
        _blockOffset = (int)(file.Length % LogFormat.BlockSize);
    }

    /// <summary>The file's name, for messages.</summary>
    public string FileName => _file.Name;

    /// <summary>Bytes written to the file so far, including headers and block trailers.</summary>
    public long Length => _file.Length;

    /// <summary>
    /// Appends <paramref name="record"/> as one logical record; returns the file offset of its first
    /// header, which a reader reports as the record's offset.
    /// </summary>
    /// <remarks>An empty record is written as one zero-length fragment.</remarks>
    /// <param name="record">The record's bytes (for a WAL, an encoded write batch); any length.</param>
    /// <returns>The offset of the record's first physical header.</returns>
    /// <exception cref="InvalidOperationException">An earlier append failed, or the writer is disposed.</exception>
    public long AddRecord(ReadOnlySpan<byte> record)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failed)
        {
            throw new InvalidOperationException($"An earlier write to {_file.Name} failed; the log must be abandoned.");
        }

        _failed = true; // cleared only if every append below returns
        long start = -1;
        bool first = true;
        do
        {
            int leftover = LogFormat.BlockSize - _blockOffset;
            Debug.Assert(leftover >= 0, "block offset past the block");
            if (leftover < LogFormat.HeaderSize)
            {
                // Too small for a header: zero-fill the trailer and start the next block.
                if (leftover > 0)
                {
                    ReadOnlySpan<byte> zeros = [0, 0, 0, 0, 0, 0];
                    _file.Append(zeros[..leftover]);
                }

                _blockOffset = 0;
            }

            if (first)
            {
                start = _file.Length;
            }

            int available = LogFormat.BlockSize - _blockOffset - LogFormat.HeaderSize;
            int fragment = Math.Min(record.Length, available);
            bool last = fragment == record.Length;
            LogRecordType type = (first, last) switch
            {
                (true, true) => LogRecordType.Full,
                (true, false) => LogRecordType.First,
                (false, true) => LogRecordType.Last,
                _ => LogRecordType.Middle,
            };
            EmitPhysicalRecord(type, record[..fragment]);
            record = record[fragment..];
            first = false;
        }
        while (!record.IsEmpty);

        _failed = false;
        return start;
    }

    /// <summary>Hands buffered bytes to the operating system (<see cref="IWritableFile.Flush"/>).</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
    }

    /// <summary>Flushes and forces the log to stable storage (<see cref="IWritableFile.Sync"/>).</summary>
    public void Sync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Sync();
    }

    /// <summary>Disposes the file if the writer owns it. Does not sync.</summary>
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

    private void EmitPhysicalRecord(LogRecordType type, ReadOnlySpan<byte> payload)
    {
        Debug.Assert(payload.Length <= ushort.MaxValue, "fragment longer than a block");
        Debug.Assert(_blockOffset + LogFormat.HeaderSize + payload.Length <= LogFormat.BlockSize, "fragment crosses a block");

        uint crc = Crc32C.Extend(TypeCrc[(int)type], payload);
        Coding.WriteFixed32(_header, Crc32C.Mask(crc));
        _header[LogFormat.LengthOffset] = (byte)payload.Length;
        _header[LogFormat.LengthOffset + 1] = (byte)(payload.Length >> 8);
        _header[LogFormat.TypeOffset] = (byte)type;
        _file.Append(_header);
        _file.Append(payload);
        _blockOffset += LogFormat.HeaderSize + payload.Length;
    }

    private static uint[] CreateTypeCrcs()
    {
        var crcs = new uint[(int)LogRecordType.Last + 1];
        for (int t = 0; t < crcs.Length; t++)
        {
            crcs[t] = Crc32C.Compute([(byte)t]);
        }

        return crcs;
    }
}
