using Lsm.Engine.Db;
using Lsm.Engine.Versions;

namespace Lsm.Engine;

/// <summary>Creating, dropping and listing column families.</summary>
public sealed partial class LsmDb
{
    private readonly Dictionary<string, ColumnFamilyOptions> _createdOptions = new(StringComparer.Ordinal);

    /// <summary>The open column families, the default one first.</summary>
    public IReadOnlyList<ColumnFamilyHandle> ColumnFamilies
    {
        get
        {
            lock (_mutex)
            {
                ThrowIfDisposed();
                var handles = new List<ColumnFamilyHandle>();
                foreach (ColumnFamilyData cf in _columnFamilies.Values)
                {
                    handles.Add(cf.Handle);
                }

                handles.Sort((a, b) => a.Id.CompareTo(b.Id));
                return handles;
            }
        }
    }

    /// <summary>The handle of the column family named <paramref name="name"/>, or null when there is none.</summary>
    /// <param name="name">The family's name.</param>
    /// <returns>The handle, or null.</returns>
    public ColumnFamilyHandle? GetColumnFamily(string name)
    {
        lock (_mutex)
        {
            ThrowIfDisposed();
            foreach (ColumnFamilyData cf in _columnFamilies.Values)
            {
                if (cf.Handle.Name == name)
                {
                    return cf.Handle;
                }
            }

            return null;
        }
    }

    /// <summary>Creates a column family, recorded in the MANIFEST before this returns.</summary>
    /// <param name="name">A name not in use.</param>
    /// <param name="options">Its options; those of <see cref="DbOptions"/> for the name when null.</param>
    /// <returns>The new family's handle.</returns>
    /// <exception cref="ArgumentException">The name is empty or already in use.</exception>
    public ColumnFamilyHandle CreateColumnFamily(string name, ColumnFamilyOptions? options = null)
    {
        ThrowIfReadOnly();
        ArgumentException.ThrowIfNullOrEmpty(name);
        options?.Validate();
        lock (_mutex)
        {
            ThrowIfDisposed();
            ThrowIfBackgroundError();
            if (_versions.FindColumnFamily(name) is not null)
            {
                throw new ArgumentException($"Column family '{name}' already exists.", nameof(name));
            }

            if (options is not null)
            {
                _createdOptions[name] = options;
            }

            ColumnFamilyHandle handle = CreateColumnFamilyLocked(name).Handle;
            OptionsFile.Write(_fs, Path, _versions.NewFileNumber(), RenderOptionsLocked());
            DeleteObsoleteFilesLocked();
            return handle;
        }
    }

    /// <summary>
    /// Drops a column family: recorded in the MANIFEST, its data deleted once no reader holds it; its handle
    /// can no longer be used. The default family cannot be dropped.
    /// </summary>
    /// <param name="columnFamily">The family.</param>
    public void DropColumnFamily(ColumnFamilyHandle columnFamily)
    {
        ThrowIfReadOnly();
        ArgumentNullException.ThrowIfNull(columnFamily);
        lock (_mutex)
        {
            ThrowIfDisposed();
            ColumnFamilyData cf = Resolve(columnFamily);
            if (cf.Id == 0)
            {
                throw new ArgumentException("The default column family cannot be dropped.", nameof(columnFamily));
            }

            // No write group may be inserting into its memtable, and no flush may install files into it.
            WaitForWriteGroupLocked();
            while (cf.Imm.Exists(imm => imm.FlushInProgress))
            {
                Monitor.Wait(_mutex);
            }

            _versions.DropColumnFamily(cf.Id);
            columnFamily.IsDropped = true;
            _columnFamilies.Remove(cf.Id);
            _writeController?.Remove(cf.Id); // a running compaction of it finds it dropped and installs nothing
            cf.Mem.Unref();
            foreach (ImmutableMemTable imm in cf.Imm)
            {
                imm.Mem.Unref();
            }

            cf.Imm.Clear();
            cf.DropSuperVersion();
            OptionsFile.Write(_fs, Path, _versions.NewFileNumber(), RenderOptionsLocked());
            DeleteObsoleteFilesLocked();
        }
    }

    /// <summary>Lists the column families of the database in <paramref name="path"/> without opening it.</summary>
    /// <param name="path">The database directory.</param>
    /// <returns>The names, the default family first.</returns>
    public static IReadOnlyList<string> ListColumnFamilies(string path)
    {
        ManifestInfo manifest = ManifestFile.ReadDatabase(path);
        var names = new List<string>();
        foreach (ManifestColumnFamily cf in manifest.ColumnFamilies)
        {
            names.Add(cf.Name);
        }

        return names;
    }

    private ColumnFamilyData CreateColumnFamilyLocked(string name)
    {
        WaitForWriteGroupLocked(); // a leader reads the family map outside the mutex
        ColumnFamilyOptions options = _createdOptions.TryGetValue(name, out ColumnFamilyOptions? created) ? created : _options.OptionsFor(name);
        ColumnFamilyState state = _versions.CreateColumnFamily(name, _walNumber, options.Table.Comparator);
        var handle = new ColumnFamilyHandle(state.Id, state.Name) { Owner = this };
        var cf = new ColumnFamilyData(handle, options, state, NewMemTable(options));
        _columnFamilies[state.Id] = cf;
        return cf;
    }
}
