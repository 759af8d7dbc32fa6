using System.Globalization;
using System.Text;
using Lsm.Engine.IO;
using Lsm.Engine.Table.Filter;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Db;

/// <summary>
/// RocksDB's <c>OPTIONS-%06u</c> file (format-spec.md, section 14.4): a text record, in RocksDB's INI-like
/// syntax, of the options the database was opened with. Rendered from <see cref="DbOptions"/> and the column
/// families' <see cref="ColumnFamilyOptions"/>, under RocksDB's option names, for RocksDB's option loaders
/// (<c>LoadLatestOptions</c>, <c>ldb</c>, remote compaction) to read.
/// </summary>
/// <remarks>
/// <para>
/// Only the options this engine has are written; every other option is left out, and RocksDB's parser gives
/// an option it does not find its default (it starts each section from default-constructed options). So a
/// RocksDB that loads the file gets our settings for what we have and its own defaults for the rest.
/// </para>
/// <para>
/// The file names the RocksDB version whose option names and value syntax it follows
/// (<see cref="RocksDbVersion"/>). A RocksDB at least that recent treats any unknown option as an error even
/// when asked to ignore unknown options; every option written here is known to RocksDB since 6.x, except
/// <c>compaction_options_universal</c>'s <c>max_read_amp</c>, written only when it is not its default.
/// </para>
/// <para>
/// Written as RocksDB writes it: the text to <c>OPTIONS-N.dbtmp</c>, synced, renamed to <c>OPTIONS-N</c>, the
/// directory synced. RocksDB takes two file numbers (one for the temporary name, one for the final one); this
/// engine uses one for both. Obsolete OPTIONS files (all but the newest two) are deleted with the other
/// obsolete files (<see cref="VersionSet.FindObsoleteFiles"/>).
/// </para>
/// <para>Stateless and thread-safe.</para>
/// </remarks>
internal static class OptionsFile
{
    /// <summary>
    /// The <c>rocksdb_version</c> written in the <c>[Version]</c> section: the RocksDB release whose option
    /// names and values the file was checked against (the test oracle's native library).
    /// </summary>
    public const string RocksDbVersion = "11.12.0";

    /// <summary>The <c>options_file_version</c> written: RocksDB's <c>ROCKSDB_OPTION_FILE_MAJOR.MINOR</c>, 1.1 since RocksDB 4.</summary>
    public const string OptionsFileVersion = "1.1";

    /// <summary>The name of the default column family, which RocksDB requires as the first <c>[CFOptions]</c> section.</summary>
    public const string DefaultColumnFamilyName = "default";

    /// <summary>The comment block RocksDB starts every OPTIONS file with (options/options_parser.cc), byte for byte.</summary>
    private const string RocksDbHeader =
        "# This is a RocksDB option file.\n" +
        "#\n" +
        "# For detailed file format spec, please refer to the example file\n" +
        "# in examples/rocksdb_option_file_example.ini\n" +
        "#\n" +
        "\n";

    private const string TempSuffix = ".dbtmp";

