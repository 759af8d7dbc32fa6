namespace Lsm.Engine.IO;

/// <summary>How a simulated crash of an <see cref="InMemoryFileSystem"/> treats bytes that were written but not synced.</summary>
/// <remarks>Directory entries always revert to their last sync; these options only shape the tails of files.</remarks>
internal sealed record InMemoryCrashOptions
{
    /// <summary>The strictest crash, and the default: every unsynced byte is lost.</summary>
    public static InMemoryCrashOptions DropUnsynced { get; } = new();

    /// <summary>What happens to each file's unsynced tail. Default: <see cref="InMemoryUnsyncedTail.Drop"/>.</summary>
    public InMemoryUnsyncedTail UnsyncedTail { get; init; } = InMemoryUnsyncedTail.Drop;

    /// <summary>
    /// Seeds the lengths drawn for the torn modes. Files are visited in path order, so one seed and one history give
    /// one crash. Default: 0.
    /// </summary>
    public int Seed { get; init; }

    /// <summary>A crash that keeps a random prefix of each file's unsynced tail, drawn from <paramref name="seed"/>.</summary>
    public static InMemoryCrashOptions TornTail(int seed) => new() { UnsyncedTail = InMemoryUnsyncedTail.KeepRandomPrefix, Seed = seed };
}

/// <summary>The fate of a file's unsynced bytes in a simulated crash.</summary>
internal enum InMemoryUnsyncedTail
{
    /// <summary>Every unsynced byte is lost: the file keeps exactly its synced prefix.</summary>
    Drop,

    /// <summary>
    /// The file keeps its synced prefix and a random-length prefix of its unsynced bytes (possibly none, possibly all),
    /// as when the OS had written some of the pages back before the crash. The kept tail may end mid-record.
    /// </summary>
    KeepRandomPrefix,

    /// <summary>
    /// As <see cref="KeepRandomPrefix"/>, followed by a random number of zero bytes (never past the length the file had):
    /// the file's size reached the disk but some of its data did not, as on file systems that allocate lazily.
    /// </summary>
    KeepRandomPrefixThenZeros,
}
