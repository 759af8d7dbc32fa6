using System.Globalization;

namespace Lsm.Engine.Versions;

/// <summary>The kinds of files in a database directory, as RocksDB names them (file/filename.cc).</summary>
internal enum DbFileType
{
    /// <summary><c>CURRENT</c>: names the live MANIFEST.</summary>
    Current,

    /// <summary><c>MANIFEST-000005</c>: the log of version edits.</summary>
    Manifest,

    /// <summary><c>000004.log</c>: a write-ahead log.</summary>
    WriteAheadLog,

    /// <summary><c>000009.sst</c> (or LevelDB's <c>.ldb</c>): a table file.</summary>
    Table,

    /// <summary><c>000009.blob</c>: a BlobDB blob file.</summary>
    Blob,

    /// <summary><c>000005.dbtmp</c>: a temporary file (CURRENT or IDENTITY being replaced).</summary>
    Temp,

    /// <summary><c>OPTIONS-000007</c>: the options the database was last opened with.</summary>
    Options,

    /// <summary><c>OPTIONS-000007.dbtmp</c>: an OPTIONS file being written.</summary>
    OptionsTemp,

    /// <summary><c>IDENTITY</c>: the database id.</summary>
    Identity,

    /// <summary><c>LOCK</c>: held while the database is open.</summary>
    Lock,

    /// <summary><c>LOG</c> or <c>LOG.old.*</c>: the info log.</summary>
    InfoLog,
}

/// <summary>
/// The names of the files in a database directory: RocksDB's, so that each engine recognizes the other's
/// files. Numbers print as at least six digits (<c>%06llu</c>).
/// </summary>
internal static class DbFileName
{
    public const string Current = "CURRENT";
    public const string Identity = "IDENTITY";
    public const string Lock = "LOCK";
    public const string InfoLog = "LOG";
    public const string ManifestPrefix = "MANIFEST-";
    public const string OptionsPrefix = "OPTIONS-";

    public static string Manifest(ulong number) => ManifestPrefix + Number(number);

    public static string Log(ulong number) => Number(number) + ".log";

    public static string Table(ulong number) => Number(number) + ".sst";

    public static string Blob(ulong number) => Number(number) + ".blob";

    /// <summary>The temporary file a new CURRENT (numbered by its MANIFEST) or IDENTITY (number 0) is written to before the rename.</summary>
    public static string Temp(ulong number) => Number(number) + ".dbtmp";

    public static string Options(ulong number) => OptionsPrefix + Number(number);

    public static string Number(ulong number) => number.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Recognizes a file name (not a path) of the database directory.</summary>
    /// <param name="name">The name.</param>
    /// <param name="type">The kind of file.</param>
    /// <param name="number">The file's number; 0 for unnumbered kinds.</param>
    /// <returns>False for a name RocksDB does not give its files.</returns>
    public static bool TryParse(string name, out DbFileType type, out ulong number)
    {
        number = 0;
        type = default;
        switch (name)
        {
            case Current:
                type = DbFileType.Current;
                return true;
            case Identity:
                type = DbFileType.Identity;
                return true;
            case Lock:
                type = DbFileType.Lock;
                return true;
            case InfoLog:
                type = DbFileType.InfoLog;
                return true;
        }

        if (name.StartsWith("LOG.old.", StringComparison.Ordinal))
        {
            type = DbFileType.InfoLog;
            return true;
        }

        if (name.StartsWith(ManifestPrefix, StringComparison.Ordinal))
        {
            type = DbFileType.Manifest;
            return TryParseNumber(name.AsSpan(ManifestPrefix.Length), out number);
        }

        if (name.StartsWith(OptionsPrefix, StringComparison.Ordinal))
        {
            ReadOnlySpan<char> rest = name.AsSpan(OptionsPrefix.Length);
            type = DbFileType.Options;
            if (rest.EndsWith(".dbtmp", StringComparison.Ordinal))
            {
                type = DbFileType.OptionsTemp;
                rest = rest[..^".dbtmp".Length];
            }

            return TryParseNumber(rest, out number);
        }

        int dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !TryParseNumber(name.AsSpan(0, dot), out number))
        {
            return false;
        }

        switch (name.AsSpan(dot + 1))
        {
            case "log":
                type = DbFileType.WriteAheadLog;
                return true;
            case "sst" or "ldb":
                type = DbFileType.Table;
                return true;
            case "blob":
                type = DbFileType.Blob;
                return true;
            case "dbtmp":
                type = DbFileType.Temp;
                return true;
            default:
                return false;
        }
    }

    private static bool TryParseNumber(ReadOnlySpan<char> digits, out ulong number)
    {
        number = 0;
        return !digits.IsEmpty && digits.Length <= 20 && !digits.ContainsAnyExceptInRange('0', '9')
            && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }
}
