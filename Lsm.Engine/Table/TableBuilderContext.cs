namespace Lsm.Engine.Table;

/// <summary>
/// Facts about where a table is going that end up in its properties block.
/// </summary>
/// <param name="ColumnFamilyId">The column family's id, or <see cref="TableFormat.UnknownColumnFamily"/>.</param>
/// <param name="ColumnFamilyName">The column family's name; empty when unknown.</param>
/// <param name="MergeOperatorName">The merge operator's name, or <c>nullptr</c> as RocksDB writes when there is none.</param>
/// <param name="DbId">The database identity (<c>SST Writer</c> for external files).</param>
/// <param name="DbSessionId">The writing session's identity.</param>
/// <param name="FileNumber">The file number within the database.</param>
/// <param name="IsExternal">Whether this is an external file as RocksDB's SstFileWriter makes them (all sequences 0).</param>
internal sealed record TableBuilderContext(
    uint ColumnFamilyId,
    string ColumnFamilyName,
    string MergeOperatorName,
    string DbId,
    string DbSessionId,
    ulong FileNumber,
    bool IsExternal)
{
    public static TableBuilderContext External(string sessionId) =>
        new(TableFormat.UnknownColumnFamily, "", "nullptr", "SST Writer", sessionId, 1, IsExternal: true);

    /// <summary>Unix seconds at which the data was created; 0 when unknown.</summary>
    public ulong CreationTime { get; init; }

    /// <summary>Unix seconds at which the file is written; 0 when not recorded.</summary>
    public ulong FileCreationTime { get; init; }

    /// <summary>A 20-character identity in RocksDB's session id alphabet (digits and upper-case letters).</summary>
    public static string NewSessionId()
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        Span<char> chars = stackalloc char[20];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        return new string(chars);
    }
}
