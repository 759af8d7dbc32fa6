namespace Lsm.Engine.IO;

/// <summary>One file of an <see cref="InMemoryFileSystem"/>, as <see cref="InMemoryFileSystem.GetFiles"/> reports it.</summary>
/// <param name="Path">The file's path: "/" and its components joined with "/".</param>
/// <param name="Length">Bytes flushed to the file (visible to readers); bytes still buffered in a writer are not counted.</param>
/// <param name="SyncedLength">Bytes that survive a crash, if the name does.</param>
/// <param name="NameSynced">Whether the name survives a crash: its directory was synced while it named this file.</param>
internal readonly record struct InMemoryFileState(string Path, long Length, long SyncedLength, bool NameSynced)
{
    /// <summary>One line: path, lengths and whether the name is durable.</summary>
    public override string ToString() =>
        $"{Path} length={Length} synced={SyncedLength}{(NameSynced ? "" : " (name not synced)")}";
}
