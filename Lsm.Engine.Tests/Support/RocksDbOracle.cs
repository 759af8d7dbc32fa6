using RocksDbSharp;

namespace Lsm.Engine.Tests.Support;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using DbOptions = RocksDbSharp.DbOptions;
using ReadOptions = RocksDbSharp.ReadOptions;
using WriteOptions = RocksDbSharp.WriteOptions;

/// <summary>
/// Drives the native RocksDB (through its .NET binding) as the oracle our files are checked against.
/// </summary>
public static class RocksDbOracle
{
    /// <summary>Writes <paramref name="entries"/> with RocksDB's own SstFileWriter.</summary>
    public static void WriteSst(
        string path,
        IReadOnlyList<TestEntry> entries,
        int? formatVersion = null,
        ChecksumType? checksum = null,
        double bloomBitsPerKey = 10,
        Compression compression = Compression.No,
        int blockSize = 4096)
    {
        var table = new BlockBasedTableOptions();
        table.SetBlockSize((ulong)blockSize);
        if (formatVersion is int version)
        {
            table.SetFormatVersion(version);
        }

        if (checksum is ChecksumType c)
        {
            Native.Instance.rocksdb_block_based_options_set_checksum(table.Handle, (char)(byte)c);
        }

        if (bloomBitsPerKey > 0)
        {
            table.SetFilterPolicy(BloomFilterPolicy.Create((int)bloomBitsPerKey, false));
        }

        var options = new ColumnFamilyOptions().SetBlockBasedTableFactory(table).SetCompression(compression);
        using var writer = new RocksDbSharp.SstFileWriter(null, options);
        writer.Open(path);
        Add(writer, entries);
        writer.Finish();
    }

    /// <summary>Adds <paramref name="entries"/> (values, merge operands, deletions) to RocksDB's SstFileWriter, in order.</summary>
    public static void Add(RocksDbSharp.SstFileWriter writer, IEnumerable<TestEntry> entries)
    {
        foreach (TestEntry e in entries)
        {
            switch (e.Kind)
            {
                case ValueKind.Value:
                    writer.Put(e.Key, e.Value);
                    break;
                case ValueKind.Merge:
                    writer.Merge(e.Key, e.Value);
                    break;
                case ValueKind.Deletion:
                    writer.Delete(e.Key);
                    break;
                default:
                    throw new ArgumentException("Unsupported kind " + e.Kind);
            }
        }
    }

    /// <summary>
    /// Ingests <paramref name="sstPaths"/> into a new RocksDB database (checksums verified before ingest),
    /// verifies every file's checksums, and returns the database, open, for reads. The merge operator is uint64add.
    /// </summary>
    public static RocksDb IngestIntoNewDb(string dbPath, params string[] sstPaths) => IngestIntoNewDb(dbPath, null, sstPaths);

    /// <summary>As <see cref="IngestIntoNewDb(string, string[])"/>, with statistics collected into <paramref name="statistics"/> when given.</summary>
    public static RocksDb IngestIntoNewDb(string dbPath, DbOptions? statistics, params string[] sstPaths)
    {
        var table = new BlockBasedTableOptions();
        table.SetFilterPolicy(BloomFilterPolicy.Create(10, false));
        var options = statistics ?? new DbOptions();
        options.SetCreateIfMissing(true).SetUint64addMergeOperator().SetBlockBasedTableFactory(table);
        RocksDb db = RocksDb.Open(options, dbPath);
        var ingest = new IngestExternalFileOptions();
        Native.Instance.rocksdb_ingestexternalfileoptions_set_verify_checksums_before_ingest(ingest.Handle, 1);
        db.IngestExternalFiles(sstPaths, ingest);
        Native.Instance.rocksdb_verify_checksum(db.Handle, out IntPtr error);
        if (error != IntPtr.Zero)
        {
            string message = System.Runtime.InteropServices.Marshal.PtrToStringAnsi(error) ?? "unknown";
            db.Dispose();
            throw new InvalidOperationException("RocksDB VerifyChecksum failed: " + message);
        }

        return db;
    }

    /// <summary>Reads one ticker (e.g. <c>rocksdb.bloom.filter.useful</c>) from the statistics text of options with statistics enabled.</summary>
    public static ulong Ticker(DbOptions options, string name)
    {
        string text = Native.Instance.rocksdb_options_statistics_get_string_marshaled(options.Handle) ?? "";
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(name + " COUNT : ", StringComparison.Ordinal))
            {
                return ulong.Parse(line[(name.Length + 9)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("No ticker " + name);
    }
}
