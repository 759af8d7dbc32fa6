using System.CommandLine;
using System.Globalization;
using Lsm.Engine;
using static Lsm.Tool.Output;

namespace Lsm.Tool;

/// <summary>
/// The <c>db</c> subject: <c>put</c>, <c>get</c>, <c>delete</c>, <c>merge</c>, <c>scan</c>, <c>stats</c> and
/// <c>check</c> on a database directory, through <see cref="LsmDb"/>'s public API only.
/// </summary>
/// <remarks>
/// <c>put</c>, <c>delete</c> and <c>merge</c> open the database read-write (taking its LOCK; replaying its logs
/// flushes them to a table). <c>get</c>, <c>scan</c>, <c>stats</c> and <c>check</c> open it with
/// <see cref="LsmDb.OpenReadOnly"/>: the logs are replayed in memory, no file of the directory is created, changed
/// or deleted, and a database another process has open (LsmEngine or RocksDB) can be read as its files stand.
/// Every command closes the database before returning. Keys and values are UTF-8 text, or <c>0x</c> followed by hex.
/// </remarks>
internal static class DbCommands
{
    private const string CurrentFileName = "CURRENT";

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var db = new Command("db", "Read and write a database directory (LsmEngine's or RocksDB's) with the engine.");
        db.Subcommands.Add(BuildPut(stdout, stderr));
        db.Subcommands.Add(BuildGet(stdout, stderr));
        db.Subcommands.Add(BuildDelete(stdout, stderr));
        db.Subcommands.Add(BuildMerge(stdout, stderr));
        db.Subcommands.Add(BuildScan(stdout, stderr));
        db.Subcommands.Add(BuildStats(stdout, stderr));
        db.Subcommands.Add(BuildCheck(stdout, stderr));
        return db;
    }

    // ---- put / delete / merge ------------------------------------------------------------------

    private static Command BuildPut(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        Argument<string> key = KeyArgument();
        var value = new Argument<string>("value") { Description = "The value: text, or 0x followed by hex." };
        Option<string> cf = ColumnFamilyOption();
        Option<string> merge = MergeOperatorOption();
        var create = new Option<bool>("--create")
        {
            Description = "Create the database, and the column family given with --cf, when missing.",
        };
        var command = new Command("put", "Set KEY to VALUE (a synced write).") { dir, key, value, cf, merge, create };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, parse.GetValue(cf)!, parse.GetValue(merge)!, parse.GetValue(create), Writes: true);
            byte[] k = ParseKey(parse.GetValue(key)!);
            byte[] v = ParseKey(parse.GetValue(value)!);
            return Run(stderr, target, (db, family) =>
            {
                db.Put(family, k, v, SyncWrite);
                stdout.WriteLine(Invariant($"put {FormatBytes(k)} ({v.Length} bytes) in column family {family.Name}"));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildDelete(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        Argument<string> key = KeyArgument();
        Option<string> cf = ColumnFamilyOption();
        Option<string> merge = MergeOperatorOption();
        var command = new Command("delete", "Delete KEY (a synced write; deleting an absent key is not an error).") { dir, key, cf, merge };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, parse.GetValue(cf)!, parse.GetValue(merge)!, Create: false, Writes: true);
            byte[] k = ParseKey(parse.GetValue(key)!);
            return Run(stderr, target, (db, family) =>
            {
                db.Delete(family, k, SyncWrite);
                stdout.WriteLine($"deleted {FormatBytes(k)} in column family {family.Name}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildMerge(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        Argument<string> key = KeyArgument();
        var operand = new Argument<string>("operand") { Description = "The merge operand: text, or 0x followed by hex." };
        Option<string> cf = ColumnFamilyOption();
        Option<string> merge = MergeOperatorOption();
        var command = new Command(
            "merge",
            "Add a merge operand to KEY (a synced write). Reading the key needs --merge-operator, the one it was written for.")
        {
            dir, key, operand, cf, merge,
        };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, parse.GetValue(cf)!, parse.GetValue(merge)!, Create: false, Writes: true);
            byte[] k = ParseKey(parse.GetValue(key)!);
            byte[] v = ParseKey(parse.GetValue(operand)!);
            return Run(stderr, target, (db, family) =>
            {
                db.Merge(family, k, v, SyncWrite);
                stdout.WriteLine(Invariant($"merged {FormatBytes(k)} ({v.Length} bytes) in column family {family.Name}"));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- get -----------------------------------------------------------------------------------

    private static Command BuildGet(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        Argument<string> key = KeyArgument();
        Option<string> cf = ColumnFamilyOption();
        Option<string> merge = MergeOperatorOption();
        var hex = new Option<bool>("--hex") { Description = "Print the value as 0x and hex even when it is text." };
        var command = new Command(
            "get",
            "Print KEY's value (text, or 0x and hex when it is not printable UTF-8), or \"not found\" and exit 1.")
        {
            dir, key, cf, merge, hex,
        };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, parse.GetValue(cf)!, parse.GetValue(merge)!, Create: false, Writes: false);
            byte[] k = ParseKey(parse.GetValue(key)!);
            bool asHex = parse.GetValue(hex);
            return Run(stderr, target, (db, family) =>
            {
                byte[]? value = db.Get(family, k);
                if (value is null)
                {
                    stdout.WriteLine($"not found: {FormatBytes(k)}");
                    return ExitCodes.Failed;
                }

                stdout.WriteLine(Show(value, asHex, 0));
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- scan ----------------------------------------------------------------------------------

    private static Command BuildScan(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        var from = new Option<string?>("--from") { Description = "Start at the first key at or after KEY.", HelpName = "KEY" };
        var to = new Option<string?>("--to") { Description = "Stop before KEY (exclusive).", HelpName = "KEY" };
        var limit = new Option<int>("--limit")
        {
            Description = "List at most N entries (0: all).",
            DefaultValueFactory = _ => 0,
            HelpName = "N",
        };
        limit.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 0)
            {
                result.AddError(Invariant($"--limit must be at least 0, not {value}."));
            }
        });
        var maxValue = new Option<int>("--max-value")
        {
            Description = "Show at most N bytes of each value (0: all).",
            DefaultValueFactory = _ => 0,
            HelpName = "N",
        };
        maxValue.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 0)
            {
                result.AddError(Invariant($"--max-value must be at least 0, not {value}."));
            }
        });
        var keysOnly = new Option<bool>("--keys-only") { Description = "Print the keys only." };
        var hex = new Option<bool>("--hex") { Description = "Print keys and values as 0x and hex even when they are text." };
        Option<string> cf = ColumnFamilyOption();
        Option<string> merge = MergeOperatorOption();
        var command = new Command(
            "scan",
            "Print one KEY<TAB>VALUE line per live entry, in key order (text, or 0x and hex when not printable UTF-8).")
        {
            dir, from, to, limit, maxValue, keysOnly, hex, cf, merge,
        };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, parse.GetValue(cf)!, parse.GetValue(merge)!, Create: false, Writes: false);
            byte[]? lower = parse.GetValue(from) is string f ? ParseKey(f) : null;
            byte[]? upper = parse.GetValue(to) is string t ? ParseKey(t) : null;
            int max = parse.GetValue(limit);
            int maxBytes = parse.GetValue(maxValue);
            bool keys = parse.GetValue(keysOnly);
            bool asHex = parse.GetValue(hex);
            return Run(stderr, target, (db, family) =>
            {
                using LsmIterator it = db.NewIterator(family, new ReadOptions { LowerBound = lower, UpperBound = upper });
                if (lower is not null)
                {
                    it.Seek(lower);
                }
                else
                {
                    it.SeekToFirst();
                }

                for (int listed = 0; it.Valid && (max == 0 || listed < max); it.Next(), listed++)
                {
                    stdout.WriteLine(keys
                        ? Show(it.Key, asHex, 0)
                        : Show(it.Key, asHex, 0) + "\t" + Show(it.Value, asHex, maxBytes));
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- stats ---------------------------------------------------------------------------------

    /// <summary>The properties <see cref="LsmDb.GetProperty"/> answers, besides the per-level file counts.</summary>
    private static readonly string[] Properties =
    [
        "rocksdb.estimate-num-keys",
        "rocksdb.num-immutable-mem-table",
        "rocksdb.mem-table-flush-pending",
        "rocksdb.cur-size-active-mem-table",
        "rocksdb.cur-size-all-mem-tables",
        "rocksdb.size-all-mem-tables",
        "rocksdb.block-cache-capacity",
        "rocksdb.block-cache-usage",
        "rocksdb.block-cache-pinned-usage",
        "rocksdb.total-sst-files-size",
        "rocksdb.live-sst-files-size",
        "rocksdb.background-errors",
        "rocksdb.num-running-flushes",
        "rocksdb.num-snapshots",
        "rocksdb.num-running-compactions",
        "rocksdb.compaction-pending",
        "rocksdb.estimate-pending-compaction-bytes",
        "rocksdb.estimate-live-data-size",
        "rocksdb.is-write-stopped",
        "rocksdb.actual-delayed-write-rate",
        "lsm.stall-micros",
        "lsm.stall-stops",
        "lsm.stall-delays",
        "lsm.wal-recovery-dropped-records",
        "lsm.wal-recovery-dropped-bytes",
    ];

    private const string LevelFilesProperty = "rocksdb.num-files-at-level";

    private static Command BuildStats(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        var cf = new Option<string?>("--cf")
        {
            Description = "Only this column family (default: all of them).",
            HelpName = "NAME",
        };
        Option<string> merge = MergeOperatorOption();
        var command = new Command(
            "stats",
            "Print the database's properties (rocksdb.estimate-num-keys, rocksdb.num-files-at-level<N>, rocksdb.block-cache-usage, ...) "
            + "per column family, then RocksDB's compaction-stats table per column family, the write, space and read amplification, "
            + "and the statistics tickers (rocksdb.options-statistics).")
        {
            dir, cf, merge,
        };
        command.SetAction(parse =>
        {
            string? only = parse.GetValue(cf);
            var target = new Target(parse.GetValue(dir)!, only ?? ColumnFamilyHandle.DefaultName, parse.GetValue(merge)!, Create: false, Writes: false);
            return Run(stderr, target, (db, family) =>
            {
                IReadOnlyList<ColumnFamilyHandle> families = only is null ? db.ColumnFamilies : [family];
                WritePairs(stdout, 0, [("database", db.Path), ("column families", string.Join(", ", db.ColumnFamilies.Select(c => c.Name)))]);
                foreach (ColumnFamilyHandle handle in families)
                {
                    stdout.WriteLine();
                    stdout.WriteLine(Invariant($"column family {handle.Id} '{handle.Name}'"));
                    var pairs = new List<(string Name, string Value)>();
                    foreach (string name in Properties)
                    {
                        if (db.GetProperty(name, handle) is string value)
                        {
                            pairs.Add((name, value));
                        }
                    }

                    // Every level the engine answers for: it returns null past the last one.
                    for (int level = 0; db.GetProperty(LevelFilesProperty + level.ToString(CultureInfo.InvariantCulture), handle) is string files; level++)
                    {
                        pairs.Add((LevelFilesProperty + level.ToString(CultureInfo.InvariantCulture), files));
                    }

                    WritePairs(stdout, 2, pairs);
                }

                // The compaction-stats tables and the amplification figures. Their counters start at each open, so
                // for a closed database they show the tree's shape and space amplification; the write and read
                // figures of a running database come from LsmDb.GetStatistics or its rocksdb.stats property.
                stdout.Write(db.GetProperty("rocksdb.dbstats"));
                foreach (ColumnFamilyHandle handle in families)
                {
                    stdout.Write(db.GetProperty("rocksdb.cfstats", handle));
                }

                // The tickers, as RocksDB's rocksdb.options-statistics prints them ("rocksdb.block.cache.miss COUNT : 5").
                stdout.WriteLine();
                stdout.WriteLine("** Statistics **");
                stdout.Write(db.GetProperty("rocksdb.options-statistics"));

                stdout.WriteLine();
                stdout.WriteLine("(flush, compaction, write and read counters and the statistics cover this open only; sizes, scores and space amplification are the tree's)");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- check ---------------------------------------------------------------------------------

    private static Command BuildCheck(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> dir = DirArgument();
        Option<string> merge = MergeOperatorOption();
        var command = new Command(
            "check",
            "Open the database read-only (nothing in it is changed), then verify the MANIFEST and every block checksum of every live "
            + "table file. Exit 0: clean; 1: corruption (each named with its file and offset); 2: missing or unreadable; 3: unsupported.")
        {
            dir, merge,
        };
        command.SetAction(parse =>
        {
            var target = new Target(parse.GetValue(dir)!, ColumnFamilyHandle.DefaultName, parse.GetValue(merge)!, Create: false, Writes: false);
            return LsmCli.Guard(stderr, target.Dir, () => Check(stdout, stderr, target));
        });
        return command;
    }

    private static int Check(TextWriter stdout, TextWriter stderr, Target target)
    {
        string dir = target.Dir;
        if (!RequireDatabase(stderr, target))
        {
            return ExitCodes.Usage;
        }

        int corrupt = 0;
        int unsupported = 0;
        LsmDb? db = null;
        try
        {
            // Read-only: the logs are replayed (damage in them is found) but nothing is written, so the directory is
            // checked as it stands. No LOCK is taken: a writer that has the database open may still change it meanwhile.
            try
            {
                db = Open(target);
                stdout.WriteLine($"opened {db.Path}: column families {string.Join(", ", db.ColumnFamilies.Select(c => c.Name))}");
            }
            catch (CorruptionException e)
            {
                stderr.WriteLine(Corruption(e, dir) + " (the database does not open; its table files are checked anyway)");
                corrupt++;
            }
            catch (NotSupportedException e)
            {
                stderr.WriteLine($"not supported: {dir}: {e.Message} (the database does not open; its table files are checked anyway)");
                unsupported++;
            }

            ManifestInfo manifest = ManifestFile.ReadDatabase(dir);
            if (manifest.Problem is string problem)
            {
                stderr.WriteLine(manifest.ProblemOffset >= 0
                    ? Invariant($"corruption: {manifest.Path} at offset {manifest.ProblemOffset}: {problem}")
                    : $"corruption: {manifest.Path}: {problem}");
                corrupt++;
            }

            var live = new HashSet<string>(StringComparer.Ordinal);
            int checkedFiles = 0;
            int cleanFiles = 0;
            foreach (ManifestColumnFamily cf in manifest.ColumnFamilies)
            {
                foreach (ManifestTableFile file in cf.Levels.SelectMany(level => level))
                {
                    string name = Invariant($"{file.FileNumber:D6}.sst");
                    live.Add(name);
                    checkedFiles++;
                    switch (CheckTable(stdout, stderr, Path.Join(dir, name), cf, file))
                    {
                        case ExitCodes.Ok:
                            cleanFiles++;
                            break;
                        case ExitCodes.Failed:
                            corrupt++;
                            break;
                        case ExitCodes.NotSupported:
                            unsupported++;
                            break;
                    }
                }
            }

            foreach (string path in Directory.EnumerateFiles(dir, "*.sst").Order(StringComparer.Ordinal))
            {
                if (!live.Contains(Path.GetFileName(path)))
                {
                    stdout.WriteLine($"skipped: {path}: not a live table (the MANIFEST does not name it)");
                }
            }

            stdout.WriteLine(Invariant(
                $"checked {checkedFiles} live table files: {cleanFiles} clean; {corrupt} corruptions, {unsupported} unsupported in all"));
        }
        finally
        {
            db?.Dispose();
        }

        return corrupt > 0 ? ExitCodes.Failed : unsupported > 0 ? ExitCodes.NotSupported : ExitCodes.Ok;
    }

    /// <summary>Checks one live table: present, of the size the MANIFEST records, every block's checksum, entry count.</summary>
    private static int CheckTable(TextWriter stdout, TextWriter stderr, string path, ManifestColumnFamily cf, ManifestTableFile file)
    {
        string where = Invariant($"L{file.Level} of '{cf.Name}'");
        if (!File.Exists(path))
        {
            stderr.WriteLine($"corruption: {path}: missing ({where} in the MANIFEST)");
            return ExitCodes.Failed;
        }

        long size = new FileInfo(path).Length;
        if ((ulong)size != file.FileSize)
        {
            stderr.WriteLine(Invariant($"corruption: {path}: {size} bytes, but the MANIFEST records {file.FileSize}"));
            return ExitCodes.Failed;
        }

        try
        {
            using SstFile sst = SstFile.Open(path);
            sst.VerifyChecksums();
            IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();
            long entries = blocks.Where(b => b.Kind == "data").Sum(b => (long)b.Entries);
            TableProperties p = sst.Properties;
            ulong pointEntries = p.NumEntries >= p.NumRangeDeletions ? p.NumEntries - p.NumRangeDeletions : p.NumEntries;
            if ((ulong)entries != p.NumEntries && (ulong)entries != pointEntries)
            {
                stderr.WriteLine(Invariant($"corruption: {path}: the data blocks hold {entries} entries but rocksdb.num.entries says {p.NumEntries}"));
                return ExitCodes.Failed;
            }

            stdout.WriteLine(Invariant($"OK: {path} ({where}: {blocks.Count} blocks, {entries} entries)"));
            return ExitCodes.Ok;
        }
        catch (CorruptionException e)
        {
            stderr.WriteLine(Corruption(e, path));
            return ExitCodes.Failed;
        }
        catch (NotSupportedException e)
        {
            stderr.WriteLine($"not supported: {path}: {e.Message}");
            return ExitCodes.NotSupported;
        }
    }

    // ---- shared --------------------------------------------------------------------------------

    private static readonly WriteOptions SyncWrite = new() { Sync = true };

    /// <summary>The database and column family a command works on; <paramref name="Writes"/>: open it read-write, else read-only.</summary>
    private sealed record Target(string Dir, string ColumnFamily, string MergeOperator, bool Create, bool Writes);

    /// <summary>
    /// Opens the database, resolves the column family, runs <paramref name="body"/> and closes the database,
    /// turning every failure into a one-line message and an exit code.
    /// </summary>
    private static int Run(TextWriter stderr, Target target, Func<LsmDb, ColumnFamilyHandle, int> body) =>
        LsmCli.Guard(stderr, target.Dir, () =>
        {
            if (!RequireDatabase(stderr, target))
            {
                return ExitCodes.Usage;
            }

            try
            {
                using LsmDb db = Open(target);
                ColumnFamilyHandle? family = db.GetColumnFamily(target.ColumnFamily);
                if (family is null && target.Create)
                {
                    family = db.CreateColumnFamily(target.ColumnFamily);
                }

                if (family is null)
                {
                    stderr.WriteLine($"error: {target.Dir}: no column family '{target.ColumnFamily}' (it has: {string.Join(", ", db.ColumnFamilies.Select(c => c.Name))})");
                    return ExitCodes.Usage;
                }

                return body(db, family);
            }
            catch (CorruptionException e)
            {
                stderr.WriteLine(Corruption(e, target.Dir));
                return ExitCodes.Failed;
            }
            catch (InvalidOperationException e) when (e is not ObjectDisposedException)
            {
                // The engine's answer to a misuse, e.g. reading merge operands without a merge operator.
                stderr.WriteLine($"error: {target.Dir}: {e.Message}"
                    + (e.Message.Contains("merge operator", StringComparison.Ordinal) ? " (use --merge-operator)" : ""));
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is IOException and not FileNotFoundException and not DirectoryNotFoundException)
            {
                // Above all: the database is in use by another process (its LOCK file is held).
                stderr.WriteLine($"error: {target.Dir}: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (FileNotFoundException e)
            {
                stderr.WriteLine($"error: {target.Dir}: {e.Message}");
                return ExitCodes.Usage;
            }
        });

    /// <summary>Fails early, with a clear message, when there is no database (and none is to be created).</summary>
    private static bool RequireDatabase(TextWriter stderr, Target target)
    {
        if (File.Exists(target.Dir))
        {
            stderr.WriteLine($"error: {target.Dir}: is a file, not a database directory");
            return false;
        }

        if (target.Create)
        {
            return true;
        }

        if (!Directory.Exists(target.Dir))
        {
            stderr.WriteLine($"error: {target.Dir}: no such directory; 'lsm db put --create' creates a database");
            return false;
        }

        if (!File.Exists(Path.Join(target.Dir, CurrentFileName)))
        {
            stderr.WriteLine($"error: {target.Dir}: no database here (no CURRENT file); 'lsm db put --create' creates one");
            return false;
        }

        return true;
    }

    private static LsmDb Open(Target target)
    {
        MergeOperator? mergeOperator = target.MergeOperator switch
        {
            "uint64add" => UInt64AddOperator.Instance,
            "stringappend" => new StringAppendOperator(),
            _ => null,
        };
        var options = new DbOptions
        {
            CreateIfMissing = target.Create,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = mergeOperator },
        };
        return target.Writes ? LsmDb.Open(target.Dir, options) : LsmDb.OpenReadOnly(target.Dir, options);
    }

    private static string Corruption(CorruptionException e, string fallback)
    {
        string file = e.FilePath ?? fallback;
        return e.Offset >= 0
            ? Invariant($"corruption: {file} at offset {e.Offset}: {e.Reason}")
            : $"corruption: {file}: {e.Reason}";
    }

    private static string Show(ReadOnlySpan<byte> bytes, bool hex, int max)
    {
        if (!hex)
        {
            return FormatBytes(bytes, max);
        }

        if (bytes.IsEmpty)
        {
            return "\"\"";
        }

        bool cut = max > 0 && bytes.Length > max;
        string text = "0x" + Convert.ToHexString(cut ? bytes[..max] : bytes);
        return cut ? Invariant($"{text}... ({bytes.Length} bytes)") : text;
    }

    private static Argument<string> DirArgument() => new("dir") { Description = "The database directory." };

    private static Argument<string> KeyArgument() => new("key") { Description = "The key: text, or 0x followed by hex." };

    private static Option<string> ColumnFamilyOption() => new("--cf")
    {
        Description = "The column family.",
        DefaultValueFactory = _ => ColumnFamilyHandle.DefaultName,
        HelpName = "NAME",
    };

    private static Option<string> MergeOperatorOption()
    {
        var option = new Option<string>("--merge-operator")
        {
            Description = "The merge operator the database was written with, needed to read merged keys.",
            DefaultValueFactory = _ => "none",
        };
        option.AcceptOnlyFromAmong("none", "uint64add", "stringappend");
        return option;
    }
}
