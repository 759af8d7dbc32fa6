using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Lsm.Engine.Hashing;

/// <summary>
/// RocksDB's persistent 64-bit hash (<c>Hash64</c> / <c>GetSliceHash64</c> in util/hash.cc).
/// </summary>
/// <remarks>
/// <para>
/// RocksDB standardised on a <em>preview</em> of XXH3 (xxHash 0.7.x, vendored as "XXPH3"), plus
/// one RocksDB-specific change for empty input. The hash is part of the on-disk format: full
/// filters (FastLocalBloom and Ribbon) store bits derived from it.
/// </para>
/// <para>
/// It is NOT the final XXH3 (xxHash 0.8, <c>System.IO.Hashing.XxHash3</c>), for any length:
/// the 0..16 byte paths mix differently, the avalanche multiplier differs
/// (0x165667B19E3779F9 here vs 0x165667919E3779F9 in 0.8), the long-input accumulator adds the
/// input lane without the 0.8 lane swap, and empty input hashes the seed instead of returning
/// a fixed value. Only the 64-bit, default-secret (optionally seeded) variant is implemented.
/// </para>
/// <para>All multi-byte reads are little-endian, independent of the host.</para>
/// </remarks>
internal static class Xxph3
{
    private const ulong Prime32_1 = 0x9E3779B1UL;
    private const ulong Prime32_2 = 0x85EBCA77UL;
    private const ulong Prime32_3 = 0xC2B2AE3DUL;
    private const ulong Prime64_1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime64_2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime64_3 = 0x165667B19E3779F9UL;
    private const ulong Prime64_4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime64_5 = 0x27D4EB2F165667C5UL;

    private const int SecretSize = 192;        // size of the default secret
    private const int SecretSizeMin = 136;     // smallest secret the algorithm accepts
    private const int StripeLength = 64;       // bytes consumed per accumulation step
    private const int SecretConsumeRate = 8;   // secret bytes advanced per stripe
    private const int MidSizeMax = 240;
    private const int MidSizeStartOffset = 3;
    private const int MidSizeLastOffset = 17;
    private const int SecretLastAccStart = 7;
    private const int SecretMergeAccsStart = 11;

    /// <summary>The 192-byte default secret ("kSecret") of XXH3 0.7.x.</summary>
    private static ReadOnlySpan<byte> DefaultSecret =>
    [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
        0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
        0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
        0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
        0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
        0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
        0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
        0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
        0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
        0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
        0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
        0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
    ];

    /// <summary>RocksDB <c>Hash64(data, n, seed)</c>; seed 0 is RocksDB's unseeded <c>Hash64(data, n)</c>.</summary>
    public static ulong Hash64(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        ReadOnlySpan<byte> secret = DefaultSecret;
        int len = data.Length;
        if (len <= 16)
        {
            return HashUpTo16(data, secret, seed);
        }

        if (len <= 128)
        {
            return Hash17To128(data, secret, seed);
        }

        if (len <= MidSizeMax)
        {
            return Hash129To240(data, secret, seed);
        }

        return HashLong(data, seed);
    }

    /// <summary>RocksDB <c>GetSliceHash64</c>: the unseeded 64-bit hash that full filters are built from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GetSliceHash64(ReadOnlySpan<byte> key) => Hash64(key, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Read64(ReadOnlySpan<byte> span, int offset) =>
        BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(offset, 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Read32(ReadOnlySpan<byte> span, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(offset, 4));

    /// <summary>64x64 -> 128-bit multiply, folded by XOR of the two halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mul128Fold64(ulong lhs, ulong rhs)
    {
        ulong high = Math.BigMul(lhs, rhs, out ulong low);
        return low ^ high;
    }

    /// <summary>The 0.7.x avalanche (note the multiplier is PRIME64_3, unlike 0.8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 37;
        h *= Prime64_3;
        h ^= h >> 32;
        return h;
    }

