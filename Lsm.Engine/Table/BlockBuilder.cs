using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// Builds one block of sorted key/value entries with prefix-compressed keys and restart points.
/// </summary>
/// <remarks>
/// Entry layout (see format-spec.md, "Blocks"):
/// <code>
/// shared u32v | non_shared u32v | value_length u32v | key[shared..] | value
/// </code>
/// Every <c>restartInterval</c> entries the key is stored whole (shared = 0) and its offset is recorded;
/// the block ends with the restart offsets (u32 each) and their count (u32). In "value delta" mode, used
/// by index blocks from format version 4, <c>value_length</c> is omitted (a block handle describes its own
/// length) and an entry that shares key bytes stores only the signed size delta of its handle.
/// Not thread-safe. REQUIRES: keys are added in strictly increasing order.
/// </remarks>
internal sealed class BlockBuilder : IDisposable
{
    private readonly int _restartInterval;
    private readonly bool _valueDeltaEncoding;
    private readonly ByteBuffer _buffer = new(4096);
    private readonly List<uint> _restarts = [0];
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private int _counter;
    private bool _finished;

    public BlockBuilder(int restartInterval, bool valueDeltaEncoding = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(restartInterval, 1);
        _restartInterval = restartInterval;
        _valueDeltaEncoding = valueDeltaEncoding;
    }

    public bool IsEmpty => _buffer.Length == 0;

    public int EntryCount { get; private set; }

    /// <summary>The size the block would have if finished now.</summary>
    public int CurrentSizeEstimate => _buffer.Length + (_restarts.Count * 4) + 4;

    /// <summary>
    /// The size estimate after adding an entry with these key and value lengths, as RocksDB estimates it:
    /// the whole key (prefix sharing ignored), the value, a new restart slot if one is due, four bytes for the
    /// shared-length varint, and the exact varint lengths of the key and value lengths.
    /// </summary>
    public int EstimateSizeAfter(int keyLength, int valueLength) =>
        CurrentSizeEstimate + keyLength + valueLength + (_counter >= _restartInterval ? 4 : 0) + 4
        + Coding.VarintLength((ulong)keyLength) + Coding.VarintLength((ulong)valueLength);

    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    /// <summary>Appends an entry.</summary>
    /// <param name="key">The key, greater than every key added so far.</param>
    /// <param name="value">The value (for index blocks: the whole encoded handle).</param>
    /// <param name="deltaValue">In value-delta mode, the delta encoding used when the key shares bytes.</param>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> deltaValue = default)
    {
        if (_finished)
        {
            throw new InvalidOperationException("Block is finished; call Reset first.");
        }

        int shared = 0;
        if (_counter >= _restartInterval)
        {
            _restarts.Add((uint)_buffer.Length);
            _counter = 0;
        }
        else
        {
            shared = key.CommonPrefixLength(LastKey);
        }

        int nonShared = key.Length - shared;
        _buffer.AppendVarint32((uint)shared);
        _buffer.AppendVarint32((uint)nonShared);
        bool useDelta = _valueDeltaEncoding && shared != 0;
        if (!_valueDeltaEncoding)
        {
            _buffer.AppendVarint32((uint)value.Length);
        }

        _buffer.Append(key[shared..]);
        _buffer.Append(useDelta ? deltaValue : value);

        if (_lastKey.Length < key.Length)
        {
            _lastKey = new byte[Math.Max(key.Length, _lastKey.Length * 2)];
        }

        key.CopyTo(_lastKey);
        _lastKeyLength = key.Length;
        _counter++;
        EntryCount++;
    }

    /// <summary>Appends the restart array and count; the returned span is valid until <see cref="Reset"/>.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        if (!_finished)
        {
            foreach (uint restart in _restarts)
            {
                _buffer.AppendFixed32(restart);
            }

            _buffer.AppendFixed32((uint)_restarts.Count);
            _finished = true;
        }

        return _buffer.WrittenSpan;
    }

    public void Reset()
    {
        _buffer.Clear();
        _restarts.Clear();
        _restarts.Add(0);
        _lastKeyLength = 0;
        _counter = 0;
        EntryCount = 0;
        _finished = false;
    }

    public void Dispose() => _buffer.Dispose();
}
