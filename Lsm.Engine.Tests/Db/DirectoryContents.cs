namespace Lsm.Engine.Tests.Db;

/// <summary>
/// Every file of a database directory, name and bytes, taken at one moment: to prove that an operation left the
/// directory exactly as it was (no file created, deleted, renamed, grown or rewritten).
/// </summary>
internal sealed class DirectoryContents
{
    private readonly SortedDictionary<string, byte[]> _files;

    private DirectoryContents(SortedDictionary<string, byte[]> files) => _files = files;

    public IReadOnlyCollection<string> Names => _files.Keys;

    /// <summary>Reads every file in <paramref name="path"/> (database directories are flat); <paramref name="exclude"/> leaves out names.</summary>
    public static DirectoryContents Read(string path, Func<string, bool>? exclude = null)
    {
        Assert.Empty(Directory.GetDirectories(path));
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(path))
        {
            string name = Path.GetFileName(file);
            if (exclude is null || !exclude(name))
            {
                files[name] = File.ReadAllBytes(file);
            }
        }

        return files.Count > 0 ? new DirectoryContents(files) : throw new InvalidOperationException($"{path} is empty");
    }

    /// <summary>The differences from <paramref name="before"/>, one line each; empty when the two are identical.</summary>
    public IReadOnlyList<string> DiffersFrom(DirectoryContents before)
    {
        var differences = new List<string>();
        foreach ((string name, byte[] bytes) in before._files)
        {
            if (!_files.TryGetValue(name, out byte[]? now))
            {
                differences.Add($"{name}: deleted");
            }
            else if (!now.AsSpan().SequenceEqual(bytes))
            {
                differences.Add($"{name}: changed ({bytes.Length} -> {now.Length} bytes)");
            }
        }

        foreach (string name in _files.Keys)
        {
            if (!before._files.ContainsKey(name))
            {
                differences.Add($"{name}: created");
            }
        }

        return differences;
    }

    /// <summary>Fails with the list of differences unless the directory is byte for byte as <paramref name="before"/>.</summary>
    public void AssertSameAs(DirectoryContents before, string when)
    {
        IReadOnlyList<string> differences = DiffersFrom(before);
        Assert.True(differences.Count == 0, $"{when}: the directory changed: {string.Join("; ", differences)}");
    }
}
