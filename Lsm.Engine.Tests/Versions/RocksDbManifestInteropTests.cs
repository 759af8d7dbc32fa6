using System.Runtime.InteropServices;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Versions;
using Lsm.Engine.Wal;
using RocksDbSharp;
using FileMetadata = Lsm.Engine.Versions.FileMetadata;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Versions;

using ColumnFamilyOptions = RocksDbSharp.ColumnFamilyOptions;
using DbOptions = RocksDbSharp.DbOptions;
using ReadOptions = RocksDbSharp.ReadOptions;
using WriteOptions = RocksDbSharp.WriteOptions;

// Declared inside the namespace so they win over same-named engine types (Lsm.Engine.DbOptions...).
using ColumnFamilies = RocksDbSharp.ColumnFamilies;
using FlushOptions = RocksDbSharp.FlushOptions;
using Native = RocksDbSharp.Native;
using RocksDb = RocksDbSharp.RocksDb;

/// <summary>
/// Our MANIFEST handling against RocksDB's: RocksDB's MANIFESTs decode and re-encode byte for byte and
/// recover to RocksDB's own live files; a directory we create opens in RocksDB.
/// </summary>
public sealed class RocksDbManifestInteropTests
{
    private sealed record LiveFile(string Name, string ColumnFamily, int Level, ulong Size, byte[] Smallest, byte[] Largest, ulong SmallestSeq, ulong LargestSeq);

