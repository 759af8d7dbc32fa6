using System.Diagnostics;

namespace Lsm.Engine.Memory;

/// <summary>
/// Charges one memtable's arena to a <see cref="WriteBufferManager"/> (RocksDB's <c>AllocTracker</c>): each chunk as the
/// arena takes it, mutable until <see cref="MarkImmutable"/>, and all of it back at <see cref="Release"/> when the
/// arena frees its memory.
/// </summary>
/// <remarks>
/// <para><b>Thread safety.</b> Thread-safe: the arena's writer charges chunks, the database switches the memtable
/// under its mutex, and the last reader to release the memtable (any thread) frees it. Each call takes a lock; calls
/// come once per arena chunk, never per entry.</para>
/// <para><b>Invariants.</b> Once released, nothing more is charged or released; every byte charged is released once.</para>
/// </remarks>
internal sealed class MemtableMemoryTracker
{
    private readonly WriteBufferManager _manager;
    private readonly Lock _lock = new();
    private long _charged;
    private bool _immutable;
    private bool _released;

    public MemtableMemoryTracker(WriteBufferManager manager) => _manager = manager;

    /// <summary>Bytes charged so far and not released.</summary>
    public long Charged
    {
        get
        {
            lock (_lock)
            {
                return _charged;
            }
        }
    }

    /// <summary>Charges a chunk of <paramref name="bytes"/> the arena just took.</summary>
    public void Charge(long bytes)
    {
        lock (_lock)
        {
            Debug.Assert(!_released, "a chunk charged after the arena was freed");
            _charged += bytes;
            _manager.Reserve(bytes, mutable: !_immutable);
        }
    }

    /// <summary>The memtable takes no more writes: its memory stops counting as mutable. Later calls do nothing.</summary>
    public void MarkImmutable()
    {
        lock (_lock)
        {
            if (!_immutable && !_released)
            {
                _immutable = true;
                _manager.MarkImmutable(_charged);
            }
        }
    }

    /// <summary>The arena freed its memory: returns every byte charged. Later calls do nothing.</summary>
    public void Release()
    {
        lock (_lock)
        {
            if (_released)
            {
                return;
            }

            if (!_immutable)
            {
                _manager.MarkImmutable(_charged);
            }

            _released = true;
            _immutable = true;
            _manager.Free(_charged);
            _charged = 0;
        }
    }
}
