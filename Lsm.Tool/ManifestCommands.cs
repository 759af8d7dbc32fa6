using System.CommandLine;
using System.Globalization;
using Lsm.Engine;
using static Lsm.Tool.Output;

namespace Lsm.Tool;

/// <summary>
/// The <c>manifest</c> subject: <c>dump</c> of a database's MANIFEST, LsmEngine's or RocksDB's, through the
/// engine's public inspection API (<see cref="ManifestFile"/>) only.
/// </summary>
internal static class ManifestCommands
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var manifest = new Command("manifest", "Inspect a database's MANIFEST (LsmEngine's or RocksDB's).");
        manifest.Subcommands.Add(BuildDump(stdout, stderr));
        return manifest;
    }

    // ---- dump ----------------------------------------------------------------------------------

    private static Command BuildDump(TextWriter stdout, TextWriter stderr)
    {
        var dir = new Argument<string>("dir")
        {
            Description = "The database directory (its CURRENT file names the MANIFEST), or a MANIFEST file.",
        };
        var noEdits = new Option<bool>("--no-edits") { Description = "Leave out the edit history." };
        var maxKey = new Option<int>("--max-key")
        {
            Description = "Show at most N bytes of each user key (0: all).",
            DefaultValueFactory = _ => 0,
            HelpName = "N",
        };
        maxKey.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 0)
            {
                result.AddError(Invariant($"--max-key must be at least 0, not {value}."));
            }
        });

        var command = new Command(
            "dump",
            "Print the current version of every column family (files per level with key and sequence ranges), the counters "
            + "and the edit history. Exit 0: clean; 1: the MANIFEST is damaged; 2: no database or MANIFEST there.")
        {
            dir, noEdits, maxKey,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(dir)!;
            bool edits = !parse.GetValue(noEdits);
            int max = parse.GetValue(maxKey);
            return LsmCli.Guard(stderr, path, () => Dump(stdout, stderr, path, edits, max));
        });
        return command;
    }

    private static int Dump(TextWriter o, TextWriter stderr, string path, bool withEdits, int maxKey)
    {
        ManifestInfo m;
        string directory;
        if (Directory.Exists(path))
        {
            if (!File.Exists(Path.Join(path, "CURRENT")))
            {
                stderr.WriteLine($"error: {path}: not a database directory (no CURRENT file)");
                return ExitCodes.Usage;
            }

            m = ManifestFile.ReadDatabase(path);
            directory = path;
        }
        else if (File.Exists(path))
        {
            m = ManifestFile.Read(path);
            directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        }
        else
        {
            stderr.WriteLine($"error: {path}: no such directory or file");
            return ExitCodes.Usage;
        }

        WritePairs(o, 0,
        [
            ("manifest", m.Path),
            ("size", Size(new FileInfo(m.Path).Length)),
            ("db id", m.DbId ?? "not recorded"),
            ("next file number", Num(m.NextFileNumber)),
            ("last sequence", Num(m.LastSequence)),
            ("log number", Num(m.LogNumber)),
            ("prev log number", Num(m.PrevLogNumber)),
            ("min log number to keep", Num(m.MinLogNumberToKeep)),
            ("max column family", Num((long)m.MaxColumnFamily)),
            ("column families", Num(m.ColumnFamilies.Count)),
            ("edits", Num(m.Edits.Count)),
        ]);

        foreach (ManifestColumnFamily cf in m.ColumnFamilies)
        {
            o.WriteLine();
            WriteColumnFamily(o, cf, directory, maxKey);
        }

        if (withEdits)
        {
            o.WriteLine();
            o.WriteLine(Invariant($"edits ({m.Edits.Count})"));
            foreach (ManifestEdit edit in m.Edits)
            {
                o.WriteLine(Invariant($"  @{edit.Offset}"));
                foreach (string line in edit.Text.Split('\n'))
                {
                    o.WriteLine("    " + line.TrimEnd('\r'));
                }
            }
        }

        if (m.Problem is string problem)
        {
            stderr.WriteLine(m.ProblemOffset >= 0
                ? Invariant($"corruption: {m.Path} at offset {m.ProblemOffset}: {problem}")
                : $"corruption: {m.Path}: {problem}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    private static void WriteColumnFamily(TextWriter o, ManifestColumnFamily cf, string directory, int maxKey)
    {
        int files = cf.Levels.Sum(l => l.Count);
        ulong bytes = 0;
        foreach (IReadOnlyList<ManifestTableFile> level in cf.Levels)
        {
            foreach (ManifestTableFile f in level)
            {
                bytes += f.FileSize;
            }
        }

        o.WriteLine(Invariant($"column family {cf.Id} '{cf.Name}': {files} {(files == 1 ? "file" : "files")}, {Size((long)bytes)}"));
        WritePairs(o, 2, [("comparator", cf.Comparator ?? "not recorded"), ("log number", Num(cf.LogNumber))]);
        for (int level = 0; level < cf.Levels.Count; level++)
        {
            IReadOnlyList<ManifestTableFile> tables = cf.Levels[level];
            if (tables.Count == 0)
            {
                continue;
            }

            ulong levelBytes = 0;
            var rows = new List<string[]>(tables.Count);
            foreach (ManifestTableFile f in tables)
            {
                levelBytes += f.FileSize;
                string name = Invariant($"{f.FileNumber:D6}.sst");
                rows.Add(
                [
                    File.Exists(Path.Join(directory, name)) ? name : name + " (missing)",
                    Num(f.FileSize),
                    maxKey > 0 ? KeyText.FormatInternalKey(f.SmallestKey.Span, maxKey) : f.Smallest,
                    maxKey > 0 ? KeyText.FormatInternalKey(f.LargestKey.Span, maxKey) : f.Largest,
                    Invariant($"{f.SmallestSequence}..{f.LargestSequence}"),
                    Num(f.EpochNumber),
                ]);
            }

            o.WriteLine(Invariant($"  L{level}: {tables.Count} {(tables.Count == 1 ? "file" : "files")}, {Size((long)levelBytes)}"));
            WriteTable(
                o,
                4,
                ["file", "size", "smallest", "largest", "seqnos", "epoch"],
                [false, true, false, false, false, true],
                rows);
        }

        if (files == 0)
        {
            o.WriteLine("  (no table files)");
        }
    }

    private static string Num(ulong? value) => value is ulong v ? v.ToString(CultureInfo.InvariantCulture) : "not recorded";

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
}