    /// <summary>Creates a RocksDB database with two flushed files in default, one in cf1, then closes it; returns RocksDB's live files.</summary>
    private static List<LiveFile> CreateRocksDb(string path, bool reopen)
    {
        var options = new DbOptions().SetCreateIfMissing(true).SetCreateMissingColumnFamilies(true);
        var live = new List<LiveFile>();
        using (RocksDb db = RocksDb.Open(options, path, new ColumnFamilies()))
        {
            db.Put("apple", "1");
            db.Put("banana", "2");
            db.Put("cherry", "3");
            db.Flush(new FlushOptions().SetWaitForFlush(true));
            db.Put("banana", "4");
            db.Remove("apple");
            db.Put("date", "5");
            db.Flush(new FlushOptions().SetWaitForFlush(true));
            var cf1 = db.CreateColumnFamily(new ColumnFamilyOptions(), "cf1");
            db.Put("k1", "v1", cf1);
            db.Put("k2", "v2", cf1);
            Native.Instance.rocksdb_flush_cf(db.Handle, new FlushOptions().SetWaitForFlush(true).Handle, cf1.Handle);
            db.Put("unflushed", "x");
        }

        var families = new ColumnFamilies { { "cf1", new ColumnFamilyOptions() } };
        using (RocksDb db = RocksDb.Open(new DbOptions(), path, families))
        {
            if (reopen)
            {
                db.Flush(new FlushOptions().SetWaitForFlush(true));
            }

            IntPtr files = Native.Instance.rocksdb_livefiles(db.Handle);
            try
            {
                int n = Native.Instance.rocksdb_livefiles_count(files);
                for (int i = 0; i < n; i++)
                {
                    IntPtr s = Native.Instance.rocksdb_livefiles_smallestkey(files, i, out UIntPtr sl);
                    IntPtr l = Native.Instance.rocksdb_livefiles_largestkey(files, i, out UIntPtr ll);
                    byte[] smallest = new byte[(int)sl];
                    byte[] largest = new byte[(int)ll];
                    Marshal.Copy(s, smallest, 0, smallest.Length);
                    Marshal.Copy(l, largest, 0, largest.Length);
                    live.Add(new LiveFile(
                        Marshal.PtrToStringAnsi(Native.Instance.rocksdb_livefiles_name(files, i))!.TrimStart('/'),
                        Marshal.PtrToStringAnsi(Native.Instance.rocksdb_livefiles_column_family_name(files, i))!,
                        Native.Instance.rocksdb_livefiles_level(files, i),
                        (ulong)Native.Instance.rocksdb_livefiles_size(files, i),
                        smallest,
                        largest,
                        Native.Instance.rocksdb_livefiles_smallest_seqno(files, i),
                        Native.Instance.rocksdb_livefiles_largest_seqno(files, i)));
                }
            }
            finally
            {
                Native.Instance.rocksdb_livefiles_destroy(files);
            }
        }

        return live;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RocksDbManifest_EveryRecord_ReencodesByteForByte(bool reopen)
    {
        using var dir = new TempDirectory();
        CreateRocksDb(dir.Path, reopen);
        (ulong _, string manifest) = CurrentFile.Read(LocalFileSystem.Instance, dir.Path);
        using var reader = new LogReader(LocalFileSystem.Instance.OpenRead(manifest), ownsFile: true);
        int records = 0;
        while (reader.TryReadRecord(WalRecoveryMode.AbsoluteConsistency, out ReadOnlySpan<byte> record))
        {
            VersionEdit edit = VersionEdit.Decode(record, manifest, reader.RecordOffset);
            Assert.True(record.SequenceEqual(edit.Encode()), $"record at {reader.RecordOffset} re-encodes differently:\n{edit}\n{Convert.ToHexString(record)}\n{Convert.ToHexString(edit.Encode())}");
            Assert.Equal(edit.ToString(), VersionEdit.Parse(edit.ToString()).ToString());
            records++;
        }

        Assert.True(records >= 5);
    }

    [Fact]
    public void SstUniqueId_EqualsTheIdRocksDbRecords_ForEachOfItsTables()
    {
        using var dir = new TempDirectory();
        CreateRocksDb(dir.Path, reopen: true);
        using VersionSet set = VersionSet.Recover(LocalFileSystem.Instance, dir.Path, new VersionSetOptions());
        int checkedFiles = 0;
        foreach (ColumnFamilyState cf in set.ColumnFamilies)
        {
            Version v = set.AcquireCurrent(cf.Id);
            foreach ((int _, FileMetadata f) in v.AllFiles())
            {
                using var table = TableReader.Open(Path.Join(dir.Path, DbFileName.Table(f.FileNumber)));
                string dbId = System.Text.Encoding.UTF8.GetString(table.Properties.Raw[TablePropertyNames.DbId].Span);
                string session = System.Text.Encoding.UTF8.GetString(table.Properties.Raw[TablePropertyNames.DbSessionId].Span);
                Assert.NotNull(f.UniqueId);
                Assert.Equal(Convert.ToHexString(f.UniqueId), Convert.ToHexString(SstUniqueId.Compute(dbId, session, f.FileNumber)));
                checkedFiles++;
            }

            v.Unref();
        }

        Assert.True(checkedFiles >= 2, $"only {checkedFiles} tables");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RocksDbDatabase_RecoversRocksDbsLiveFiles(bool reopen)
    {
        using var dir = new TempDirectory();
        List<LiveFile> live = CreateRocksDb(dir.Path, reopen);

        using VersionSet set = VersionSet.Recover(LocalFileSystem.Instance, dir.Path, new VersionSetOptions());
        Assert.Equal(["default", "cf1"], set.ColumnFamilies.Select(c => c.Name));
        var ours = new List<LiveFile>();
        foreach (ColumnFamilyState cf in set.ColumnFamilies)
        {
            Version v = set.AcquireCurrent(cf.Id);
            foreach ((int level, FileMetadata f) in v.AllFiles())
            {
                ours.Add(new LiveFile(DbFileName.Table(f.FileNumber), cf.Name, level, f.FileSize, f.SmallestUserKey.ToArray(), f.LargestUserKey.ToArray(), f.SmallestSequence, f.LargestSequence));
            }

            v.Unref();
        }

        static string Describe(IEnumerable<LiveFile> files) => string.Join("\n", files
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name} {f.ColumnFamily} L{f.Level} {f.Size} {Convert.ToHexString(f.Smallest)}..{Convert.ToHexString(f.Largest)} {f.SmallestSeq}-{f.LargestSeq}"));
        Assert.Equal(Describe(live), Describe(ours));
        Assert.True(set.LastSequence >= 7, $"last sequence {set.LastSequence}");
        Assert.Equal(1u, set.MaxColumnFamily);
        Assert.False(string.IsNullOrEmpty(set.DbId));
        Assert.Equal(System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(dir.File("IDENTITY"))), set.DbId);

        ManifestInfo info = ManifestFile.ReadDatabase(dir.Path);
        Assert.Null(info.Problem);
        Assert.Equal(set.DbId, info.DbId);
        Assert.Equal(
            live.Count,
            info.ColumnFamilies.Sum(c => c.Levels.Sum(l => l.Count)));
        ManifestTableFile any = info.ColumnFamilies.SelectMany(c => c.Levels.SelectMany(l => l)).First();
        Assert.Matches(@"^.+#\d+,[A-Z]+$", any.Smallest);
    }

    [Fact]
    public void RocksDbDatabase_AfterOurRollover_StillOpensInRocksDb()
    {
        using var dir = new TempDirectory();
        CreateRocksDb(dir.Path, reopen: false);
        using (VersionSet set = VersionSet.Recover(LocalFileSystem.Instance, dir.Path, new VersionSetOptions()))
        {
            set.RollOverManifest();
            set.DeleteObsoleteFiles();
        }

        var families = new ColumnFamilies { { "cf1", new ColumnFamilyOptions() } };
        using RocksDb db = RocksDb.Open(new DbOptions(), dir.Path, families);
        Assert.Equal("4", db.Get("banana"));
        Assert.Null(db.Get("apple"));
        Assert.Equal("x", db.Get("unflushed"));
        Assert.Equal("v2", db.Get("k2", db.GetColumnFamily("cf1")));
    }

    /// <summary>Writes a database file as a flush would: internal keys with real sequence numbers, our writer.</summary>
    private static FileMetadata WriteTable(string dbPath, VersionSet set, ulong number, IEnumerable<(string Key, ulong Seq, ValueKind Kind, string Value)> entries, ulong epoch)
    {
        string path = Path.Join(dbPath, DbFileName.Table(number));
        var context = new TableBuilderContext(0, "default", "nullptr", set.DbId, TableBuilderContext.NewSessionId(), number, IsExternal: false);
        byte[]? smallest = null, largest = null;
        ulong minSeq = ulong.MaxValue, maxSeq = 0;
        ulong size;
        using (IWritableFile file = LocalFileSystem.Instance.Create(path))
        {
            using var builder = new TableBuilder(file, new TableOptions(), context);
            foreach ((string key, ulong seq, ValueKind kind, string value) in entries)
            {
                byte[] ikey = InternalKey.Create(System.Text.Encoding.ASCII.GetBytes(key), seq, kind);
                builder.Add(ikey, System.Text.Encoding.ASCII.GetBytes(value));
                smallest ??= ikey;
                largest = ikey;
                minSeq = Math.Min(minSeq, seq);
                maxSeq = Math.Max(maxSeq, seq);
            }

            builder.Finish();
            size = builder.FileSize;
            file.Sync();
        }

        return new FileMetadata
        {
            FileNumber = number,
            FileSize = size,
            Smallest = smallest!,
            Largest = largest!,
            SmallestSequence = minSeq,
            LargestSequence = maxSeq,
            EpochNumber = epoch,
            FileCreationTime = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            OldestAncesterTime = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OurDirectory_OpensInRocksDb_AndReadsBack(bool withoutIdentity)
    {
        using var dir = new TempDirectory();
        string db = dir.File("db");
        using (VersionSet set = VersionSet.Create(LocalFileSystem.Instance, db, new VersionSetOptions()))
        {
            ulong n1 = set.NewFileNumber();
            FileMetadata l1 = WriteTable(db, set, n1, [("a", 1, ValueKind.Value, "old-a"), ("b", 2, ValueKind.Value, "b1"), ("c", 3, ValueKind.Value, "c1")], 1);
            ulong log = set.NewFileNumber(); // the write-ahead log a DB would have open (not created: see the report)
            var edit = new VersionEdit { LogNumber = log, LastSequence = 3 };
            edit.AddFile(1, l1);
            set.LogAndApply(0, edit);

            ulong n2 = set.NewFileNumber();
            FileMetadata l0 = WriteTable(db, set, n2, [("a", 4, ValueKind.Value, "new-a"), ("c", 5, ValueKind.Deletion, "")], 2);
            var flush = new VersionEdit { LastSequence = 5 };
            flush.AddFile(0, l0);
            set.LogAndApply(0, flush);

            ColumnFamilyState cf1 = set.CreateColumnFamily("cf1", log);
            Assert.Equal(1u, cf1.Id);
            set.DeleteObsoleteFiles();
        }

        Assert.Equal(new[] { "CURRENT", "IDENTITY", "MANIFEST-000004", "000002.sst", "000005.sst" }.Order(StringComparer.Ordinal), Directory.GetFiles(db).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        if (withoutIdentity)
        {
            File.Delete(Path.Join(db, "IDENTITY")); // RocksDB then takes the id from the MANIFEST and rewrites the file
        }

        var families = new ColumnFamilies { { "cf1", new ColumnFamilyOptions() } };
        using (RocksDb rocks = RocksDb.Open(new DbOptions().SetParanoidChecks(true), db, families))
        {
            Assert.Equal("new-a", rocks.Get("a"));
            Assert.Equal("b1", rocks.Get("b"));
            Assert.Null(rocks.Get("c"));
            rocks.Put("d", "from-rocksdb");
            Native.Instance.rocksdb_verify_checksum(rocks.Handle, out IntPtr error);
            Assert.Equal(IntPtr.Zero, error);
        }

        // And back: RocksDB's rewritten MANIFEST recovers in ours with both files and cf1.
        using VersionSet again = VersionSet.Recover(LocalFileSystem.Instance, db, new VersionSetOptions());
        Assert.Equal(["default", "cf1"], again.ColumnFamilies.Select(c => c.Name));
        Assert.Contains(2UL, again.LiveFiles());
        Assert.Contains(5UL, again.LiveFiles());
        Assert.True(again.LastSequence >= 5);
        string firstDbId = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Path.Join(db, "IDENTITY")));
        Assert.Equal(again.DbId, firstDbId);
    }
}
