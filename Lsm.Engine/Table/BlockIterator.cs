using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// A cursor over the entries of one <see cref="Block"/>: binary search over restart points, then a
/// linear scan that rebuilds each prefix-compressed key.
/// </summary>
/// <remarks>
/// Not thread-safe; create one per reader. Reusable: <see cref="Reset"/> points it at another block
/// without allocating. Every length read from the block is bounds-checked, and a malformed entry ends in
/// a <see cref="CorruptionException"/> naming the file and the entry's offset.
/// </remarks>
internal sealed class BlockIterator
{
    private Block _block;
    private IKeyOrder _order = null!;
    private BlockValueFormat _format;
    private bool _isIndex;
    private bool _indexHasFirstKey;
    private long _globalSequence = -1;
    private RestartKeyWords? _words;

    private byte[] _key = new byte[64];      // the key as stored: the next entry shares its prefix with this
    private int _keyLength;
    private byte[] _globalKey = [];           // with a global sequence: the stored key with that sequence applied
    private int _current;        // offset of the current entry; == EntriesEnd when not valid
    private int _next;           // offset just past the current entry
    private int _restartIndex;   // restart interval containing the current entry
    private int _valueOffset;
    private int _valueLength;
    private int _valueCursor;    // separated key/value blocks: where the next value starts
    private BlockHandle _handle;

    /// <summary>Points the iterator at a block; it starts invalid.</summary>
    /// <param name="block">The block to read.</param>
    /// <param name="order">The order of the block's keys.</param>
    /// <param name="format">How values are encoded.</param>
    /// <param name="isIndex">Whether values are index entries (block handles), decoded into <see cref="Handle"/>.</param>
    /// <param name="indexHasFirstKey">Whether index values carry the block's first key after the handle.</param>
    /// <param name="globalSequence">For ingested external files, the sequence number every key takes; -1 for none.</param>
    /// <param name="words">The block's restart key words, which speed up <see cref="Seek"/>; null for none.</param>
    public void Reset(
        Block block,
        IKeyOrder order,
        BlockValueFormat format = BlockValueFormat.LengthPrefixed,
        bool isIndex = false,
        bool indexHasFirstKey = false,
        long globalSequence = -1,
        RestartKeyWords? words = null)
    {
        _words = words;
        _block = block;
        _order = order;
        _format = format;
        _isIndex = isIndex;
        _indexHasFirstKey = indexHasFirstKey;
        _globalSequence = globalSequence;
        _current = block.EntriesEnd;
        _next = _current;
        _restartIndex = block.NumRestarts;
        _keyLength = 0;
    }

    public bool Valid => _current < _block.EntriesEnd;

    public ReadOnlySpan<byte> Key => _globalSequence >= 0 ? _globalKey.AsSpan(0, _keyLength) : _key.AsSpan(0, _keyLength);

    public ReadOnlySpan<byte> Value => _block.Bytes.Slice(_valueOffset, _valueLength);

    /// <summary>For index blocks: the data block the current entry points to.</summary>
    public BlockHandle Handle => _handle;

    /// <summary>Offset of the current entry within its block, for inspection output.</summary>
    public int EntryOffset => _current;

    public void SeekToFirst()
    {
        SeekToRestartPoint(0);
        ParseNext();
    }

    public void SeekToLast()
    {
        SeekToRestartPoint(_block.NumRestarts - 1);
        while (ParseNext() && _next < _block.EntriesEnd)
        {
        }
    }

    /// <summary>Positions at the first entry whose key is at or after <paramref name="target"/>.</summary>
    public void Seek(ReadOnlySpan<byte> target)
    {
        // The last restart whose key sorts before the target (restart 0 if none) lies in [lo, hi].
        int lo = 0;
        int hi = _block.NumRestarts - 1;
        _words?.Narrow(target, out lo, out hi);
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (_order.Compare(RestartKey(mid), target) < 0)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        SeekToRestartPoint(lo);
        while (ParseNext())
        {
            if (_order.Compare(Key, target) >= 0)
            {
                return;
            }
        }
    }

