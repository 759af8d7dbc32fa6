using System.Buffers.Binary;
using System.IO.Hashing;

namespace Lsm.Engine.Table;

/// <summary>
/// RocksDB's internal unique id of a table file (<c>GetSstInternalUniqueId</c>, table/unique_id.cc): 128 bits
/// derived from the properties every table carries (db id, db session id, original file number), recorded in
/// the MANIFEST's NewFile4 custom field 12 so that RocksDB can check the table it opens is the one recorded.
/// </summary>
/// <remarks>
/// <para>The session id, 13 to 24 characters of base 36 (RocksDB writes 20), decodes into (upper, lower): the last
/// 12 characters give b, the rest a; lower = (b mod 2^62) | (a &lt;&lt; 62), upper = a &gt;&gt; 2. Then</para>
/// <code>
/// id[0] = lower
/// (hi, lo) = XXH3-128(db id bytes, seed = upper)
/// id[1] = hi XOR file number
/// </code>
/// <para>stored as two little-endian 64-bit words. A session id that does not decode is hashed instead
/// (XXH3-128 with seed 0, lower forced non-zero), as RocksDB's forced mode does.</para>
/// </remarks>
internal static class SstUniqueId
{
    /// <summary>The 16 bytes RocksDB records for a table written by session <paramref name="sessionId"/> of database <paramref name="dbId"/>.</summary>
    public static byte[] Compute(string dbId, string sessionId, ulong fileNumber)
    {
        if (!TryDecodeSessionId(sessionId, out ulong upper, out ulong lower))
        {
            UInt128 fallback = XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(sessionId));
            upper = (ulong)(fallback >> 64);
            lower = (ulong)fallback;
            if (lower == 0)
            {
                lower = upper | 1;
            }
        }

        UInt128 db = XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(dbId), unchecked((long)upper));
        byte[] id = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(id, lower);
        BinaryPrimitives.WriteUInt64LittleEndian(id.AsSpan(8), (ulong)(db >> 64) ^ fileNumber);
        return id;
    }

    /// <summary>RocksDB's DecodeSessionId: base-36 digits (either case), 13 to 24 of them.</summary>
    internal static bool TryDecodeSessionId(string sessionId, out ulong upper, out ulong lower)
    {
        upper = 0;
        lower = 0;
        if (sessionId.Length is < 13 or > 24)
        {
            return false;
        }

        if (!TryParseBase36(sessionId.AsSpan(0, sessionId.Length - 12), out ulong a)
            || !TryParseBase36(sessionId.AsSpan(sessionId.Length - 12), out ulong b))
        {
            return false;
        }

        upper = a >> 2;
        lower = (b & (ulong.MaxValue >> 2)) | (a << 62);
        return true;
    }

    private static bool TryParseBase36(ReadOnlySpan<char> digits, out ulong value)
    {
        value = 0;
        foreach (char c in digits)
        {
            int digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'A' and <= 'Z' => c - 'A' + 10,
                >= 'a' and <= 'z' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = unchecked((value * 36) + (ulong)digit); // wraps as RocksDB's uint64 arithmetic does
        }

        return true;
    }
}