    /// <summary>
    /// Renders the OPTIONS file for a database opened with <paramref name="db"/> whose live column families are
    /// <paramref name="columnFamilies"/>.
    /// </summary>
    /// <param name="db">The database options; only the database-wide ones are read (the column families' come from <paramref name="columnFamilies"/>).</param>
    /// <param name="columnFamilies">
    /// Every live column family with the options it is open with, the default one first (RocksDB's parser
    /// refuses a file whose first <c>[CFOptions]</c> section is another), each name once.
    /// </param>
    /// <returns>The file's text: ASCII, except for non-ASCII characters in column family, comparator and merge operator names, which are written as they are (UTF-8 on disk); lines end with <c>\n</c>.</returns>
    /// <exception cref="ArgumentException">The list is empty, does not start with the default column family, or names a family twice.</exception>
    public static string Render(DbOptions db, IReadOnlyList<(string Name, ColumnFamilyOptions Options)> columnFamilies)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(columnFamilies);
        if (columnFamilies.Count == 0 || columnFamilies[0].Name != DefaultColumnFamilyName)
        {
            throw new ArgumentException($"The first column family must be '{DefaultColumnFamilyName}', as RocksDB requires.", nameof(columnFamilies));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, ColumnFamilyOptions options) in columnFamilies)
        {
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(columnFamilies));
            ArgumentNullException.ThrowIfNull(options, nameof(columnFamilies));
            if (!seen.Add(name))
            {
                throw new ArgumentException($"Column family '{name}' is listed twice.", nameof(columnFamilies));
            }
        }

        var text = new StringBuilder(1024);
        text.Append(RocksDbHeader);
        text.Append("# Written by LsmEngine: options it does not have are left out, so RocksDB gives them its defaults.\n\n");

        text.Append("[Version]\n");
        Option(text, "rocksdb_version", RocksDbVersion);
        Option(text, "options_file_version", OptionsFileVersion);

        text.Append("\n[DBOptions]\n");
        Option(text, "create_if_missing", Bool(db.CreateIfMissing));
        Option(text, "error_if_exists", Bool(db.ErrorIfExists));
        Option(text, "create_missing_column_families", Bool(db.CreateMissingColumnFamilies));
        Option(text, "paranoid_checks", Bool(db.ParanoidChecks));
        Option(text, "max_background_flushes", Int(db.MaxBackgroundFlushes));
        if (db.DbWriteBufferSize > 0)
        {
            // Left out at its default (0) so files of databases without a budget stay as they were; RocksDB reads 0 then.
            Option(text, "db_write_buffer_size", Int(db.DbWriteBufferSize));
        }

        Option(text, "wal_recovery_mode", WalRecoveryModeName(db.WalRecoveryMode));

        foreach ((string name, ColumnFamilyOptions cf) in columnFamilies)
        {
            TableOptions table = cf.Table;
            string section = Escape(name);
            text.Append(CultureInfo.InvariantCulture, $"\n[CFOptions \"{section}\"]\n");
            Option(text, "comparator", Escape(table.Comparator.Name));
            Option(text, "merge_operator", cf.MergeOperator is null ? "nullptr" : Escape(cf.MergeOperator.Name));
            Option(text, "write_buffer_size", Int(cf.WriteBufferSize));
            Option(text, "max_write_buffer_number", Int(cf.MaxWriteBufferNumber));
            Option(text, "compaction_filter", cf.CompactionFilter is null ? "nullptr" : Escape(cf.CompactionFilter.Name));
            CompactionOptions(text, cf);
            Option(text, "compression", CompressionName(table.Compression));
            Option(text, "table_factory", "BlockBasedTable");

            text.Append(CultureInfo.InvariantCulture, $"\n[TableOptions/BlockBasedTable \"{section}\"]\n");
            Option(text, "format_version", Int(table.FormatVersion));
            Option(text, "block_size", Int(table.BlockSize));
            Option(text, "block_restart_interval", Int(table.BlockRestartInterval));
            Option(text, "checksum", ChecksumName(table.Checksum));
            Option(text, "filter_policy", FilterPolicy(table.BloomBitsPerKey));
            Option(text, "no_block_cache", table.NoBlockCache ? "true" : "false");
            Option(text, "cache_index_and_filter_blocks", table.CacheIndexAndFilterBlocks ? "true" : "false");
            Option(text, "cache_index_and_filter_blocks_with_high_priority", table.CacheIndexAndFilterBlocksWithHighPriority ? "true" : "false");
            Option(text, "pin_l0_filter_and_index_blocks_in_cache", table.PinL0FilterAndIndexBlocksInCache ? "true" : "false");
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes <paramref name="text"/> as <c>OPTIONS-{fileNumber:D6}</c> in <paramref name="dbPath"/>, as RocksDB
    /// does: to <c>OPTIONS-{fileNumber:D6}.dbtmp</c>, synced, renamed over the final name, then the directory
    /// synced. On failure the temporary file is deleted and the exception propagates.
    /// </summary>
    /// <remarks>
    /// The caller allocates <paramref name="fileNumber"/> from the version set (<c>NewFileNumber</c>) and must
    /// keep obsolete-file deletion from running meanwhile (it deletes <c>.dbtmp</c> files): call under the
    /// database mutex, or list the number among the pending outputs.
    /// </remarks>
    /// <param name="fs">The file system.</param>
    /// <param name="dbPath">The database directory.</param>
    /// <param name="fileNumber">The file's number.</param>
    /// <param name="text">What <see cref="Render"/> returned.</param>
    /// <exception cref="IOException">A write, sync or rename failed.</exception>
    public static void Write(IFileSystem fs, string dbPath, ulong fileNumber, string text)
    {
        ArgumentNullException.ThrowIfNull(fs);
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        ArgumentNullException.ThrowIfNull(text);
        string name = DbFileName.Options(fileNumber);
        string temp = Path.Join(dbPath, name + TempSuffix);
        string path = Path.Join(dbPath, name);
        try
        {
            using (IWritableFile file = fs.Create(temp))
            {
                file.Append(System.Text.Encoding.UTF8.GetBytes(text));
                file.Sync();
            }

            fs.Rename(temp, path);
        }
        catch
        {
            fs.Delete(temp);
            throw;
        }

        fs.SyncDirectory(dbPath);
    }

    /// <summary>RocksDB's name for a WAL recovery mode (the file holds names, not numbers: <c>wal_recovery_mode_string_map</c>).</summary>
    public static string WalRecoveryModeName(WalRecoveryMode mode) => mode switch
    {
        WalRecoveryMode.TolerateCorruptedTailRecords => "kTolerateCorruptedTailRecords",
        WalRecoveryMode.AbsoluteConsistency => "kAbsoluteConsistency",
        WalRecoveryMode.PointInTimeRecovery => "kPointInTimeRecovery",
        WalRecoveryMode.SkipAnyCorruptedRecords => "kSkipAnyCorruptedRecords",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown WAL recovery mode."),
    };

    /// <summary>RocksDB's name for a compression type (<c>compression_type_string_map</c>).</summary>
    public static string CompressionName(CompressionType compression) => compression switch
    {
        CompressionType.None => "kNoCompression",
        CompressionType.Snappy => "kSnappyCompression",
        CompressionType.Zlib => "kZlibCompression",
        CompressionType.BZip2 => "kBZip2Compression",
        CompressionType.Lz4 => "kLZ4Compression",
        CompressionType.Lz4HC => "kLZ4HCCompression",
        CompressionType.Xpress => "kXpressCompression",
        CompressionType.Zstd => "kZSTD",
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "Unknown compression type."),
    };

    /// <summary>RocksDB's name for a compaction style (<c>compaction_style_string_map</c>).</summary>
    public static string CompactionStyleName(CompactionStyle style) => style switch
    {
        CompactionStyle.Level => "kCompactionStyleLevel",
        CompactionStyle.Universal => "kCompactionStyleUniversal",
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, "Unknown compaction style."),
    };

    /// <summary>RocksDB's name for a compaction priority (<c>compaction_pri_string_map</c>).</summary>
    public static string CompactionPriName(CompactionPriority priority) => priority switch
    {
        CompactionPriority.MinOverlappingRatio => "kMinOverlappingRatio",
        CompactionPriority.RoundRobin => "kRoundRobin",
        _ => throw new ArgumentOutOfRangeException(nameof(priority), priority, "Unknown compaction priority."),
    };

    /// <summary>RocksDB's name for a universal compaction stop style (<c>compaction_stop_style_string_map</c>).</summary>
    public static string StopStyleName(UniversalStopStyle style) => style switch
    {
        UniversalStopStyle.SimilarSize => "kCompactionStopStyleSimilarSize",
        UniversalStopStyle.TotalSize => "kCompactionStopStyleTotalSize",
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, "Unknown universal compaction stop style."),
    };

    /// <summary>
    /// The <c>compaction_options_universal</c> value, as RocksDB serializes a struct option
    /// (<c>OptionTypeInfo::SerializeStruct</c>): <c>{name=value;...}</c> on one line, each field ended by <c>;</c>.
    /// The fields this engine lacks (<c>incremental</c>, <c>reduce_file_locking</c>) are left out and keep
    /// RocksDB's defaults: its parser sets only the fields it finds. <c>max_read_amp</c> is written only when not
    /// its default (-1), so that RocksDB releases older than the field still read the file.
    /// </summary>
    public static string UniversalOptions(UniversalCompactionOptions universal)
    {
        ArgumentNullException.ThrowIfNull(universal);
        var value = new StringBuilder(256);
        value.Append('{');
        value.Append("size_ratio=").Append(Int(universal.SizeRatio)).Append(';');
        value.Append("min_merge_width=").Append(Int(universal.MinMergeWidth)).Append(';');
        value.Append("max_merge_width=").Append(Int(universal.MaxMergeWidth)).Append(';');
        value.Append("max_size_amplification_percent=").Append(Int(universal.MaxSizeAmplificationPercent)).Append(';');
        value.Append("compression_size_percent=").Append(Int(universal.CompressionSizePercent)).Append(';');
        value.Append("stop_style=").Append(StopStyleName(universal.StopStyle)).Append(';');
        value.Append("allow_trivial_move=").Append(Bool(universal.AllowTrivialMove)).Append(';');
        if (universal.MaxReadAmp != UniversalCompactionOptions.DefaultMaxReadAmp)
        {
            // Only when set: RocksDB before 9.3 does not know this field and would refuse the whole file.
            value.Append("max_read_amp=").Append(Int(universal.MaxReadAmp)).Append(';');
        }

        value.Append('}');
        return value.ToString();
    }

    /// <summary>RocksDB's name for a checksum type (<c>checksum_type_string_map</c>).</summary>
    public static string ChecksumName(ChecksumType checksum) => checksum switch
    {
        ChecksumType.None => "kNoChecksum",
        ChecksumType.Crc32C => "kCRC32c",
        ChecksumType.XxHash32 => "kxxHash",
        ChecksumType.XxHash64 => "kxxHash64",
        ChecksumType.Xxh3 => "kXXH3",
        _ => throw new ArgumentOutOfRangeException(nameof(checksum), checksum, "Unknown checksum type."),
    };

    /// <summary>
    /// The <c>filter_policy</c> value: <c>nullptr</c> for no filter, else RocksDB's id of the Bloom filter policy
    /// with the bits per key as RocksDB keeps them (millibits, printed with up to three decimals) and the
    /// <c>:false</c> suffix RocksDB's <c>BloomFilterPolicy::GetId</c> writes.
    /// </summary>
    public static string FilterPolicy(double bloomBitsPerKey)
    {
        int millibits = FastLocalBloom.ToMillibitsPerKey(bloomBitsPerKey);
        if (millibits == 0)
        {
            return "nullptr";
        }

        string bits = (millibits / 1000).ToString(CultureInfo.InvariantCulture);
        int fraction = millibits % 1000;
        if (fraction > 0)
        {
            bits += "." + fraction.ToString("D3", CultureInfo.InvariantCulture).TrimEnd('0');
        }

        return "bloomfilter:" + bits + ":false";
    }

    /// <summary>
    /// RocksDB's <c>EscapeOptionString</c>: a backslash before <c>\</c>, <c>#</c> and <c>:</c>, and <c>\n</c>,
    /// <c>\r</c> for line breaks. The parser undoes it in section arguments and values.
    /// </summary>
    public static string Escape(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.AsSpan().IndexOfAny("\\#:\r\n") < 0)
        {
            return raw;
        }

        var escaped = new StringBuilder(raw.Length + 8);
        foreach (char c in raw)
        {
            switch (c)
            {
                case '\\' or '#' or ':':
                    escaped.Append('\\').Append(c);
                    break;
                case '\n':
                    escaped.Append("\\n");
                    break;
                case '\r':
                    escaped.Append("\\r");
                    break;
                default:
                    escaped.Append(c);
                    break;
            }
        }

        return escaped.ToString();
    }

    /// <summary>The compaction options of a column family, under RocksDB's names (cf_options.cc).</summary>
    private static void CompactionOptions(StringBuilder text, ColumnFamilyOptions cf)
    {
        Option(text, "compaction_style", CompactionStyleName(cf.CompactionStyle));
        Option(text, "compaction_pri", CompactionPriName(cf.CompactionPri));
        Option(text, "level0_file_num_compaction_trigger", Int(cf.Level0FileNumCompactionTrigger));
        Option(text, "level0_slowdown_writes_trigger", Int(cf.Level0SlowdownWritesTrigger));
        Option(text, "level0_stop_writes_trigger", Int(cf.Level0StopWritesTrigger));
        Option(text, "max_bytes_for_level_base", Int(cf.MaxBytesForLevelBase));
        Option(text, "max_bytes_for_level_multiplier", Double(cf.MaxBytesForLevelMultiplier));
        Option(text, "level_compaction_dynamic_level_bytes", Bool(cf.LevelCompactionDynamicLevelBytes));
        Option(text, "target_file_size_base", Int(cf.TargetFileSizeBase));
        Option(text, "target_file_size_multiplier", Int(cf.TargetFileSizeMultiplier));
        Option(text, "max_compaction_bytes", Int(cf.MaxCompactionBytes));
        Option(text, "soft_pending_compaction_bytes_limit", Int(cf.SoftPendingCompactionBytesLimit));
        Option(text, "hard_pending_compaction_bytes_limit", Int(cf.HardPendingCompactionBytesLimit));
        Option(text, "compaction_options_universal", UniversalOptions(cf.CompactionOptionsUniversal));
    }

    private static void Option(StringBuilder text, string name, string value) =>
        text.Append("  ").Append(name).Append('=').Append(value).Append('\n');

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double in the shortest text that reads back as the same value (RocksDB parses it with <c>std::stod</c>).</summary>
    private static string Double(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
