namespace Lsm.Engine;

/// <summary>
/// A point in a database's history: reads and iterators given it see exactly the writes acknowledged before
/// it was taken. Dispose it to let compaction drop the versions it keeps alive.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private readonly Action<Snapshot> _release;
    private int _released;

    internal Snapshot(ulong sequence, object owner, Action<Snapshot> release)
    {
        Sequence = sequence;
        Owner = owner;
        _release = release;
    }

    /// <summary>The sequence number of the last write the snapshot sees.</summary>
    public ulong Sequence { get; }

    internal object Owner { get; }

    internal bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Releases the snapshot; reads with it then fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _release(this);
        }
    }
}
