using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;

namespace Lsm.Engine.Compaction;

/// <summary>
/// One table a compaction is writing: the file, its <see cref="TableBuilder"/>, and the bounds of what it holds
/// (point keys, and range tombstones widened as RocksDB's flush and compaction widen them).
/// </summary>
/// <remarks>
/// REQUIRES: point entries come in increasing internal-key order; range tombstones come after the last point entry.
/// <see cref="Finish"/> writes the table and syncs it; the caller syncs the directory. Not thread-safe.
/// </remarks>
internal sealed class CompactionOutput : IDisposable
{
    private readonly IWritableFile _file;
    private readonly TableBuilder _builder;
    private readonly InternalKeyComparator _order;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength = -1;
    private byte[]? _smallestPoint;
    private byte[]? _smallest;
    private byte[]? _largest;

    // Bytes added since the builder last wrote a block: FileSize lags by the block being built.
    private ulong _writtenSize;
    private long _unwrittenBytes;

    public CompactionOutput(IFileSystem fs, string path, ulong fileNumber, TableOptions options, TableBuilderContext context)
    {
        Path = path;
        FileNumber = fileNumber;
        _order = new InternalKeyComparator(options.Comparator);
        _file = fs.Create(path);
        try
        {
            _builder = new TableBuilder(_file, options, context);
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public ulong FileNumber { get; }

    /// <summary>The file's size so far, counting the data block not yet written.</summary>
    public long EstimatedSize => (long)_builder.FileSize + _unwrittenBytes;

    /// <summary>Whether a point entry has been added.</summary>
    public bool HasPoints => _lastKeyLength >= 0;

    /// <summary>The user key of the last point entry added. REQUIRES: <see cref="HasPoints"/>.</summary>
    public ReadOnlySpan<byte> LastUserKey => InternalKey.UserKey(_lastKey.AsSpan(0, _lastKeyLength));

    /// <summary>The smallest internal key of the table (a point key or a tombstone's start); valid after <see cref="Finish"/>.</summary>
    public byte[] Smallest => _smallest ?? throw new InvalidOperationException("The output is empty or not finished.");

    /// <summary>The largest internal key (a point key, or a tombstone's end sentinel); valid after <see cref="Finish"/>.</summary>
    public byte[] Largest => _largest ?? throw new InvalidOperationException("The output is empty or not finished.");

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        _builder.Add(internalKey, value);
        if (_builder.FileSize != _writtenSize)
        {
            _writtenSize = _builder.FileSize;
            _unwrittenBytes = 0; // the entry just added opened the new block
        }

        _unwrittenBytes += internalKey.Length + value.Length;
        _smallestPoint ??= internalKey.ToArray();
        if (_lastKey.Length < internalKey.Length)
        {
            _lastKey = new byte[Math.Max(internalKey.Length, _lastKey.Length * 2)];
        }

        internalKey.CopyTo(_lastKey);
        _lastKeyLength = internalKey.Length;
    }

    /// <summary>Adds the range tombstone [<paramref name="start"/>, <paramref name="end"/>) at <paramref name="sequence"/>.</summary>
    public void AddRangeTombstone(byte[] start, ulong sequence, byte[] end)
    {
        byte[] startKey = InternalKey.Create(start, sequence, ValueKind.RangeDeletion);
        _builder.Add(startKey, end);
        Widen(startKey);

        // The end is exclusive: (end, max sequence, range deletion) sorts before every real entry of the end key.
        Widen(InternalKey.Create(end, InternalKey.MaxSequence, ValueKind.RangeDeletion));
    }

    /// <summary>Writes the rest of the table and syncs the file; returns the table's properties.</summary>
    public TableProperties Finish()
    {
        if (_smallestPoint is not null)
        {
            Widen(_smallestPoint);
            Widen(_lastKey.AsSpan(0, _lastKeyLength).ToArray());
        }

        if (_smallest is null)
        {
            throw new InvalidOperationException("A compaction output must hold an entry or a range tombstone.");
        }

        TableProperties properties = _builder.Finish();
        _file.Sync();
        return properties;
    }

    /// <summary>The file's final size. REQUIRES: <see cref="Finish"/> returned.</summary>
    public ulong FileSize => _builder.FileSize;

    public void Dispose()
    {
        _builder.Dispose();
        _file.Dispose();
    }

    private void Widen(byte[] key)
    {
        if (_smallest is null || _order.Compare(key, _smallest) < 0)
        {
            _smallest = key;
        }

        if (_largest is null || _order.Compare(key, _largest) > 0)
        {
            _largest = key;
        }
    }
}
