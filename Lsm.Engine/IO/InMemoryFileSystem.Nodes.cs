using System.Diagnostics;

namespace Lsm.Engine.IO;

/// <summary>The in-memory file system's nodes (directories and files) and the handles that read, write and lock them.</summary>
internal sealed partial class InMemoryFileSystem
{
    private abstract class Node
    {
    }

    /// <summary>A directory: its entries as visible now, and as of its last sync. Guarded by the file system's lock.</summary>
    private sealed class DirectoryNode : Node
    {
        public Dictionary<string, Node> Entries { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Node> SyncedEntries { get; set; } = new(StringComparer.Ordinal);
    }

    /// <summary>A file's bytes and how many of them are durable.</summary>
    /// <remarks>Thread-safe through its own lock. Invariant: 0 ≤ <see cref="SyncedLength"/> ≤ <see cref="Length"/>.</remarks>
    private sealed class FileNode : Node
    {
        private readonly Lock _lock = new();
        private byte[] _data = [];
        private int _length;
        private int _syncedLength;

        public long Length
        {
            get
            {
                lock (_lock)
                {
                    return _length;
                }
            }
        }

        public long SyncedLength
        {
            get
            {
                lock (_lock)
                {
                    return _syncedLength;
                }
            }
        }

        public void Append(ReadOnlySpan<byte> data, string name)
        {
            lock (_lock)
            {
                if ((long)_length + data.Length > Array.MaxLength)
                {
                    throw new IOException($"In-memory file '{name}' would exceed {Array.MaxLength} bytes.");
                }

                if (_length + data.Length > _data.Length)
                {
                    Array.Resize(ref _data, (int)Math.Min(Array.MaxLength, Math.Max(_length + data.Length, Math.Max(4096L, 2L * _data.Length))));
                }

                data.CopyTo(_data.AsSpan(_length));
                _length += data.Length;
            }
        }

        public int Read(long offset, Span<byte> destination)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            lock (_lock)
            {
                if (offset >= _length)
                {
                    return 0;
                }

                int n = (int)Math.Min(destination.Length, _length - offset);
                _data.AsSpan((int)offset, n).CopyTo(destination);
                return n;
            }
        }

        public void Sync()
        {
            lock (_lock)
            {
                _syncedLength = _length;
            }
        }

        /// <summary>Empties the file, durably (see the file system's remarks).</summary>
        public void Truncate()
        {
            lock (_lock)
            {
                _data = [];
                _length = 0;
                _syncedLength = 0;
            }
        }

        public byte[] ToArray()
        {
            lock (_lock)
            {
                return _data.AsSpan(0, _length).ToArray();
            }
        }

        /// <summary>
        /// The file as a crash leaves it: the synced prefix, then as much of the unsynced tail as <paramref name="tail"/>
        /// keeps, drawing lengths from <paramref name="random"/>. The copy is fully synced.
        /// </summary>
        public FileNode DurableCopy(InMemoryUnsyncedTail tail, Random random)
        {
            lock (_lock)
            {
                Debug.Assert(_syncedLength <= _length, "synced length beyond the end of the file");
                int unsynced = _length - _syncedLength;
                int kept = _syncedLength;
                int zeros = 0;
                if (tail != InMemoryUnsyncedTail.Drop && unsynced > 0)
                {
                    kept += (int)random.NextInt64(unsynced + 1L);
                    if (tail == InMemoryUnsyncedTail.KeepRandomPrefixThenZeros)
                    {
                        zeros = (int)random.NextInt64(_length - kept + 1L);
                    }
                }

                var copy = new FileNode { _data = new byte[kept + zeros], _length = kept + zeros, _syncedLength = kept + zeros };
                _data.AsSpan(0, kept).CopyTo(copy._data);
                return copy;
            }
        }
    }

    /// <summary>
    /// A file being written. Appends collect in the handle until <see cref="Flush"/>, <see cref="Sync"/> or
    /// <see cref="Dispose"/> hands them to the node, the way <see cref="FileStream"/> buffers.
    /// </summary>
    private sealed class WritableFile(InMemoryFileSystem fs, FileNode node, string name, int generation) : IWritableFile
    {
        private byte[] _pending = [];
        private int _pendingLength;
        private bool _disposed;

        public string Name { get; } = name;

        public long Length { get; private set; }

        public void Append(ReadOnlySpan<byte> data)
        {
            ThrowIfUnusable();
            if ((long)_pendingLength + data.Length > Array.MaxLength)
            {
                FlushPending();
            }

            if (_pendingLength + data.Length > _pending.Length)
            {
                Array.Resize(ref _pending, (int)Math.Min(Array.MaxLength, Math.Max(_pendingLength + data.Length, Math.Max(4096L, 2L * _pending.Length))));
            }

            data.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += data.Length;
            Length += data.Length;
        }

        public void Flush()
        {
            ThrowIfUnusable();
            FlushPending();
        }

        public void Sync()
        {
            ThrowIfUnusable();
            FlushPending();
            node.Sync();
        }

        /// <summary>Hands buffered bytes to the node, unless the file system crashed since the file was created.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (generation == fs._generation)
            {
                FlushPending();
            }

            _pending = [];
        }

        private void FlushPending()
        {
            if (_pendingLength > 0)
            {
                node.Append(_pending.AsSpan(0, _pendingLength), Name);
                _pendingLength = 0;
            }
        }

        private void ThrowIfUnusable()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            fs.ThrowIfCrashed(generation, Name);
        }
    }

    /// <summary>A reader of a node; reads see every flushed byte, including those appended after it was opened.</summary>
    private sealed class RandomAccessFile(InMemoryFileSystem fs, FileNode node, string name, int generation) : IRandomAccessFile
    {
        private bool _disposed;

        public string Name { get; } = name;

        /// <summary>The length when opened, as for a local file.</summary>
        public long Length { get; } = node.Length;

        public int Read(long offset, Span<byte> destination)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            fs.ThrowIfCrashed(generation, Name);
            return node.Read(offset, destination);
        }

        public void Dispose() => _disposed = true;
    }

    /// <summary>A held lock; disposing releases it (once).</summary>
    private sealed class LockHandle(InMemoryFileSystem fs, string key) : IDisposable
    {
        private int _disposed;

        public string Key { get; } = key;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                fs.Unlock(this);
            }
        }
    }
}
