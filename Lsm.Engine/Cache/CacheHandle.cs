namespace Lsm.Engine.Cache;

/// <summary>
/// One reference to a block held in a <see cref="BlockCache"/>: while it is held, the block's native memory is
/// neither freed nor reused, even if the entry is evicted or replaced. Release it exactly once with
/// <see cref="BlockCache.Release"/>.
/// </summary>
/// <remarks>
/// A small value: copying it does not add a reference. The default value holds nothing. <see cref="Pointer"/> and
/// <see cref="Length"/> were read when the reference was taken; after release they are dangling, and the cache
/// catches a second release (and a release of a handle it did not hand out) by the entry's generation.
/// </remarks>
internal readonly struct CacheHandle
{
    internal CacheHandle(object owner, int slot, uint generation, nint pointer, int length)
    {
        Owner = owner;
        Slot = slot;
        Generation = generation;
        Pointer = pointer;
        Length = length;
    }

    /// <summary>The shard the reference belongs to (also for a block a strict cache refused to keep: a detached slot of the shard); null for the default handle.</summary>
    internal object? Owner { get; }

    /// <summary>The entry's slot in its shard.</summary>
    internal int Slot { get; }

    /// <summary>The entry's generation when the reference was taken: a release of a stale handle is caught by it.</summary>
    internal uint Generation { get; }

    /// <summary>The block's first byte, in native memory.</summary>
    public nint Pointer { get; }

    /// <summary>The block's length in bytes.</summary>
    public int Length { get; }

    /// <summary>Whether this handle holds a reference (false for the default value).</summary>
    public bool IsValid => Owner is not null;

    /// <summary>The block's bytes. Valid only until the handle is released.</summary>
    public unsafe ReadOnlySpan<byte> Span => new((void*)Pointer, Length);
}