    private static ulong HashUpTo16(ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret, ulong seed)
    {
        int len = input.Length;
        if (len > 8)
        {
            ulong inputLo = Read64(input, 0) ^ (Read64(secret, 0) + seed);
            ulong inputHi = Read64(input, len - 8) ^ (Read64(secret, 8) - seed);
            ulong acc = (ulong)len + (inputLo + inputHi) + Mul128Fold64(inputLo, inputHi);
            return Avalanche(acc);
        }

        if (len >= 4)
        {
            ulong input64 = Read32(input, 0) | ((ulong)Read32(input, len - 4) << 32);
            ulong keyed = input64 ^ (Read64(secret, 0) + seed);
            ulong mix64 = (ulong)len + ((keyed ^ (keyed >> 51)) * Prime32_1);
            return Avalanche((mix64 ^ (mix64 >> 47)) * Prime64_2);
        }

        if (len > 0)
        {
            // First, middle and last byte plus the length, packed into 32 bits.
            uint combined = input[0]
                | ((uint)input[len >> 1] << 8)
                | ((uint)input[len - 1] << 16)
                | ((uint)len << 24);
            ulong keyed = combined ^ (Read32(secret, 0) + seed);
            return Avalanche(keyed * Prime64_1);
        }

        // RocksDB's own change to the preview: hash the seed rather than return a constant, so
        // that an empty key never hashes to zero.
        return Mul128Fold64(seed + Read64(secret, 0), Prime64_2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix16(ReadOnlySpan<byte> input, int inputOffset, ReadOnlySpan<byte> secret, int secretOffset, ulong seed)
    {
        ulong inputLo = Read64(input, inputOffset);
        ulong inputHi = Read64(input, inputOffset + 8);
        return Mul128Fold64(
            inputLo ^ (Read64(secret, secretOffset) + seed),
            inputHi ^ (Read64(secret, secretOffset + 8) - seed));
    }

    private static ulong Hash17To128(ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret, ulong seed)
    {
        int len = input.Length;
        ulong acc = (ulong)len * Prime64_1;
        if (len > 32)
        {
            if (len > 64)
            {
                if (len > 96)
                {
                    acc += Mix16(input, 48, secret, 96, seed);
                    acc += Mix16(input, len - 64, secret, 112, seed);
                }

                acc += Mix16(input, 32, secret, 64, seed);
                acc += Mix16(input, len - 48, secret, 80, seed);
            }

            acc += Mix16(input, 16, secret, 32, seed);
            acc += Mix16(input, len - 32, secret, 48, seed);
        }

        acc += Mix16(input, 0, secret, 0, seed);
        acc += Mix16(input, len - 16, secret, 16, seed);
        return Avalanche(acc);
    }

    private static ulong Hash129To240(ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret, ulong seed)
    {
        int len = input.Length;
        int rounds = len / 16;
        ulong acc = (ulong)len * Prime64_1;
        for (int i = 0; i < 8; i++)
        {
            acc += Mix16(input, 16 * i, secret, 16 * i, seed);
        }

        acc = Avalanche(acc);
        for (int i = 8; i < rounds; i++)
        {
            acc += Mix16(input, 16 * i, secret, (16 * (i - 8)) + MidSizeStartOffset, seed);
        }

        acc += Mix16(input, len - 16, secret, SecretSizeMin - MidSizeLastOffset, seed);
        return Avalanche(acc);
    }

    private static ulong HashLong(ReadOnlySpan<byte> input, ulong seed)
    {
        if (seed == 0)
        {
            return HashLongWithSecret(input, DefaultSecret);
        }

        // A seeded long hash uses a secret derived from the default one: in each 16-byte
        // pair, the first word gets +seed and the second -seed.
        Span<byte> custom = stackalloc byte[SecretSize];
        ReadOnlySpan<byte> secret = DefaultSecret;
        for (int i = 0; i < SecretSize; i += 16)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(custom.Slice(i, 8), Read64(secret, i) + seed);
            BinaryPrimitives.WriteUInt64LittleEndian(custom.Slice(i + 8, 8), Read64(secret, i + 8) - seed);
        }

        return HashLongWithSecret(input, custom);
    }

    private static ulong HashLongWithSecret(ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret)
    {
        Span<ulong> acc = stackalloc ulong[8];
        acc[0] = Prime32_3;
        acc[1] = Prime64_1;
        acc[2] = Prime64_2;
        acc[3] = Prime64_3;
        acc[4] = Prime64_4;
        acc[5] = Prime32_2;
        acc[6] = Prime64_5;
        acc[7] = Prime32_1;

        int len = input.Length;
        int stripesPerBlock = (secret.Length - StripeLength) / SecretConsumeRate; // 16
        int blockLength = StripeLength * stripesPerBlock;                         // 1024
        int blocks = len / blockLength;

        for (int n = 0; n < blocks; n++)
        {
            Accumulate(acc, input.Slice(n * blockLength), secret, stripesPerBlock);
            ScrambleAcc(acc, secret.Slice(secret.Length - StripeLength));
        }

        // Last partial block, then the final (possibly overlapping) stripe.
        int lastStripes = (len - (blockLength * blocks)) / StripeLength;
        Accumulate(acc, input.Slice(blocks * blockLength), secret, lastStripes);
        if ((len & (StripeLength - 1)) != 0)
        {
            Accumulate512(acc, input.Slice(len - StripeLength), secret.Slice(secret.Length - StripeLength - SecretLastAccStart));
        }

        ulong result = (ulong)len * Prime64_1;
        ReadOnlySpan<byte> mergeSecret = secret.Slice(SecretMergeAccsStart);
        for (int i = 0; i < 8; i += 2)
        {
            result += Mul128Fold64(acc[i] ^ Read64(mergeSecret, 8 * i), acc[i + 1] ^ Read64(mergeSecret, (8 * i) + 8));
        }

        return Avalanche(result);
    }

    private static void Accumulate(Span<ulong> acc, ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret, int stripes)
    {
        for (int n = 0; n < stripes; n++)
        {
            Accumulate512(acc, input.Slice(n * StripeLength), secret.Slice(n * SecretConsumeRate));
        }
    }

    /// <summary>
    /// One 64-byte stripe, "64-bit accumulator width": each lane adds its own input word
    /// (no swap with the neighbouring lane, unlike XXH3 0.8) plus lo32*hi32 of input^secret.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate512(Span<ulong> acc, ReadOnlySpan<byte> input, ReadOnlySpan<byte> secret)
    {
        for (int i = 0; i < 8; i++)
        {
            ulong dataVal = Read64(input, 8 * i);
            ulong dataKey = dataVal ^ Read64(secret, 8 * i);
            acc[i] += dataVal + ((dataKey & 0xFFFFFFFFUL) * (dataKey >> 32));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScrambleAcc(Span<ulong> acc, ReadOnlySpan<byte> secret)
    {
        for (int i = 0; i < 8; i++)
        {
            ulong a = acc[i];
            a ^= a >> 47;
            a ^= Read64(secret, 8 * i);
            a *= Prime32_1;
            acc[i] = a;
        }
    }
}
