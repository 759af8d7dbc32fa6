using Lsm.Engine.Tests.Support;
using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

/// <summary>
/// The <c>lsm manifest dump</c> command, driven through <see cref="LsmCli.Run"/>: column families, files,
/// counters and edit history of a flushed database; damaged and missing MANIFESTs.
/// </summary>
public sealed class ManifestCommandTests
{
    private static LsmResult Lsm(params string[] args) => LsmRun.Run(args);

    /// <summary>A database with keys a..c in <c>default</c> and x in <c>users</c>, both flushed.</summary>
    private static string FlushedDb(TempDirectory dir)
    {
        string path = dir.File("db");
        using var db = LsmDb.Open(path, new DbOptions { CreateIfMissing = true });
        ColumnFamilyHandle users = db.CreateColumnFamily("users");
        db.Put("a"u8, "1"u8);
        db.Put("b"u8, "2"u8);
        db.Put("c"u8, "3"u8);
        db.Put(users, "x"u8, "9"u8);
        db.Flush();
        db.Flush(users);
        return path;
    }

    private static string ManifestPath(string db) =>
        Path.Join(db, File.ReadAllText(Path.Join(db, "CURRENT")).Trim());

    [Fact]
    public void Dump_FlushedDatabase_ShowsColumnFamiliesFilesCountersAndEdits()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir);
        ManifestInfo m = ManifestFile.ReadDatabase(db);
        ManifestTableFile defaultFile = m.ColumnFamilies.Single(c => c.Name == "default").Levels[0].Single();
        ManifestTableFile usersFile = m.ColumnFamilies.Single(c => c.Name == "users").Levels[0].Single();

        LsmResult result = Lsm("manifest", "dump", db);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        string o = result.Stdout;
        Assert.Matches(@"manifest\s+" + System.Text.RegularExpressions.Regex.Escape(m.Path) + "\n", o);
        Assert.Matches($@"next file number\s+{m.NextFileNumber}\n", o);
        Assert.Matches(@"last sequence\s+4\n", o);
        Assert.Matches($@"log number\s+{m.LogNumber}\n", o);
        Assert.Matches(@"column families\s+2\n", o);

        Assert.Contains("column family 0 'default': 1 file, ", o, StringComparison.Ordinal);
        Assert.Contains("column family 1 'users': 1 file, ", o, StringComparison.Ordinal);
        Assert.Matches(@"comparator\s+leveldb\.BytewiseComparator\n", o);
        Assert.Contains("  L0: 1 file, ", o, StringComparison.Ordinal);
        Assert.Matches(@"file\s+size\s+smallest\s+largest\s+seqnos\s+epoch\n", o);
        Assert.Matches($@"\n    {defaultFile.FileNumber:D6}\.sst\s+{defaultFile.FileSize}  a#1,SET\s+c#3,SET\s+1\.\.3\s+\d+\n", o);
        Assert.Matches($@"\n    {usersFile.FileNumber:D6}\.sst\s+{usersFile.FileSize}  x#4,SET\s+x#4,SET\s+4\.\.4\s+\d+\n", o);
        Assert.DoesNotContain("(missing)", o, StringComparison.Ordinal);

        Assert.Contains($"edits ({m.Edits.Count})\n  @0\n", o, StringComparison.Ordinal);
        Assert.Contains("    add-column-family: users\n", o, StringComparison.Ordinal);
        Assert.Contains($"    add-file: L0 {defaultFile.FileNumber:D6}:[a#1,SET-c#3,SET]", o, StringComparison.Ordinal);
        foreach (ManifestEdit edit in m.Edits)
        {
            Assert.Contains($"  @{edit.Offset}\n", o, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Dump_ManifestFileAndNoEdits_ShowsTheStateOnly()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir);

        LsmResult result = Lsm("manifest", "dump", ManifestPath(db), "--no-edits");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("column family 1 'users'", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("edits (", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("add-file", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_MissingTable_IsMarked()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir);
        ManifestTableFile file = ManifestFile.ReadDatabase(db).ColumnFamilies[0].Levels[0].Single();
        File.Delete(Path.Join(db, $"{file.FileNumber:D6}.sst"));

        LsmResult result = Lsm("manifest", "dump", db);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"{file.FileNumber:D6}.sst (missing)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_DamagedManifest_ExitsOneWithMessage()
    {
        using var dir = new TempDirectory();
        string db = FlushedDb(dir);
        string manifest = ManifestPath(db);
        ManifestEdit last = ManifestFile.ReadDatabase(db).Edits[^1];
        byte[] bytes = File.ReadAllBytes(manifest);
        bytes[last.Offset + 8] ^= 0xFF; // the last record's payload
        File.WriteAllBytes(manifest, bytes);

        LsmResult result = Lsm("manifest", "dump", db);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"corruption: {manifest} at offset {last.Offset}: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("column family 0 'default'", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_DirectoryWithoutDatabase_ExitsTwo()
    {
        using var dir = new TempDirectory();

        LsmResult result = Lsm("manifest", "dump", dir.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {dir.Path}: not a database directory (no CURRENT file)", result.Stderr.TrimEnd());
    }

    [Fact]
    public void Dump_MissingPath_ExitsTwo()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nope");

        LsmResult result = Lsm("manifest", "dump", path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such directory or file", result.Stderr, StringComparison.Ordinal);
    }
}
