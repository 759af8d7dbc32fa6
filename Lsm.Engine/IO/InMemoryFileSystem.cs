namespace Lsm.Engine.IO;

/// <summary>
/// A file system in memory that remembers what is durable, so tests can crash it: <see cref="CrashClone"/> and
/// <see cref="SimulateCrash"/> keep exactly what <see cref="IWritableFile.Sync"/> and <see cref="SyncDirectory"/>
/// made durable, and drop the rest.
/// </summary>
/// <remarks>
/// <para>Model, after POSIX on a journaling file system:</para>
/// <list type="bullet">
/// <item>A file is a node (an inode) with its bytes and its synced length. <see cref="IWritableFile.Append"/>
/// buffers in the handle, as <see cref="FileStream"/> does; <see cref="IWritableFile.Flush"/> (or
/// <see cref="IWritableFile.Sync"/>, or disposing the handle) hands the bytes to the node, where readers and
/// <see cref="GetFileLength"/> see them; <see cref="IWritableFile.Sync"/> also makes every byte of the node
/// durable. <see cref="Create"/> on an existing file truncates that node in place, and the truncation is durable
/// at once (the pessimistic choice).</item>
/// <item>A directory maps names to nodes twice: as visible now, and as of its last <see cref="SyncDirectory"/>.
/// Creating, renaming and deleting a file change only the visible map, so a crash reverts them unless the
/// directory was synced since. A rename between directories needs both synced.</item>
/// <item>Directories themselves are durable as soon as <see cref="CreateDirectory"/> returns: the interface has no
/// way to remove one, and the engine never syncs the parent of its database directory.</item>
/// <item>Paths are split on <c>/</c> (and <c>\</c> on Windows) below a single root: <c>"/db/x"</c>, <c>"db/x"</c>
/// and <c>"/db//x"</c> name the same file. Names compare ordinally.</item>
/// </list>
/// <para>
/// Thread safety: every member may be called from any thread. One lock guards the directory tree and the lock table;
/// each file node has its own lock for its bytes, taken after the tree lock when both are needed.
/// </para>
/// </remarks>
internal sealed partial class InMemoryFileSystem : IFileSystem
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LockHandle> _locks = new(StringComparer.Ordinal);
    private DirectoryNode _root;

    /// <summary>Bumped by <see cref="SimulateCrash"/>; handles opened in an earlier generation refuse to work.</summary>
    private volatile int _generation;

    public InMemoryFileSystem()
    {
        _root = new DirectoryNode();
    }

    private InMemoryFileSystem(DirectoryNode root)
    {
        _root = root;
    }

    public IWritableFile Create(string path)
    {
        lock (_gate)
        {
            (DirectoryNode parent, string name) = ResolveParent(path);
            FileNode node;
            if (parent.Entries.TryGetValue(name, out Node? existing))
            {
                node = existing as FileNode ?? throw new IOException($"Cannot create file '{path}': it is a directory.");
                node.Truncate();
            }
            else
            {
                node = new FileNode();
                parent.Entries.Add(name, node);
            }

            return new WritableFile(this, node, path, _generation);
        }
    }

    public IRandomAccessFile OpenRead(string path)
    {
        lock (_gate)
        {
            return new RandomAccessFile(this, FindFile(path), path, _generation);
        }
    }

    public bool FileExists(string path)
    {
        lock (_gate)
        {
            return TryFind(path) is FileNode;
        }
    }

    public bool DirectoryExists(string path)
    {
        lock (_gate)
        {
            return TryFind(path) is DirectoryNode;
        }
    }

    public long GetFileLength(string path)
    {
        lock (_gate)
        {
            return FindFile(path).Length;
        }
    }

    public void Delete(string path)
    {
        lock (_gate)
        {
            if (TryFindParent(path, out DirectoryNode? parent, out string? name) && parent.Entries.TryGetValue(name, out Node? node))
            {
                if (node is DirectoryNode)
                {
                    throw new IOException($"Cannot delete '{path}': it is a directory.");
                }

                parent.Entries.Remove(name);
            }
        }
    }

    public void Rename(string from, string to)
    {
        lock (_gate)
        {
            if (!TryFindParent(from, out DirectoryNode? fromParent, out string? fromName)
                || !fromParent.Entries.TryGetValue(fromName, out Node? node)
                || node is not FileNode)
            {
                throw new FileNotFoundException($"Could not find file '{from}' to rename.", from);
            }

            (DirectoryNode toParent, string toName) = ResolveParent(to);
            if (toParent.Entries.TryGetValue(toName, out Node? target) && target is DirectoryNode)
            {
                throw new IOException($"Cannot rename '{from}' to '{to}': the target is a directory.");
            }

            fromParent.Entries.Remove(fromName);
            toParent.Entries[toName] = node;
        }
    }

    public void CreateDirectory(string path)
    {
        lock (_gate)
        {
            DirectoryNode dir = _root;
            foreach (string part in Split(path))
            {
                if (!dir.Entries.TryGetValue(part, out Node? child))
                {
                    var created = new DirectoryNode();
                    dir.Entries.Add(part, created);
                    dir.SyncedEntries[part] = created; // durable at once: see the type's remarks
                    child = created;
                }

                dir = child as DirectoryNode ?? throw new IOException($"Cannot create directory '{path}': '{part}' is a file.");
            }
        }
    }

    public IReadOnlyList<string> ListFiles(string directory)
    {
        lock (_gate)
        {
            var names = new List<string>();
            foreach ((string name, Node node) in FindDirectory(directory).Entries)
            {
                if (node is FileNode)
                {
                    names.Add(name);
                }
            }

            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    public void SyncDirectory(string directory)
    {
        lock (_gate)
        {
            DirectoryNode dir = FindDirectory(directory);
            dir.SyncedEntries = new Dictionary<string, Node>(dir.Entries, StringComparer.Ordinal);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Creates the lock file if missing (durable only once its directory is synced). A crash releases every lock.</remarks>
    public IDisposable Lock(string path)
    {
        lock (_gate)
        {
            string key = Key(path);
            if (_locks.ContainsKey(key))
            {
                throw new IOException($"Lock on '{path}' is already held.");
            }

            (DirectoryNode parent, string name) = ResolveParent(path);
            if (!parent.Entries.TryGetValue(name, out Node? node))
            {
                parent.Entries.Add(name, new FileNode());
            }
            else if (node is DirectoryNode)
            {
                throw new IOException($"Cannot lock '{path}': it is a directory.");
            }

            var handle = new LockHandle(this, key);
            _locks.Add(key, handle);
            return handle;
        }
    }

    private void Unlock(LockHandle handle)
    {
        lock (_gate)
        {
            // After a crash the table was cleared and may hold a newer holder of the same path: leave it alone.
            if (_locks.TryGetValue(handle.Key, out LockHandle? current) && current == handle)
            {
                _locks.Remove(handle.Key);
            }
        }
    }

    private void ThrowIfCrashed(int generation, string name)
    {
        if (generation != _generation)
        {
            throw new IOException($"'{name}' was opened before a simulated crash of the in-memory file system; its handle is dead.");
        }
    }

    /// <summary>The path's components below the root, with empty and "." parts dropped and ".." applied.</summary>
    private static List<string> Split(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split(Path.DirectorySeparatorChar == '\\' ? ['/', '\\'] : ['/']))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return parts;
    }

    /// <summary>The canonical form of a path: "/" followed by its components joined with "/".</summary>
    private static string Key(string path) => "/" + string.Join('/', Split(path));

    private Node? TryFind(string path)
    {
        Node node = _root;
        foreach (string part in Split(path))
        {
            if (node is not DirectoryNode dir || !dir.Entries.TryGetValue(part, out Node? child))
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    private FileNode FindFile(string path) =>
        TryFind(path) as FileNode ?? throw new FileNotFoundException($"Could not find file '{path}'.", path);

    private DirectoryNode FindDirectory(string path) =>
        TryFind(path) as DirectoryNode ?? throw new DirectoryNotFoundException($"Could not find directory '{path}'.");

    private bool TryFindParent(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DirectoryNode? parent, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        List<string> parts = Split(path);
        parent = null;
        name = null;
        if (parts.Count == 0)
        {
            return false;
        }

        DirectoryNode dir = _root;
        for (int i = 0; i < parts.Count - 1; i++)
        {
            if (!dir.Entries.TryGetValue(parts[i], out Node? child) || child is not DirectoryNode childDir)
            {
                return false;
            }

            dir = childDir;
        }

        parent = dir;
        name = parts[^1];
        return true;
    }

    private (DirectoryNode Parent, string Name) ResolveParent(string path)
    {
        if (Split(path).Count == 0)
        {
            throw new IOException($"'{path}' names the root directory, not a file.");
        }

        return TryFindParent(path, out DirectoryNode? parent, out string? name)
            ? (parent, name)
            : throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'.");
    }
}
