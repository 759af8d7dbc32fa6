using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine;

/// <summary>
/// A cursor over the entries of an <see cref="SstFile"/>, in internal-key order: user keys ascending,
/// and for one user key, newest (highest sequence) first.
/// </summary>
/// <remarks>
/// Not thread-safe. The spans it returns are valid until the next move. Seeks take user keys and land on
/// the newest entry of the first user key at or after (or, for <see cref="SeekForPrev"/>, at or before) it.
/// </remarks>
public sealed class SstIterator : IDisposable
{
    private readonly SstFile _file;
    private readonly TableIterator _iterator;
    private byte[] _seekKey = new byte[64];
    private bool _disposed;

    internal SstIterator(SstFile file, TableIterator iterator)
    {
        _file = file;
        _iterator = iterator;
    }

    /// <summary>Whether the iterator is positioned at an entry.</summary>
    public bool Valid => !_disposed && _iterator.Valid;

    /// <summary>The whole internal key: user key plus 8-byte trailer.</summary>
    public ReadOnlySpan<byte> InternalKey => Current().Key;

    /// <summary>The user key of the current entry.</summary>
    public ReadOnlySpan<byte> UserKey => Encoding.InternalKey.UserKey(Current().Key);

    /// <summary>The sequence number of the current entry.</summary>
    public ulong Sequence => Encoding.InternalKey.Sequence(Current().Key);

    /// <summary>The kind of the current entry.</summary>
    public ValueKind Kind => Encoding.InternalKey.Kind(Current().Key);

    /// <summary>The value of the current entry (empty for deletions).</summary>
    public ReadOnlySpan<byte> Value => Current().Value;

    /// <summary>The current key in the text form <c>user#seq,KIND</c>.</summary>
    /// <returns>The formatted key.</returns>
    public string FormatKey() => KeyText.FormatInternalKey(Current().Key);

    /// <summary>Moves to the first entry.</summary>
    public void SeekToFirst() => Live().SeekToFirst();

    /// <summary>Moves to the last entry.</summary>
    public void SeekToLast() => Live().SeekToLast();

    /// <summary>Moves to the first entry whose user key is at or after <paramref name="userKey"/>.</summary>
    /// <param name="userKey">The target.</param>
    public void Seek(ReadOnlySpan<byte> userKey) =>
        Live().Seek(SeekKey(userKey, Encoding.InternalKey.MaxSequence, Encoding.InternalKey.KindForSeek));

    /// <summary>Moves to the last entry whose user key is at or before <paramref name="userKey"/>.</summary>
    /// <param name="userKey">The target.</param>
    public void SeekForPrev(ReadOnlySpan<byte> userKey) =>
        Live().SeekForPrev(SeekKey(userKey, 0, ValueKind.Deletion));

    /// <summary>Moves to the next entry.</summary>
    public void Next()
    {
        if (Valid)
        {
            _iterator.Next();
        }
    }

    /// <summary>Moves to the previous entry.</summary>
    public void Prev()
    {
        if (Valid)
        {
            _iterator.Prev();
        }
    }

    private ReadOnlySpan<byte> SeekKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        int length = userKey.Length + Encoding.InternalKey.TrailerSize;
        if (_seekKey.Length < length)
        {
            _seekKey = new byte[length];
        }

        Encoding.InternalKey.Write(_seekKey, userKey, sequence, kind);
        return _seekKey.AsSpan(0, length);
    }

    private TableIterator Live()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.ThrowIfDisposed();
        return _iterator;
    }

    private TableIterator Current()
    {
        if (!Valid)
        {
            throw new InvalidOperationException("The iterator is not positioned at an entry.");
        }

        return _iterator;
    }

    /// <inheritdoc />
    public void Dispose() => _disposed = true;
}
