using System.CommandLine;
using System.Globalization;
using System.Text;
using Lsm.Engine;
using static Lsm.Tool.Output;

namespace Lsm.Tool;

/// <summary>
/// The <c>sst</c> subject: <c>dump</c>, <c>verify</c>, <c>write</c> and <c>get</c> on one SST file,
/// LsmEngine's or RocksDB's, through the engine's public inspection API only.
/// </summary>
internal static class SstCommands
{
    private const int DefaultMaxValue = 32;

    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var sst = new Command("sst", "Inspect, verify and write SST files (LsmEngine's or RocksDB's).");
        sst.Subcommands.Add(BuildDump(stdout, stderr));
        sst.Subcommands.Add(BuildVerify(stdout, stderr));
        sst.Subcommands.Add(BuildWrite(stdout, stderr));
        sst.Subcommands.Add(BuildGet(stdout, stderr));
        return sst;
    }

    // ---- dump ----------------------------------------------------------------------------------

    private static Command BuildDump(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> file = FileArgument();
        var keys = new Option<bool>("--keys", "-k")
        {
            Description = "List the entries: internal key as user#seq,KIND, then the value.",
        };
        Option<int> maxValue = IntOption("--max-value", "Show at most N bytes of each value (0: all).", DefaultMaxValue, 0, int.MaxValue);
        Option<int> maxKey = IntOption("--max-key", "Show at most N bytes of each user key (0: all).", 0, 0, int.MaxValue);
        var from = new Option<string?>("--from")
        {
            Description = "Start the listing at the first user key at or after KEY (0x... for hex). Implies --keys.",
            HelpName = "KEY",
        };
        Option<int> limit = IntOption("--limit", "List at most N entries (0: all). Implies --keys.", 0, 0, int.MaxValue);
        var noBlocks = new Option<bool>("--no-blocks") { Description = "Leave out the block table (it reads every block)." };

        var command = new Command("dump", "Print a table's footer, properties, blocks and filter; --keys lists its entries.")
        {
            file, keys, maxValue, maxKey, from, limit, noBlocks,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var options = new DumpOptions(
                Keys: parse.GetValue(keys) || parse.GetValue(from) is not null || parse.GetValue(limit) > 0,
                MaxValue: parse.GetValue(maxValue),
                MaxKey: parse.GetValue(maxKey),
                From: parse.GetValue(from) is string f ? ParseKey(f) : null,
                Limit: parse.GetValue(limit),
                Blocks: !parse.GetValue(noBlocks));
            return LsmCli.RequireFile(stderr, path)
                ? LsmCli.Guard(stderr, path, () => Dump(stdout, path, options))
                : ExitCodes.Usage;
        });
        return command;
    }

    private sealed record DumpOptions(bool Keys, int MaxValue, int MaxKey, byte[]? From, int Limit, bool Blocks);

    private static int Dump(TextWriter o, string path, DumpOptions options)
    {
        using SstFile sst = SstFile.Open(path);
        TableProperties p = sst.Properties;

        WritePairs(o, 0, [("file", path), ("size", Size(sst.FileSize))]);

        SstFooterInfo footer = sst.Footer;
        o.WriteLine();
        o.WriteLine(Invariant($"footer (at offset {footer.FooterOffset})"));
        WritePairs(o, 2,
        [
            ("format version", Num(footer.FormatVersion)),
            ("checksum", ChecksumName(footer.Checksum)),
            ("metaindex handle", Invariant($"offset {footer.MetaindexOffset}, size {footer.MetaindexSize}")),
            ("index handle", Invariant($"offset {footer.IndexOffset}, size {footer.IndexSize}")),
            ("base context checksum", footer.FormatVersion >= 6
                ? Invariant($"0x{footer.BaseContextChecksum:X8}")
                : "none (format version < 6)"),
        ]);

        o.WriteLine();
        o.WriteLine("summary");
        WritePairs(o, 2, Summary(sst, p, options.MaxKey));

        o.WriteLine();
        o.WriteLine(Invariant($"properties ({p.Raw.Count})"));
        WritePairs(o, 2, p.Raw
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key, PropertyText.Format(kv.Key, kv.Value.Span)))
            .ToList());

        if (options.Blocks)
        {
            o.WriteLine();
            WriteBlocks(o, sst.ReadBlocks());
        }

        o.WriteLine();
        WriteFilter(o, sst.Filter, p);

        if (options.Keys)
        {
            o.WriteLine();
            WriteEntries(o, sst, options);
        }

        return ExitCodes.Ok;
    }

    private static List<(string Name, string Value)> Summary(SstFile sst, TableProperties p, int maxKey)
    {
        (string smallest, string largest) = KeyRange(sst, p, maxKey);
        string external = p.ExternalFileVersion is int version
            ? Invariant($"yes: version {version}, global seqno {p.ExternalFileGlobalSequence}")
            : "no";
        string cf = p.ColumnFamilyId == int.MaxValue
            ? "unknown (id 2147483647)"
            : Invariant($"id {p.ColumnFamilyId}");
        cf += p.ColumnFamilyName.Length > 0 ? ", name " + p.ColumnFamilyName : ", no name";
        return
        [
            ("entries", Num(p.NumEntries)),
            ("deletions", Num(p.NumDeletions)),
            ("merge operands", Num(p.NumMergeOperands)),
            ("range deletions", Num(p.NumRangeDeletions)),
            ("raw key size", Size((long)p.RawKeySize) + Average(p.RawKeySize, p.NumEntries)),
            ("raw value size", Size((long)p.RawValueSize) + Average(p.RawValueSize, p.NumEntries)),
            ("data size", Size((long)p.DataSize) + Invariant($" in {p.NumDataBlocks} blocks")),
            ("index size", Size((long)p.IndexSize)),
            ("filter size", Size((long)p.FilterSize) + Invariant($" for {p.NumFilterEntries} keys")),
            ("comparator", Text(p.ComparatorName)),
            ("merge operator", Text(p.MergeOperatorName)),
            ("filter policy", p.FilterPolicyName.Length > 0 ? p.FilterPolicyName : "none"),
            ("prefix extractor", Text(p.PrefixExtractorName)),
            ("column family", cf),
            ("compression", Text(p.CompressionName)),
            ("compression options", Text(p.CompressionOptions)),
            ("index", PropertyText.IndexTypeName(p.IndexType)
                + (p.IndexKeyIsUserKey ? ", user keys" : ", internal keys")
                + (p.IndexValueIsDeltaEncoded ? ", delta-encoded values" : "")),
            ("whole key filtering", p.WholeKeyFiltering ? "yes" : "no"),
            ("creation time", UnixTime(p.CreationTime)),
            ("file creation time", UnixTime(p.FileCreationTime)),
            ("smallest key", smallest),
            ("largest key", largest),
            ("seqno range", p.SmallestSequence is ulong lo && p.LargestSequence is ulong hi
                ? Invariant($"{lo}..{hi}")
                : p.LargestSequence is ulong only ? Invariant($"?..{only}") : "not recorded"),
            ("external file", external),
        ];
    }

    /// <summary>The smallest and largest internal keys: from this engine's properties, else the first and last entries.</summary>
    private static (string Smallest, string Largest) KeyRange(SstFile sst, TableProperties p, int maxKey)
    {
        if (!p.SmallestKey.IsEmpty && !p.LargestKey.IsEmpty)
        {
            return (FormatInternalKey(p.SmallestKey.Span, maxKey), FormatInternalKey(p.LargestKey.Span, maxKey));
        }

        using SstIterator it = sst.NewIterator();
        it.SeekToFirst();
        if (!it.Valid)
        {
            return ("(no entries)", "(no entries)");
        }

        string smallest = FormatCurrentKey(it, maxKey);
        it.SeekToLast();
        return (smallest, it.Valid ? FormatCurrentKey(it, maxKey) : "?");
    }

    private static void WriteBlocks(TextWriter o, IReadOnlyList<SstBlockInfo> blocks)
    {
        o.WriteLine(Invariant($"blocks ({blocks.Count})"));
        var rows = new List<string[]>(blocks.Count);
        for (int i = 0; i < blocks.Count; i++)
        {
            SstBlockInfo b = blocks[i];
            bool isFilter = b.Kind.Contains("filter", StringComparison.Ordinal);
            rows.Add(
            [
                Num(i),
                b.Kind,
                Num(b.Offset),
                Num(b.Size),
                CompressionName(b.Compression),
                Num(b.UncompressedSize),
                isFilter ? "-" : Num(b.Entries),
            ]);
        }

        WriteTable(
            o,
            2,
            ["#", "kind", "offset", "size", "compression", "uncompressed", "entries"],
            [true, false, true, true, false, true, true],
            rows);

        var data = blocks.Where(b => b.Kind == "data").ToList();
        if (data.Count > 0)
        {
            long stored = data.Sum(b => b.Size);
            long raw = data.Sum(b => b.UncompressedSize);
            long entries = data.Sum(b => (long)b.Entries);
            o.WriteLine(Invariant(
                $"  data: {data.Count} blocks, {entries} entries, {stored} bytes stored, {raw} uncompressed ({(raw == 0 ? 1.0 : (double)stored / raw):0.000} ratio)"));
        }
    }

    private static void WriteFilter(TextWriter o, SstFilterInfo? filter, TableProperties p)
    {
        if (filter is not SstFilterInfo f)
        {
            o.WriteLine("filter: none");
            return;
        }

        o.WriteLine("filter");
        WritePairs(o, 2,
        [
            ("meta block", f.MetaBlockName),
            ("kind", f.Kind),
            ("size", Size(f.SizeBytes)),
            ("probes", Num(f.NumProbes)),
            ("keys", p.NumFilterEntries > 0
                ? Num(p.NumFilterEntries)
                : Invariant($"{p.NumFilterEntries} recorded (rocksdb.num.filter_entries); {p.NumEntries} entries")),
            ("bits per key", BitsPerKey(f.SizeBytes, p)),
            ("used", f.Used ? "yes (lookups consult it)" : "no (this engine cannot evaluate it)"),
        ]);
    }

    /// <summary>Filter bits per key: size * 8 / rocksdb.num.filter_entries, else estimated from the entry count.</summary>
    private static string BitsPerKey(long filterBytes, TableProperties p)
    {
        if (p.NumFilterEntries > 0)
        {
            return (filterBytes * 8.0 / p.NumFilterEntries).ToString("0.00", CultureInfo.InvariantCulture);
        }

        ulong keys = p.NumEntries - Math.Min(p.NumEntries, p.NumRangeDeletions);
        return keys == 0
            ? "n/a (no keys)"
            : Invariant($"{filterBytes * 8.0 / keys:0.00} (estimated from the entry count: no filter entries recorded)");
    }

    private static void WriteEntries(TextWriter o, SstFile sst, DumpOptions options)
    {
        var heading = new StringBuilder("entries");
        if (options.From is byte[] start)
        {
            heading.Append(" from ").Append(FormatUserKey(start));
        }

        if (options.Limit > 0)
        {
            heading.Append(CultureInfo.InvariantCulture, $" (at most {options.Limit})");
        }

        o.WriteLine(heading.ToString());
        using SstIterator it = sst.NewIterator();
        if (options.From is byte[] from)
        {
            it.Seek(from);
        }
        else
        {
            it.SeekToFirst();
        }

        long listed = 0;
        for (; it.Valid; it.Next())
        {
            if (options.Limit > 0 && listed == options.Limit)
            {
                o.WriteLine(Invariant($"  ... stopped after {listed} entries (--limit)"));
                return;
            }

            o.WriteLine("  " + FormatEntry(it, options.MaxKey, options.MaxValue));
            listed++;
        }

        o.WriteLine(Invariant($"  {listed} entries listed"));
    }

    /// <summary><c>user#seq,KIND => value</c>; deletions have no value.</summary>
    private static string FormatEntry(SstIterator it, int maxKey, int maxValue) =>
        it.Kind is ValueKind.Deletion or ValueKind.SingleDeletion && it.Value.IsEmpty
            ? FormatCurrentKey(it, maxKey)
            : FormatCurrentKey(it, maxKey) + " => " + FormatBytes(it.Value, maxValue);

    /// <summary>The iterator's key as the engine formats it, or cut after <paramref name="maxKey"/> user-key bytes.</summary>
    private static string FormatCurrentKey(SstIterator it, int maxKey) =>
        maxKey > 0 && it.UserKey.Length > maxKey ? FormatKey(it.UserKey, it.Sequence, it.Kind, maxKey) : it.FormatKey();

    // ---- verify --------------------------------------------------------------------------------

    private static Command BuildVerify(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> file = FileArgument();
        var command = new Command(
            "verify",
            "Check every block's checksum and structure. Exit 0: clean; 1: corrupt; 2: missing or unreadable; 3: unsupported.")
        {
            file,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            return LsmCli.RequireFile(stderr, path)
                ? LsmCli.Guard(stderr, path, () => Verify(stdout, stderr, path))
                : ExitCodes.Usage;
        });
        return command;
    }

    private static int Verify(TextWriter stdout, TextWriter stderr, string path)
    {
        using SstFile sst = SstFile.Open(path);
        sst.VerifyChecksums();

        // Reading the blocks again parses each one and counts its entries: a structural check on top of the checksums.
        IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();
        long entries = blocks.Where(b => b.Kind == "data").Sum(b => (long)b.Entries);
        TableProperties p = sst.Properties;

        // rocksdb.num.entries counts range deletions too, which live in their own meta block.
        ulong pointEntries = p.NumEntries >= p.NumRangeDeletions ? p.NumEntries - p.NumRangeDeletions : p.NumEntries;
        if ((ulong)entries != p.NumEntries && (ulong)entries != pointEntries)
        {
            stderr.WriteLine(Invariant(
                $"corruption: {path}: the data blocks hold {entries} entries but rocksdb.num.entries says {p.NumEntries}"));
            return ExitCodes.Failed;
        }

        stdout.WriteLine(Invariant($"OK: {path} ({blocks.Count} blocks, {entries} entries)"));
        return ExitCodes.Ok;
    }

    // ---- write ---------------------------------------------------------------------------------

    private static Command BuildWrite(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "The SST file to create (overwritten if it exists)." };
        Option<int> count = IntOption("--count", "Number of entries: key00000000 => value00000000, key00000001 => value00000001, ...", 1000, 1, 100_000_000);
        Option<int> blockSize = IntOption("--block-size", "Target uncompressed data block size in bytes.", TableOptions.DefaultBlockSize, 64, 256 * 1024 * 1024);
        var bloomBits = new Option<double>("--bloom-bits")
        {
            Description = "Bloom filter bits per key; 0 writes no filter.",
            DefaultValueFactory = _ => TableOptions.DefaultBloomBitsPerKey,
            HelpName = "BITS",
        };
        bloomBits.Validators.Add(result =>
        {
            double value = result.GetValueOrDefault<double>();
            if (double.IsNaN(value) || value < 0 || value > 100)
            {
                result.AddError(Invariant($"--bloom-bits must be between 0 and 100, not {value}."));
            }
        });
        var compression = new Option<string>("--compression")
        {
            Description = "Data block compression.",
            DefaultValueFactory = _ => "lz4",
        };
        compression.AcceptOnlyFromAmong("none", "lz4");
        var checksum = new Option<string>("--checksum")
        {
            Description = "Block checksum.",
            DefaultValueFactory = _ => "xxh3",
        };
        checksum.AcceptOnlyFromAmong("crc32c", "xxhash", "xxhash64", "xxh3");
        var formatVersion = new Option<int>("--format-version")
        {
            Description = "Block-based table format version: 5 (RocksDB 6.6+) or 6 (RocksDB 8.6+).",
            DefaultValueFactory = _ => TableOptions.DefaultFormatVersion,
        };
        formatVersion.AcceptOnlyFromAmong("5", "6");

        var command = new Command(
            "write",
            "Write an external SST file of generated entries, as RocksDB's SstFileWriter does (RocksDB can ingest it).")
        {
            file, count, blockSize, bloomBits, compression, checksum, formatVersion,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var options = new TableOptions
            {
                BlockSize = parse.GetValue(blockSize),
                BloomBitsPerKey = parse.GetValue(bloomBits),
                Compression = parse.GetValue(compression) == "none" ? CompressionType.None : CompressionType.Lz4,
                Checksum = parse.GetValue(checksum) switch
                {
                    "crc32c" => ChecksumType.Crc32C,
                    "xxhash" => ChecksumType.XxHash32,
                    "xxhash64" => ChecksumType.XxHash64,
                    _ => ChecksumType.Xxh3,
                },
                FormatVersion = parse.GetValue(formatVersion),
            };
            int n = parse.GetValue(count);
            return LsmCli.Guard(stderr, path, () => Write(stdout, stderr, path, n, options));
        });
        return command;
    }

    private static int Write(TextWriter stdout, TextWriter stderr, string path, int count, TableOptions options)
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            stderr.WriteLine($"error: {path}: directory {directory} does not exist");
            return ExitCodes.Usage;
        }

        if (Directory.Exists(path))
        {
            stderr.WriteLine($"error: {path}: is a directory");
            return ExitCodes.Usage;
        }

        options.Validate();
        TableProperties properties;
        try
        {
            using var writer = new SstFileWriter(path, options);
            Span<byte> key = stackalloc byte[11];
            Span<byte> value = stackalloc byte[13];
            "key"u8.CopyTo(key);
            "value"u8.CopyTo(value);
            for (int i = 0; i < count; i++)
            {
                i.TryFormat(key[3..], out _, "D8", CultureInfo.InvariantCulture);
                i.TryFormat(value[5..], out _, "D8", CultureInfo.InvariantCulture);
                writer.Put(key, value);
            }

            properties = writer.Finish();
        }
        catch
        {
            TryDelete(path);
            throw;
        }

        long size = new FileInfo(path).Length;
        stdout.WriteLine(Invariant(
            $"wrote {path}: {count} entries, {size} bytes ({properties.NumDataBlocks} data blocks, {CompressionName(options.Compression)}, {ChecksumName(options.Checksum)}, format version {options.FormatVersion})"));
        return ExitCodes.Ok;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // ---- get -----------------------------------------------------------------------------------

    private static Command BuildGet(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> file = FileArgument();
        var key = new Argument<string>("key") { Description = "The user key: text, or 0x followed by hex." };
        Option<int> maxValue = IntOption("--max-value", "Show at most N bytes of the value (0: all).", 0, 0, int.MaxValue);
        var command = new Command(
            "get",
            "Print the newest entry of KEY (through the filter and the index, as a point read does), or \"not found\" and exit 1.")
        {
            file, key, maxValue,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            byte[] userKey = ParseKey(parse.GetValue(key)!);
            int max = parse.GetValue(maxValue);
            return LsmCli.RequireFile(stderr, path)
                ? LsmCli.Guard(stderr, path, () => Get(stdout, path, userKey, max))
                : ExitCodes.Usage;
        });
        return command;
    }

    private static int Get(TextWriter stdout, string path, byte[] userKey, int maxValue)
    {
        using SstFile sst = SstFile.Open(path);
        if (!sst.TryGet(userKey, out ValueKind kind, out byte[] value))
        {
            stdout.WriteLine(sst.KeyMayMatch(userKey)
                ? $"not found: {FormatUserKey(userKey)}"
                : $"not found: {FormatUserKey(userKey)} (ruled out by the filter)");
            return ExitCodes.Failed;
        }

        // TryGet does not report the sequence number: the iterator's first entry for the key is the same newest one.
        string formatted = FormatUserKey(userKey) + "#?," + KindName(kind);
        using (SstIterator it = sst.NewIterator())
        {
            it.Seek(userKey);
            if (it.Valid && it.UserKey.SequenceEqual(userKey) && it.Kind == kind)
            {
                formatted = it.FormatKey();
            }
        }

        stdout.WriteLine(kind is ValueKind.Deletion or ValueKind.SingleDeletion && value.Length == 0
            ? formatted
            : formatted + " => " + FormatBytes(value, maxValue));
        return ExitCodes.Ok;
    }

    // ---- shared --------------------------------------------------------------------------------

    private static Argument<string> FileArgument() =>
        new("file") { Description = "The SST file, LsmEngine's or RocksDB's." };

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Num(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(string value) => value.Length == 0 ? "(empty)" : value;

    private static string Average(ulong total, ulong count) =>
        count == 0 ? "" : Invariant($", {(double)total / count:0.0} per entry");
}