    /// <summary>Positions at the last entry whose key is at or before <paramref name="target"/>.</summary>
    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        Seek(target);
        if (!Valid)
        {
            SeekToLast();
        }

        while (Valid && _order.Compare(Key, target) > 0)
        {
            Prev();
        }
    }

    public void Next()
    {
        if (Valid)
        {
            ParseNext();
        }
    }

    public void Prev()
    {
        if (!Valid)
        {
            return;
        }

        int original = _current;
        while (_block.RestartPoint(_restartIndex) >= original)
        {
            if (_restartIndex == 0)
            {
                _current = _block.EntriesEnd;
                _next = _current;
                _restartIndex = _block.NumRestarts;
                return;
            }

            _restartIndex--;
        }

        SeekToRestartPoint(_restartIndex);
        while (ParseNext() && _next < original)
        {
        }
    }

    private void SeekToRestartPoint(int index)
    {
        _keyLength = 0;
        _restartIndex = index;
        _next = (int)_block.RestartPoint(index);
        _current = _next;
    }

    /// <summary>Decodes the key stored whole at restart point <paramref name="index"/>, without moving.</summary>
    /// <remarks>The span points into the block (no global sequence applied).</remarks>
    internal ReadOnlySpan<byte> RestartKey(int index)
    {
        int offset = (int)_block.RestartPoint(index);
        ReadOnlySpan<byte> entries = _block.Bytes[.._block.EntriesEnd];
        int p = offset;
        int n = Coding.ReadVarint32(entries[p..], out uint shared);
        p += n;
        uint nonShared = 0;
        int m = n == 0 ? 0 : Coding.ReadVarint32(entries[p..], out nonShared);
        p += m;
        if (n == 0 || m == 0 || shared != 0)
        {
            throw Corrupt("bad restart entry", offset);
        }

        if (_format == BlockValueFormat.LengthPrefixed)
        {
            int v = Coding.ReadVarint32(entries[p..], out _);
            if (v == 0)
            {
                throw Corrupt("bad restart entry", offset);
            }

            p += v;
        }

        if (_block.ValuesOffset >= 0)
        {
            int v = Coding.ReadVarint32(entries[p..], out _);
            if (v == 0)
            {
                throw Corrupt("bad restart entry", offset);
            }

            p += v;
        }

        if (nonShared > (uint)(entries.Length - p))
        {
            throw Corrupt("restart key runs past the block", offset);
        }

        return entries.Slice(p, (int)nonShared);
    }

    /// <summary>Decodes the entry at <see cref="_next"/>; returns false (and becomes invalid) at the end.</summary>
    private bool ParseNext()
    {
        int entriesEnd = _block.EntriesEnd;
        _current = _next;
        if (_current >= entriesEnd)
        {
            _current = entriesEnd;
            _restartIndex = _block.NumRestarts;
            return false;
        }

        bool atRestart = false;
        if (_restartIndex + 1 < _block.NumRestarts && _block.RestartPoint(_restartIndex + 1) <= (uint)_current)
        {
            _restartIndex++;
        }

        if (_block.RestartPoint(_restartIndex) == (uint)_current)
        {
            atRestart = true;
        }

        ReadOnlySpan<byte> entries = _block.Bytes[..entriesEnd];
        int p = _current;
        int n = Coding.ReadVarint32(entries[p..], out uint shared);
        if (n == 0)
        {
            throw Corrupt("bad entry header", _current);
        }

        p += n;
        n = Coding.ReadVarint32(entries[p..], out uint nonShared);
        if (n == 0)
        {
            throw Corrupt("bad entry header", _current);
        }

        p += n;
        uint valueLength = 0;
        if (_format == BlockValueFormat.LengthPrefixed)
        {
            n = Coding.ReadVarint32(entries[p..], out valueLength);
            if (n == 0)
            {
                throw Corrupt("bad entry header", _current);
            }

            p += n;
        }

        if (_block.ValuesOffset >= 0 && atRestart)
        {
            n = Coding.ReadVarint32(entries[p..], out uint valueOffset);
            if (n == 0 || valueOffset > (uint)(_block.RestartsOffset - _block.ValuesOffset))
            {
                throw Corrupt("bad value offset", _current);
            }

            p += n;
            _valueCursor = _block.ValuesOffset + (int)valueOffset;
        }

        if (shared > (uint)_keyLength || nonShared > (uint)(entries.Length - p))
        {
            throw Corrupt("entry key does not fit", _current);
        }

        int keyLength = (int)shared + (int)nonShared;
        if (_key.Length < keyLength)
        {
            Array.Resize(ref _key, Math.Max(keyLength, _key.Length * 2));
        }

        entries.Slice(p, (int)nonShared).CopyTo(_key.AsSpan((int)shared));
        _keyLength = keyLength;
        p += (int)nonShared;

        if (_format == BlockValueFormat.DeltaEncodedHandles)
        {
            p = DecodeDeltaHandle(entries, p, shared != 0);
        }
        else if (_block.ValuesOffset >= 0)
        {
            if (valueLength > (uint)(_block.RestartsOffset - _valueCursor))
            {
                throw Corrupt("entry value does not fit", _current);
            }

            _valueOffset = _valueCursor;
            _valueLength = (int)valueLength;
            _valueCursor += (int)valueLength;
            if (_isIndex)
            {
                DecodeIndexValue(Value, _current);
            }
        }
        else
        {
            if (valueLength > (uint)(entries.Length - p))
            {
                throw Corrupt("entry value does not fit", _current);
            }

            _valueOffset = p;
            _valueLength = (int)valueLength;
            p += (int)valueLength;
            if (_isIndex)
            {
                DecodeIndexValue(Value, _current);
            }
        }

        if (_globalSequence >= 0)
        {
            ApplyGlobalSequence();
        }

        _next = p;
        return true;
    }

    private int DecodeDeltaHandle(ReadOnlySpan<byte> entries, int p, bool isDelta)
    {
        int start = p;
        if (isDelta)
        {
            int n = Coding.ReadVarSigned64(entries[p..], out long delta);
            if (n == 0)
            {
                throw Corrupt("bad delta-encoded index value", _current);
            }

            p += n;
            ulong offset = _handle.Offset + _handle.Size + TableFormat.BlockTrailerSize;
            _handle = new BlockHandle(offset, (ulong)((long)_handle.Size + delta));
        }
        else
        {
            int n = BlockHandle.TryDecode(entries[p..], out _handle);
            if (n == 0)
            {
                throw Corrupt("bad index value", _current);
            }

            p += n;
        }

        if (_indexHasFirstKey)
        {
            int n = Coding.ReadVarint32(entries[p..], out uint firstKeyLength);
            if (n == 0 || firstKeyLength > (uint)(entries.Length - p - n))
            {
                throw Corrupt("bad first key in index value", _current);
            }

            p += n + (int)firstKeyLength;
        }

        _valueOffset = start;
        _valueLength = p - start;
        return p;
    }

    private void DecodeIndexValue(ReadOnlySpan<byte> value, int entryOffset)
    {
        if (BlockHandle.TryDecode(value, out _handle) == 0)
        {
            throw Corrupt("bad index value", entryOffset);
        }
    }

    private void ApplyGlobalSequence()
    {
        if (_keyLength < InternalKey.TrailerSize)
        {
            throw Corrupt("internal key shorter than its trailer", _current);
        }

        // Patch a copy: the stored key must stay intact, as the next entry's shared prefix may reach into its trailer.
        if (_globalKey.Length < _keyLength)
        {
            _globalKey = new byte[Math.Max(_key.Length, 64)];
        }

        _key.AsSpan(0, _keyLength).CopyTo(_globalKey);
        Span<byte> trailer = _globalKey.AsSpan(_keyLength - InternalKey.TrailerSize, InternalKey.TrailerSize);
        ValueKind kind = (ValueKind)trailer[0];
        Coding.WriteFixed64(trailer, InternalKey.PackTrailer((ulong)_globalSequence, kind));
    }

    private CorruptionException Corrupt(string what, int offsetInBlock) =>
        new(what, _block.File, _block.FileOffset + offsetInBlock);
}
