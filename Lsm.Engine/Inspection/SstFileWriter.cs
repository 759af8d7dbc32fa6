using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine;

/// <summary>
/// Writes an external SST file as RocksDB's <c>SstFileWriter</c> does: one entry per user key, in
/// ascending order, all at sequence number 0, with the external-file properties that let RocksDB
/// (<c>IngestExternalFile</c>) and this engine ingest it.
/// </summary>
/// <example>
/// <code>
/// using (var writer = new SstFileWriter("data.sst"))
/// {
///     writer.Put("apple"u8, "red"u8);
///     writer.Put("banana"u8, "yellow"u8);
///     writer.Finish();
/// }
/// </code>
/// </example>
public sealed class SstFileWriter : IDisposable
{
    private readonly LocalWritableFile _file;
    private readonly TableBuilder _builder;
    private readonly KeyComparator _comparator;
    private byte[] _scratch = new byte[64];
    private int _lastUserKeyLength = -1;
    private bool _finished;
    private bool _disposed;

    /// <summary>Creates (or overwrites) the file at <paramref name="path"/>.</summary>
    /// <param name="path">Where to write.</param>
    /// <param name="options">Block size, filter, checksum, compression and format version; defaults when null.</param>
    public SstFileWriter(string path, TableOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new TableOptions();
        options.Validate();
        _comparator = options.Comparator;
        _file = new LocalWritableFile(path);
        _builder = new TableBuilder(_file, options, TableBuilderContext.External(TableBuilderContext.NewSessionId()));
    }

    /// <summary>Bytes written so far.</summary>
    public long FileSize => (long)_builder.FileSize;

    /// <summary>Adds a value for <paramref name="key"/>.</summary>
    /// <param name="key">A user key greater than every key added before.</param>
    /// <param name="value">The value.</param>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Add(key, value, ValueKind.Value);

    /// <summary>Adds a merge operand for <paramref name="key"/>.</summary>
    /// <param name="key">A user key greater than every key added before.</param>
    /// <param name="operand">The merge operand.</param>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => Add(key, operand, ValueKind.Merge);

    /// <summary>Adds a deletion of <paramref name="key"/>.</summary>
    /// <param name="key">A user key greater than every key added before.</param>
    public void Delete(ReadOnlySpan<byte> key) => Add(key, default, ValueKind.Deletion);

    /// <summary>Writes the meta blocks and footer, syncs the file and closes it.</summary>
    /// <returns>The properties of the finished table.</returns>
    /// <exception cref="InvalidOperationException">No entry was added: RocksDB cannot ingest an empty file.</exception>
    public TableProperties Finish()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException("The file is already finished.");
        }

        if (_builder.NumEntries == 0)
        {
            throw new InvalidOperationException("Cannot finish an external file with no entries.");
        }

        TableProperties properties = _builder.Finish();
        _file.Sync();
        _finished = true;
        Dispose();
        return properties;
    }

    private void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ValueKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
        {
            throw new InvalidOperationException("The file is already finished.");
        }

        if (key.IsEmpty)
        {
            throw new ArgumentException("Keys must not be empty.", nameof(key));
        }

        if (_lastUserKeyLength >= 0 && _comparator.Compare(key, _scratch.AsSpan(0, _lastUserKeyLength)) <= 0)
        {
            throw new ArgumentException("Keys must be added in strictly ascending order.", nameof(key));
        }

        int length = key.Length + InternalKey.TrailerSize;
        if (_scratch.Length < length)
        {
            byte[] grown = new byte[Math.Max(length, _scratch.Length * 2)];
            _scratch.CopyTo(grown, 0);
            _scratch = grown;
        }

        // The scratch buffer keeps the last key: its user-key prefix is what the next key is checked against.
        InternalKey.Write(_scratch, key, 0, kind);
        _builder.Add(_scratch.AsSpan(0, length), value);
        _lastUserKeyLength = key.Length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _builder.Dispose();
            _file.Dispose();
        }
    }
}
