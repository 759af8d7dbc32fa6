using System.Text;

namespace Lsm.Engine.IO;

/// <summary>Crashes and inspection of the in-memory file system.</summary>
internal sealed partial class InMemoryFileSystem
{
    /// <summary>
    /// A new file system holding what would survive if the machine crashed now: each directory's entries as of its
    /// last sync, each surviving file cut to its synced length (or torn, as <paramref name="options"/> says).
    /// </summary>
    /// <remarks>
    /// This file system is left as it was, and its open handles keep working on it; nothing written here later reaches
    /// the clone. The clone has no open handles and no locks, and everything in it is synced.
    /// </remarks>
    public InMemoryFileSystem CrashClone(InMemoryCrashOptions? options = null)
    {
        lock (_gate)
        {
            return new InMemoryFileSystem(DurableTree(options ?? InMemoryCrashOptions.DropUnsynced));
        }
    }

    /// <summary>
    /// Crashes this file system in place: its contents become what <see cref="CrashClone"/> would return, every lock is
    /// released, and every handle opened before the crash throws <see cref="IOException"/> from then on (disposing
    /// one is harmless and flushes nothing).
    /// </summary>
    public void SimulateCrash(InMemoryCrashOptions? options = null)
    {
        lock (_gate)
        {
            _root = DurableTree(options ?? InMemoryCrashOptions.DropUnsynced);
            _locks.Clear();
            _generation++;
        }
    }

    /// <summary>Every visible file, in path order, with its flushed and synced lengths and whether its name is durable.</summary>
    public IReadOnlyList<InMemoryFileState> GetFiles()
    {
        lock (_gate)
        {
            var files = new List<InMemoryFileState>();
            Walk(_root, "", (path, dir, name, node) =>
            {
                if (node is FileNode file)
                {
                    bool nameSynced = dir.SyncedEntries.TryGetValue(name, out Node? synced) && synced == file;
                    files.Add(new InMemoryFileState(path, file.Length, file.SyncedLength, nameSynced));
                }
            });
            return files;
        }
    }

    /// <summary>
    /// A listing for test failures and debugging: one line per visible file (see <see cref="InMemoryFileState"/>), and
    /// one per durable name that is no longer visible (deleted or renamed away, and back after a crash).
    /// </summary>
    public string Describe()
    {
        lock (_gate)
        {
            var text = new StringBuilder();
            Walk(_root, "", (path, dir, name, node) =>
            {
                if (node is FileNode file)
                {
                    bool nameSynced = dir.SyncedEntries.TryGetValue(name, out Node? synced) && synced == file;
                    text.Append(new InMemoryFileState(path, file.Length, file.SyncedLength, nameSynced).ToString()).Append('\n');
                }
            });
            Walk(_root, "", (path, dir, name, node) =>
            {
                if (node is DirectoryNode d)
                {
                    foreach ((string syncedName, Node syncedNode) in d.SyncedEntries.OrderBy(e => e.Key, StringComparer.Ordinal))
                    {
                        if (syncedNode is FileNode && (!d.Entries.TryGetValue(syncedName, out Node? now) || now != syncedNode))
                        {
                            text.Append(path).Append('/').Append(syncedName).Append(" (durable name of a file no longer here: returns in a crash)\n");
                        }
                    }
                }
            });
            return text.ToString();
        }
    }

    /// <summary>The file's flushed bytes (a copy): what a reader opened now would see.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public byte[] ReadAllBytes(string path)
    {
        lock (_gate)
        {
            return FindFile(path).ToArray();
        }
    }

    /// <summary>Calls <paramref name="visit"/> for the root (with an empty name) and every entry below it, depth first in name order.</summary>
    private static void Walk(DirectoryNode root, string rootPath, Action<string, DirectoryNode, string, Node> visit)
    {
        visit(rootPath, root, "", root);
        foreach ((string name, Node node) in root.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            string path = rootPath + "/" + name;
            if (node is DirectoryNode dir)
            {
                Walk(dir, path, visit);
            }
            else
            {
                visit(path, root, name, node);
            }
        }
    }

    /// <summary>A copy of the durable state below the root. Caller holds the tree lock.</summary>
    private DirectoryNode DurableTree(InMemoryCrashOptions options)
    {
        var random = new Random(options.Seed);
        var copies = new Dictionary<Node, Node>(ReferenceEqualityComparer.Instance);
        return (DirectoryNode)DurableCopy(_root, options.UnsyncedTail, random, copies);
    }

    /// <summary>
    /// The durable copy of <paramref name="node"/>. A file reachable under two names (a rename between directories
    /// with only one of them synced) stays one file, so <paramref name="copies"/> maps each node to its copy.
    /// </summary>
    private static Node DurableCopy(Node node, InMemoryUnsyncedTail tail, Random random, Dictionary<Node, Node> copies)
    {
        if (copies.TryGetValue(node, out Node? done))
        {
            return done;
        }

        Node copy;
        if (node is FileNode file)
        {
            copy = file.DurableCopy(tail, random);
        }
        else
        {
            var dir = (DirectoryNode)node;
            var dirCopy = new DirectoryNode();
            foreach ((string name, Node child) in dir.SyncedEntries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                dirCopy.Entries.Add(name, DurableCopy(child, tail, random, copies));
            }

            dirCopy.SyncedEntries = new Dictionary<string, Node>(dirCopy.Entries, StringComparer.Ordinal);
            copy = dirCopy;
        }

        copies.Add(node, copy);
        return copy;
    }
}
