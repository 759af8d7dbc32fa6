using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Db;

/// <summary>
/// Open table readers by file number, shared by every read: a table's footer, index and filter are loaded
/// once. Thread-safe.
/// </summary>
internal sealed class TableCache : IDisposable
{
    private readonly IFileSystem _fs;
    private readonly string _dbPath;
    private readonly Dictionary<ulong, TableReader> _tables = [];
    private readonly Lock _lock = new();

    public TableCache(IFileSystem fs, string dbPath)
    {
        _fs = fs;
        _dbPath = dbPath;
    }

    /// <summary>The reader of table <paramref name="fileNumber"/>, opening it on first use.</summary>
    public TableReader Get(ulong fileNumber, KeyComparator comparator)
    {
        lock (_lock)
        {
            if (_tables.TryGetValue(fileNumber, out TableReader? reader))
            {
                return reader;
            }
        }

        string path = Path.Join(_dbPath, DbFileName.Table(fileNumber));
        TableReader opened = TableReader.Open(_fs.OpenRead(path), ownsFile: true, comparator);
        lock (_lock)
        {
            if (_tables.TryGetValue(fileNumber, out TableReader? raced))
            {
                opened.Dispose();
                return raced;
            }

            _tables[fileNumber] = opened;
            return opened;
        }
    }

    /// <summary>Closes the reader of a deleted table. Readers still using it keep a working handle until then.</summary>
    public void Evict(ulong fileNumber)
    {
        lock (_lock)
        {
            if (_tables.Remove(fileNumber, out TableReader? reader))
            {
                reader.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (TableReader reader in _tables.Values)
            {
                reader.Dispose();
            }

            _tables.Clear();
        }
    }
}
