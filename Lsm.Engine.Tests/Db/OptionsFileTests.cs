using System.Runtime.InteropServices;
using Lsm.Engine.Db;
using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Versions;
using Native = RocksDbSharp.Native;

namespace Lsm.Engine.Tests.Db;

/// <summary>
/// The OPTIONS file: its text, how it is written, and that RocksDB's own loader (<c>rocksdb_load_latest_options</c>,
/// i.e. <c>LoadLatestOptions</c> and <c>RocksDBOptionsParser</c>) parses it into the options we meant.
/// </summary>
public sealed class OptionsFileTests
{
    private static (string, ColumnFamilyOptions)[] DefaultOnly(ColumnFamilyOptions? options = null) =>
        [(OptionsFile.DefaultColumnFamilyName, options ?? new ColumnFamilyOptions())];

    [Fact]
    public void Render_Defaults_IsRocksDbsLayoutWithOurValues()
    {
        string text = OptionsFile.Render(new DbOptions(), DefaultOnly());

        const string expected =
            "# This is a RocksDB option file.\n" +
            "#\n" +
            "# For detailed file format spec, please refer to the example file\n" +
            "# in examples/rocksdb_option_file_example.ini\n" +
            "#\n" +
            "\n" +
            "# Written by LsmEngine: options it does not have are left out, so RocksDB gives them its defaults.\n" +
            "\n" +
            "[Version]\n" +
            "  rocksdb_version=11.12.0\n" +
            "  options_file_version=1.1\n" +
            "\n" +
            "[DBOptions]\n" +
            "  create_if_missing=false\n" +
            "  error_if_exists=false\n" +
            "  create_missing_column_families=false\n" +
            "  paranoid_checks=true\n" +
            "  max_background_flushes=1\n" +
            "  wal_recovery_mode=kTolerateCorruptedTailRecords\n" +
            "\n" +
            "[CFOptions \"default\"]\n" +
            "  comparator=leveldb.BytewiseComparator\n" +
            "  merge_operator=nullptr\n" +
            "  write_buffer_size=67108864\n" +
            "  max_write_buffer_number=2\n" +
            "  compaction_filter=nullptr\n" +
            "  compaction_style=kCompactionStyleLevel\n" +
            "  compaction_pri=kMinOverlappingRatio\n" +
            "  level0_file_num_compaction_trigger=4\n" +
            "  level0_slowdown_writes_trigger=20\n" +
            "  level0_stop_writes_trigger=36\n" +
            "  max_bytes_for_level_base=268435456\n" +
            "  max_bytes_for_level_multiplier=10\n" +
            "  level_compaction_dynamic_level_bytes=true\n" +
            "  target_file_size_base=67108864\n" +
            "  target_file_size_multiplier=1\n" +
            "  max_compaction_bytes=0\n" +
            "  soft_pending_compaction_bytes_limit=68719476736\n" +
            "  hard_pending_compaction_bytes_limit=274877906944\n" +
            "  compaction_options_universal={size_ratio=1;min_merge_width=2;max_merge_width=4294967295;max_size_amplification_percent=200;compression_size_percent=-1;stop_style=kCompactionStopStyleTotalSize;allow_trivial_move=false;}\n" +
            "  compression=kLZ4Compression\n" +
            "  table_factory=BlockBasedTable\n" +
            "\n" +
            "[TableOptions/BlockBasedTable \"default\"]\n" +
            "  format_version=6\n" +
            "  block_size=4096\n" +
            "  block_restart_interval=16\n" +
            "  checksum=kXXH3\n" +
            "  filter_policy=bloomfilter:10:false\n" +
            "  no_block_cache=false\n" +
            "  cache_index_and_filter_blocks=false\n" +
            "  cache_index_and_filter_blocks_with_high_priority=true\n" +
            "  pin_l0_filter_and_index_blocks_in_cache=false\n";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Render_EveryColumnFamily_GetsACfAndATableSection_InOrder()
    {
        var second = new ColumnFamilyOptions
        {
            WriteBufferSize = 1 << 20,
            MaxWriteBufferNumber = 5,
            MergeOperator = new StringAppendOperator(),
            Table = new TableOptions { Compression = CompressionType.None, Checksum = ChecksumType.Crc32C, FormatVersion = 5, BlockSize = 16384, BlockRestartInterval = 4, BloomBitsPerKey = 0 },
        };
        string text = OptionsFile.Render(new DbOptions(), [("default", new ColumnFamilyOptions()), ("second", second)]);

        int defaultCf = text.IndexOf("[CFOptions \"default\"]", StringComparison.Ordinal);
        int defaultTable = text.IndexOf("[TableOptions/BlockBasedTable \"default\"]", StringComparison.Ordinal);
        int secondCf = text.IndexOf("[CFOptions \"second\"]", StringComparison.Ordinal);
        int secondTable = text.IndexOf("[TableOptions/BlockBasedTable \"second\"]", StringComparison.Ordinal);
        Assert.True(defaultCf > 0 && defaultCf < defaultTable && defaultTable < secondCf && secondCf < secondTable);

        string secondPart = text[secondCf..];
        Assert.Contains("  merge_operator=StringAppendOperator\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  write_buffer_size=1048576\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  max_write_buffer_number=5\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  compression=kNoCompression\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  format_version=5\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  block_size=16384\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  block_restart_interval=4\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  checksum=kCRC32c\n", secondPart, StringComparison.Ordinal);
        Assert.Contains("  filter_policy=nullptr\n", secondPart, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords, "kTolerateCorruptedTailRecords")]
    [InlineData(WalRecoveryMode.AbsoluteConsistency, "kAbsoluteConsistency")]
    [InlineData(WalRecoveryMode.PointInTimeRecovery, "kPointInTimeRecovery")]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords, "kSkipAnyCorruptedRecords")]
    public void Render_WalRecoveryMode_IsWrittenByRocksDbsName(WalRecoveryMode mode, string name)
    {
        string text = OptionsFile.Render(new DbOptions { WalRecoveryMode = mode }, DefaultOnly());
        Assert.Contains($"  wal_recovery_mode={name}\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10.0, "bloomfilter:10:false")]
    [InlineData(16.0, "bloomfilter:16:false")]
    [InlineData(9.5, "bloomfilter:9.5:false")]
    [InlineData(7.125, "bloomfilter:7.125:false")]
    [InlineData(0.7, "bloomfilter:1:false")] // RocksDB rounds [0.5, 1) up to 1 bit
    [InlineData(0.4, "nullptr")] // below 0.5: no filter, as RocksDB
    [InlineData(0.0, "nullptr")]
    [InlineData(100.0, "bloomfilter:100:false")]
    public void FilterPolicy_IsRocksDbsBloomId(double bits, string expected)
    {
        Assert.Equal(expected, OptionsFile.FilterPolicy(bits));
    }

    [Fact]
    public void Names_AreEscapedAsRocksDbEscapes()
    {
        Assert.Equal("plain", OptionsFile.Escape("plain"));
        Assert.Equal(@"a\:b\#c\\d\ne\r", OptionsFile.Escape("a:b#c\\d\ne\r"));

        string text = OptionsFile.Render(new DbOptions(), [("default", new ColumnFamilyOptions()), ("x:y#z", new ColumnFamilyOptions())]);
        Assert.Contains("[CFOptions \"x\\:y\\#z\"]\n", text, StringComparison.Ordinal);
        Assert.Contains("[TableOptions/BlockBasedTable \"x\\:y\\#z\"]\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RefusesWhatRocksDbsParserRefuses()
    {
        Assert.Throws<ArgumentException>(() => OptionsFile.Render(new DbOptions(), []));
        Assert.Throws<ArgumentException>(() => OptionsFile.Render(new DbOptions(), [("other", new ColumnFamilyOptions())]));
        Assert.Throws<ArgumentException>(() => OptionsFile.Render(
            new DbOptions(),
            [("default", new ColumnFamilyOptions()), ("b", new ColumnFamilyOptions()), ("b", new ColumnFamilyOptions())]));
    }

    [Fact]
    public void Write_GoesThroughDbtmp_AndLeavesOnlyTheOptionsFile()
    {
        using var dir = new TempDirectory();
        var fs = new FaultInjectingFileSystem(LocalFileSystem.Instance);
        string text = OptionsFile.Render(new DbOptions(), DefaultOnly());

        OptionsFile.Write(fs, dir.Path, 7, text);

        Assert.Equal(["OPTIONS-000007"], LocalFileSystem.Instance.ListFiles(dir.Path));
        Assert.Equal(text, File.ReadAllText(dir.File("OPTIONS-000007")));
        Assert.True(DbFileName.TryParse("OPTIONS-000007", out DbFileType type, out ulong number));
        Assert.Equal((DbFileType.Options, 7UL), (type, number));
        Assert.Equal(1, fs.GetCount(FileSystemOperation.Create));
        Assert.Equal(1, fs.GetCount(FileSystemOperation.Sync));
        Assert.Equal(1, fs.GetCount(FileSystemOperation.Rename));
        Assert.Equal(1, fs.GetCount(FileSystemOperation.SyncDirectory));
    }

    [Fact]
    public void Write_SurvivesACrashOnceItReturns()
    {
        var fs = new InMemoryFileSystem();
        fs.CreateDirectory("/db");
        string text = OptionsFile.Render(new DbOptions { CreateIfMissing = true }, DefaultOnly());

        OptionsFile.Write(fs, "/db", 12, text);
        fs.SimulateCrash();

        Assert.Equal(["OPTIONS-000012"], fs.ListFiles("/db"));
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(fs.ReadAllBytes("/db/OPTIONS-000012")));
    }

    [Theory]
    [InlineData(nameof(FileSystemOperation.Append))]
    [InlineData(nameof(FileSystemOperation.Sync))]
    [InlineData(nameof(FileSystemOperation.Rename))]
    public void Write_Failure_DeletesTheTempFile_AndCreatesNoOptionsFile(string operation)
    {
        var failing = Enum.Parse<FileSystemOperation>(operation);
        var memory = new InMemoryFileSystem();
        memory.CreateDirectory("/db");
        var fs = new FaultInjectingFileSystem(memory);
        fs.AddRule(new FileSystemFault { Operation = failing });

        Assert.Throws<IOException>(() => OptionsFile.Write(fs, "/db", 3, OptionsFile.Render(new DbOptions(), DefaultOnly())));

        Assert.Empty(memory.ListFiles("/db"));
    }

    [Fact]
    public void RocksDb_LoadsOurFile_WithTheValuesWeWrote()
    {
        using var dir = new TempDirectory();
        var db = new DbOptions
        {
            CreateIfMissing = true,
            ErrorIfExists = true,
            CreateMissingColumnFamilies = true,
            ParanoidChecks = false,
            MaxBackgroundFlushes = 3,
            WalRecoveryMode = WalRecoveryMode.SkipAnyCorruptedRecords,
            DbWriteBufferSize = 123_456_789,
        };
        var second = new ColumnFamilyOptions
        {
            WriteBufferSize = 123456,
            MaxWriteBufferNumber = 7,
            MergeOperator = new StringAppendOperator(),
            Table = new TableOptions { Compression = CompressionType.None, Checksum = ChecksumType.XxHash64, FormatVersion = 5, BloomBitsPerKey = 0 },
        };
        const string oddName = "cf:with#odd\\chars";
        OptionsFile.Write(
            LocalFileSystem.Instance,
            dir.Path,
            9,
            OptionsFile.Render(db, [("default", new ColumnFamilyOptions { MergeOperator = UInt64AddOperator.Instance }), ("second", second), (oddName, new ColumnFamilyOptions())]));

        using var loaded = LoadedOptions.Load(dir.Path, ignoreUnknownOptions: false);

        Assert.Equal(["default", "second", oddName], loaded.Names);
        Native n = Native.Instance;
        Assert.Equal(1, n.rocksdb_options_get_create_if_missing(loaded.DbOptions));
        Assert.Equal(1, n.rocksdb_options_get_error_if_exists(loaded.DbOptions));
        Assert.Equal(1, n.rocksdb_options_get_create_missing_column_families(loaded.DbOptions));
        Assert.Equal(0, n.rocksdb_options_get_paranoid_checks(loaded.DbOptions));
        Assert.Equal(3, n.rocksdb_options_get_max_background_flushes(loaded.DbOptions));
        Assert.Equal(123_456_789UL, (ulong)n.rocksdb_options_get_db_write_buffer_size(loaded.DbOptions));
        Assert.Equal((int)WalRecoveryMode.SkipAnyCorruptedRecords, n.rocksdb_options_get_wal_recovery_mode(loaded.DbOptions));

        Assert.Equal((ulong)ColumnFamilyOptions.DefaultWriteBufferSize, (ulong)n.rocksdb_options_get_write_buffer_size(loaded.ColumnFamilyOptions[0]));
        Assert.Equal(ColumnFamilyOptions.DefaultMaxWriteBufferNumber, n.rocksdb_options_get_max_write_buffer_number(loaded.ColumnFamilyOptions[0]));
        Assert.Equal((int)CompressionType.Lz4, n.rocksdb_options_get_compression(loaded.ColumnFamilyOptions[0]));

        Assert.Equal(123456UL, (ulong)n.rocksdb_options_get_write_buffer_size(loaded.ColumnFamilyOptions[1]));
        Assert.Equal(7, n.rocksdb_options_get_max_write_buffer_number(loaded.ColumnFamilyOptions[1]));
        Assert.Equal((int)CompressionType.None, n.rocksdb_options_get_compression(loaded.ColumnFamilyOptions[1]));
    }

    [Theory]
    [InlineData(WalRecoveryMode.TolerateCorruptedTailRecords)]
    [InlineData(WalRecoveryMode.AbsoluteConsistency)]
    [InlineData(WalRecoveryMode.PointInTimeRecovery)]
    [InlineData(WalRecoveryMode.SkipAnyCorruptedRecords)]
    public void RocksDb_ReadsEveryWalRecoveryMode_AsTheSameValue(WalRecoveryMode mode)
    {
        using var dir = new TempDirectory();
        OptionsFile.Write(LocalFileSystem.Instance, dir.Path, 5, OptionsFile.Render(new DbOptions { WalRecoveryMode = mode }, DefaultOnly()));

        using var loaded = LoadedOptions.Load(dir.Path, ignoreUnknownOptions: false);

        Assert.Equal((int)mode, Native.Instance.rocksdb_options_get_wal_recovery_mode(loaded.DbOptions));
    }

    [Fact]
    public void RocksDb_PicksTheNewestOptionsFile()
    {
        using var dir = new TempDirectory();
        OptionsFile.Write(LocalFileSystem.Instance, dir.Path, 5, OptionsFile.Render(new DbOptions { MaxBackgroundFlushes = 2 }, DefaultOnly()));
        OptionsFile.Write(LocalFileSystem.Instance, dir.Path, 11, OptionsFile.Render(new DbOptions { MaxBackgroundFlushes = 4 }, DefaultOnly()));

        using var loaded = LoadedOptions.Load(dir.Path, ignoreUnknownOptions: false);

        Assert.Equal(4, Native.Instance.rocksdb_options_get_max_background_flushes(loaded.DbOptions));
    }

    /// <summary>
    /// Negative controls: the loader does check the values of every section we write (so the positive tests
    /// above mean something), and an unknown option in a file claiming our RocksDB version is an error even
    /// when unknown options are to be ignored (RocksDB's rule for files not written by a newer version).
    /// </summary>
    [Theory]
    [InlineData("  checksum=kXXH3\n", "  checksum=kBogus\n")]
    [InlineData("  block_size=4096\n", "  block_size=big\n")]
    [InlineData("  block_restart_interval=16\n", "  block_restart_interval=x\n")]
    [InlineData("  format_version=6\n", "  format_version=-\n")]
    [InlineData("  compression=kLZ4Compression\n", "  compression=kBogus\n")]
    [InlineData("  wal_recovery_mode=kTolerateCorruptedTailRecords\n", "  wal_recovery_mode=0\n")]
    [InlineData("  paranoid_checks=true\n", "  paranoid_checks=yes\n")]
    [InlineData("  paranoid_checks=true\n", "  paranoid_checks=true\n  no_such_option=1\n")]
    [InlineData("[CFOptions \"default\"]", "[CFOptions \"other\"]")]
    [InlineData("  compaction_style=kCompactionStyleLevel\n", "  compaction_style=kCompactionStyleBogus\n")]
    [InlineData("  compaction_pri=kMinOverlappingRatio\n", "  compaction_pri=3\n")]
    [InlineData("  max_bytes_for_level_multiplier=10\n", "  max_bytes_for_level_multiplier=ten\n")]
    [InlineData("stop_style=kCompactionStopStyleTotalSize;", "stop_style=kBogus;")]
    [InlineData("size_ratio=1;", "no_such_field=1;")]
    public void RocksDb_RefusesADamagedVariantOfOurFile(string original, string damaged)
    {
        using var dir = new TempDirectory();
        string text = OptionsFile.Render(new DbOptions(), DefaultOnly());
        Assert.Contains(original, text, StringComparison.Ordinal);
        OptionsFile.Write(LocalFileSystem.Instance, dir.Path, 5, text.Replace(original, damaged, StringComparison.Ordinal));

        Assert.Throws<InvalidOperationException>(() => LoadedOptions.Load(dir.Path, ignoreUnknownOptions: true).Dispose());
    }

    [Fact]
    public void RocksDb_LoadsOurLeveledCompactionOptions_WithTheValuesWeWrote()
    {
        using var dir = new TempDirectory();
        var leveled = new ColumnFamilyOptions
        {
            CompactionPri = CompactionPriority.RoundRobin,
            Level0FileNumCompactionTrigger = 7,
            Level0SlowdownWritesTrigger = 23,
            Level0StopWritesTrigger = 41,
            MaxBytesForLevelBase = 123L << 20,
            MaxBytesForLevelMultiplier = 8.5,
            LevelCompactionDynamicLevelBytes = false,
            TargetFileSizeBase = 17L << 20,
            TargetFileSizeMultiplier = 3,
            MaxCompactionBytes = 999L << 20,
            SoftPendingCompactionBytesLimit = 5L << 30,
            HardPendingCompactionBytesLimit = 9L << 30,
            CompactionFilter = new NamedFilter("MyTtl.Filter"),
        };
        OptionsFile.Write(LocalFileSystem.Instance, dir.Path, 3, OptionsFile.Render(new DbOptions(), [("default", new ColumnFamilyOptions()), ("leveled", leveled)]));

        using var loaded = LoadedOptions.Load(dir.Path, ignoreUnknownOptions: false);

        Native n = Native.Instance;
        IntPtr defaults = loaded.ColumnFamilyOptions[0];
        Assert.Equal((int)CompactionStyle.Level, n.rocksdb_options_get_compaction_style(defaults));
        Assert.Equal((int)CompactionPriority.MinOverlappingRatio, n.rocksdb_options_get_compaction_pri(defaults));
        Assert.Equal(ColumnFamilyOptions.DefaultLevel0FileNumCompactionTrigger, n.rocksdb_options_get_level0_file_num_compaction_trigger(defaults));
        Assert.Equal((ulong)ColumnFamilyOptions.DefaultMaxBytesForLevelBase, n.rocksdb_options_get_max_bytes_for_level_base(defaults));
        Assert.Equal(1, n.rocksdb_options_get_level_compaction_dynamic_level_bytes(defaults));

        IntPtr cf = loaded.ColumnFamilyOptions[1];
        Assert.Equal((int)CompactionStyle.Level, n.rocksdb_options_get_compaction_style(cf));
        Assert.Equal((int)CompactionPriority.RoundRobin, n.rocksdb_options_get_compaction_pri(cf));
        Assert.Equal(7, n.rocksdb_options_get_level0_file_num_compaction_trigger(cf));
        Assert.Equal(23, n.rocksdb_options_get_level0_slowdown_writes_trigger(cf));
        Assert.Equal(41, n.rocksdb_options_get_level0_stop_writes_trigger(cf));
        Assert.Equal(123UL << 20, n.rocksdb_options_get_max_bytes_for_level_base(cf));
        Assert.Equal(8.5, n.rocksdb_options_get_max_bytes_for_level_multiplier(cf));
        Assert.Equal(0, n.rocksdb_options_get_level_compaction_dynamic_level_bytes(cf));
        Assert.Equal(17UL << 20, n.rocksdb_options_get_target_file_size_base(cf));
        Assert.Equal(3, n.rocksdb_options_get_target_file_size_multiplier(cf));
        Assert.Equal(999UL << 20, n.rocksdb_options_get_max_compaction_bytes(cf));
        Assert.Equal(5UL << 30, (ulong)n.rocksdb_options_get_soft_pending_compaction_bytes_limit(cf));
        Assert.Equal(9UL << 30, (ulong)n.rocksdb_options_get_hard_pending_compaction_bytes_limit(cf));
    }

    /// <summary>
    /// Universal style with every universal option off its default: RocksDB loads the file, opens a database with
    /// what it loaded (its own sanity checks run), and the OPTIONS file RocksDB then writes itself holds our values.
    /// The C API has no getter for the universal options, so RocksDB's own serialization is the read-back.
    /// </summary>
    [Fact]
    public void RocksDb_LoadsOurUniversalCompactionOptions_AndWritesTheSameValuesBack()
    {
        using var optionsDir = new TempDirectory();
        using var dbDir = new TempDirectory();
        var universal = new ColumnFamilyOptions
        {
            CompactionStyle = CompactionStyle.Universal,
            Level0FileNumCompactionTrigger = 6,
            Level0SlowdownWritesTrigger = 30,
            Level0StopWritesTrigger = 50,
            CompactionOptionsUniversal = new UniversalCompactionOptions
            {
                SizeRatio = 7,
                MinMergeWidth = 3,
                MaxMergeWidth = 11,
                MaxSizeAmplificationPercent = 150,
                CompressionSizePercent = 60,
                StopStyle = UniversalStopStyle.SimilarSize,
                AllowTrivialMove = true,
                MaxReadAmp = 12,
            },
        };
        OptionsFile.Write(
            LocalFileSystem.Instance,
            optionsDir.Path,
            4,
            OptionsFile.Render(new DbOptions { CreateIfMissing = true, CreateMissingColumnFamilies = true }, [("default", new ColumnFamilyOptions()), ("universal", universal)]));

        using (var loaded = LoadedOptions.Load(optionsDir.Path, ignoreUnknownOptions: false))
        {
            Native n = Native.Instance;
            Assert.Equal((int)CompactionStyle.Universal, n.rocksdb_options_get_compaction_style(loaded.ColumnFamilyOptions[1]));
            Assert.Equal(6, n.rocksdb_options_get_level0_file_num_compaction_trigger(loaded.ColumnFamilyOptions[1]));
            WriteAndFlushEveryFamily(loaded, dbDir.Path, entries: 100);
        }

        Dictionary<string, string> written = RocksDbWrittenCfOptions(dbDir.Path, "universal");
        Assert.Equal("kCompactionStyleUniversal", written["compaction_style"]);
        Assert.Equal("6", written["level0_file_num_compaction_trigger"]);
        Assert.Equal("30", written["level0_slowdown_writes_trigger"]);
        Assert.Equal("50", written["level0_stop_writes_trigger"]);
        Dictionary<string, string> fields = StructFields(written["compaction_options_universal"]);
        Assert.Equal("7", fields["size_ratio"]);
        Assert.Equal("3", fields["min_merge_width"]);
        Assert.Equal("11", fields["max_merge_width"]);
        Assert.Equal("150", fields["max_size_amplification_percent"]);
        Assert.Equal("60", fields["compression_size_percent"]);
        Assert.Equal("kCompactionStopStyleSimilarSize", fields["stop_style"]);
        Assert.Equal("true", fields["allow_trivial_move"]);
        Assert.Equal("12", fields["max_read_amp"]);
        Assert.Equal("false", fields["incremental"]); // not ours: RocksDB's default

        Dictionary<string, string> defaults = StructFields(RocksDbWrittenCfOptions(dbDir.Path, "default")["compaction_options_universal"]);
        Assert.Equal(UniversalCompactionOptions.DefaultMaxMergeWidth.ToString(System.Globalization.CultureInfo.InvariantCulture), defaults["max_merge_width"]);
        Assert.Equal(UniversalCompactionOptions.DefaultMaxReadAmp.ToString(System.Globalization.CultureInfo.InvariantCulture), defaults["max_read_amp"]);
        Assert.Equal("kCompactionStopStyleTotalSize", defaults["stop_style"]);
    }

    [Fact]
    public void Render_CompactionFilter_IsItsNameOrNullptr()
    {
        string named = OptionsFile.Render(new DbOptions(), DefaultOnly(new ColumnFamilyOptions { CompactionFilter = new NamedFilter("ttl:v2") }));
        Assert.Contains("  compaction_filter=ttl\\:v2\n", named, StringComparison.Ordinal);
        Assert.Contains("  compaction_filter=nullptr\n", OptionsFile.Render(new DbOptions(), DefaultOnly()), StringComparison.Ordinal);
    }

    /// <summary>The options of column family <paramref name="name"/> in the newest OPTIONS file RocksDB wrote in <paramref name="dbPath"/>.</summary>
    private static Dictionary<string, string> RocksDbWrittenCfOptions(string dbPath, string name)
    {
        string newest = Directory.GetFiles(dbPath, "OPTIONS-*")
            .Where(f => !f.EndsWith(".dbtmp", StringComparison.Ordinal))
            .OrderBy(f => ulong.Parse(Path.GetFileName(f)["OPTIONS-".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Last();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        bool inSection = false;
        foreach (string raw in File.ReadLines(newest))
        {
            string line = raw.Trim();
            if (line.StartsWith('['))
            {
                inSection = line == $"[CFOptions \"{name}\"]";
            }
            else if (inSection && line.Contains('=', StringComparison.Ordinal))
            {
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                options[line[..eq]] = line[(eq + 1)..];
            }
        }

        Assert.NotEmpty(options);
        return options;
    }

    /// <summary>The fields of a struct option value <c>{a=1;b=2;}</c>.</summary>
    private static Dictionary<string, string> StructFields(string value)
    {
        Assert.StartsWith("{", value, StringComparison.Ordinal);
        Assert.EndsWith("}", value, StringComparison.Ordinal);
        return value[1..^1].Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
    }

    private sealed class NamedFilter(string name) : CompactionFilter
    {
        public override string Name => name;

        public override CompactionDecision Filter(int level, ReadOnlySpan<byte> key, ReadOnlySpan<byte> existingValue, out byte[]? newValue)
        {
            newValue = null;
            return CompactionDecision.Keep;
        }
    }

    /// <summary>
    /// End to end: RocksDB loads our OPTIONS file, opens a new database with exactly the options it loaded, writes
    /// and flushes each column family; the tables it writes show that every table option we wrote took effect
    /// (format version, checksum, compression, filter bits per key, block size, restart interval), and their
    /// properties name our comparator and merge operator.
    /// </summary>
    [Fact]
    public void RocksDb_OpensADatabaseWithOurOptions_AndItsTablesFollowThem()
    {
        using var optionsDir = new TempDirectory();
        using var dbDir = new TempDirectory();
        var custom = new ColumnFamilyOptions
        {
            MergeOperator = UInt64AddOperator.Instance,
            Table = new TableOptions
            {
                FormatVersion = 5,
                Checksum = ChecksumType.Crc32C,
                Compression = CompressionType.None,
                BlockSize = 1024,
                BlockRestartInterval = 4,
                BloomBitsPerKey = 16,
            },
        };
        const string secondName = "second:cf#1";
        string text = OptionsFile.Render(
            new DbOptions { CreateIfMissing = true, CreateMissingColumnFamilies = true },
            [("default", custom), (secondName, new ColumnFamilyOptions())]);
        OptionsFile.Write(LocalFileSystem.Instance, optionsDir.Path, 5, text);

        using (var loaded = LoadedOptions.Load(optionsDir.Path, ignoreUnknownOptions: false))
        {
            WriteAndFlushEveryFamily(loaded, dbDir.Path, entries: 2000);
        }

        var tables = new Dictionary<string, SstFile>();
        try
        {
            foreach (string path in Directory.GetFiles(dbDir.Path, "*.sst"))
            {
                var sst = SstFile.Open(path);
                tables[sst.Properties.ColumnFamilyName] = sst;
            }

            SstFile first = tables["default"];
            Assert.Equal(5, first.Footer.FormatVersion);
            Assert.Equal(ChecksumType.Crc32C, first.Footer.Checksum);
            Assert.Equal("NoCompression", first.Properties.CompressionName);
            Assert.Equal("UInt64AddOperator", first.Properties.MergeOperatorName);
            Assert.Equal("leveldb.BytewiseComparator", first.Properties.ComparatorName);
            Assert.Equal("bloomfilter", first.Properties.FilterPolicyName);
            AssertFilterBitsPerKey(first, 16);
            Assert.True(first.Properties.NumDataBlocks >= first.Properties.DataSize / 1100, $"{first.Properties.NumDataBlocks} blocks of {first.Properties.DataSize} bytes: not cut at about 1 KiB");
            AssertRestartInterval(first, 4);

            SstFile second = tables[secondName];
            Assert.Equal(6, second.Footer.FormatVersion);
            Assert.Equal(ChecksumType.Xxh3, second.Footer.Checksum);
            Assert.Equal("LZ4", second.Properties.CompressionName);
            Assert.Equal("nullptr", second.Properties.MergeOperatorName);
            AssertFilterBitsPerKey(second, 10);
            Assert.True(second.Properties.NumDataBlocks <= (second.Properties.RawKeySize + second.Properties.RawValueSize) / 3000 + 1, "not cut at about 4 KiB");
        }
        finally
        {
            foreach (SstFile sst in tables.Values)
            {
                sst.Dispose();
            }
        }
    }

    /// <summary>
    /// The filter is sized for <paramref name="bitsPerKey"/>: RocksDB's default <c>optimize_filters_for_memory</c>
    /// rounds the size to the allocator's (and picks the probes for the rounded size), so the check is a band
    /// around the nominal size that excludes the neighbouring settings (10 against 16 bits per key).
    /// </summary>
    private static void AssertFilterBitsPerKey(SstFile sst, double bitsPerKey)
    {
        SstFilterInfo filter = sst.Filter ?? throw new InvalidOperationException($"{sst.Path} has no filter");
        double actual = filter.SizeBytes * 8.0 / sst.Properties.NumEntries;
        Assert.InRange(actual, bitsPerKey * 0.9, bitsPerKey * 1.25);
    }

    /// <summary>Every data block has one restart per <paramref name="interval"/> entries (format-spec.md, 4.1: the block's last word counts the restarts).</summary>
    private static void AssertRestartInterval(SstFile sst, int interval)
    {
        byte[] file = File.ReadAllBytes(sst.Path);
        int checkedBlocks = 0;
        foreach (SstBlockInfo block in sst.ReadBlocks().Where(b => b.Kind == "data"))
        {
            Assert.Equal(CompressionType.None, block.Compression);
            uint footer = BitConverter.ToUInt32(file, (int)(block.Offset + block.Size - 4));
            int restarts = (int)(footer & 0x7FFF_FFFF);
            Assert.Equal((block.Entries + interval - 1) / interval, restarts);
            checkedBlocks++;
        }

        Assert.True(checkedBlocks > 1);
    }

    private static void WriteAndFlushEveryFamily(LoadedOptions loaded, string dbPath, int entries)
    {
        Native n = Native.Instance;
        int count = loaded.Names.Count;
        IntPtr handles = Marshal.AllocHGlobal(count * IntPtr.Size);
        IntPtr db = IntPtr.Zero;
        try
        {
            db = n.rocksdb_open_column_families(loaded.DbOptions, dbPath, count, loaded.NamesArray, loaded.ColumnFamilyOptionsArray, handles, out IntPtr error);
            ThrowIfError(error);
            var write = new RocksDbSharp.WriteOptions();
            var flush = new RocksDbSharp.FlushOptions();
            flush.SetWaitForFlush(true);
            var random = new Random(42);
            for (int cf = 0; cf < count; cf++)
            {
                IntPtr handle = Marshal.ReadIntPtr(handles, cf * IntPtr.Size);
                for (int i = 0; i < entries; i++)
                {
                    byte[] key = System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");
                    byte[] value = new byte[24];
                    random.NextBytes(value); // incompressible, so data size tracks block size
                    n.rocksdb_put_cf(db, write.Handle, handle, key, (UIntPtr)key.Length, value, (UIntPtr)value.Length, out error);
                    ThrowIfError(error);
                }

                n.rocksdb_flush_cf(db, flush.Handle, handle, out error);
                ThrowIfError(error);
            }

            for (int cf = 0; cf < count; cf++)
            {
                n.rocksdb_column_family_handle_destroy(Marshal.ReadIntPtr(handles, cf * IntPtr.Size));
            }
        }
        finally
        {
            if (db != IntPtr.Zero)
            {
                n.rocksdb_close(db);
            }

            Marshal.FreeHGlobal(handles);
        }
    }

    private static void ThrowIfError(IntPtr error)
    {
        if (error != IntPtr.Zero)
        {
            string message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
            Native.Instance.rocksdb_free(error);
            throw new InvalidOperationException(message);
        }
    }

    /// <summary>What <c>rocksdb_load_latest_options</c> returns: RocksDB's <c>LoadLatestOptions</c> on the newest OPTIONS file of a directory.</summary>
    private sealed class LoadedOptions : IDisposable
    {
        private bool _disposed;

        private LoadedOptions(IntPtr dbOptions, IntPtr names, IntPtr columnFamilyOptions, int count)
        {
            DbOptions = dbOptions;
            NamesArray = names;
            ColumnFamilyOptionsArray = columnFamilyOptions;
            var list = new List<string>();
            var cfs = new IntPtr[count];
            for (int i = 0; i < count; i++)
            {
                list.Add(Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(names, i * IntPtr.Size))!);
                cfs[i] = Marshal.ReadIntPtr(columnFamilyOptions, i * IntPtr.Size);
            }

            Names = list;
            ColumnFamilyOptions = cfs;
        }

        /// <summary>The database options (a <c>rocksdb_options_t*</c>).</summary>
        public IntPtr DbOptions { get; }

        /// <summary>The <c>char**</c> of column family names.</summary>
        public IntPtr NamesArray { get; }

        /// <summary>The <c>rocksdb_options_t**</c> of column family options.</summary>
        public IntPtr ColumnFamilyOptionsArray { get; }

        public IReadOnlyList<string> Names { get; }

        public IReadOnlyList<IntPtr> ColumnFamilyOptions { get; }

        /// <exception cref="InvalidOperationException">RocksDB refused the file; the message is its status.</exception>
        public static LoadedOptions Load(string directory, bool ignoreUnknownOptions)
        {
            Native n = Native.Instance;
            IntPtr env = n.rocksdb_create_default_env();
            IntPtr cache = n.rocksdb_cache_create_lru((UIntPtr)(1 << 20)); // the C API dereferences it: never null
            IntPtr slots = Marshal.AllocHGlobal(4 * IntPtr.Size);
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    Marshal.WriteIntPtr(slots, i * IntPtr.Size, IntPtr.Zero);
                }

                n.rocksdb_load_latest_options(
                    directory,
                    env,
                    ignoreUnknownOptions ? (byte)1 : (byte)0,
                    cache,
                    slots,
                    slots + IntPtr.Size,
                    slots + (2 * IntPtr.Size),
                    slots + (3 * IntPtr.Size),
                    out IntPtr error);
                ThrowIfError(error);
                return new LoadedOptions(
                    Marshal.ReadIntPtr(slots),
                    Marshal.ReadIntPtr(slots, 2 * IntPtr.Size),
                    Marshal.ReadIntPtr(slots, 3 * IntPtr.Size),
                    checked((int)(long)Marshal.ReadIntPtr(slots, IntPtr.Size)));
            }
            finally
            {
                Marshal.FreeHGlobal(slots);
                n.rocksdb_cache_destroy(cache); // the loaded table options hold their own reference
                n.rocksdb_env_destroy(env);
            }
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Native.Instance.rocksdb_load_latest_options_destroy(DbOptions, NamesArray, ColumnFamilyOptionsArray, (UIntPtr)Names.Count);
        }
    }
}
