using Lsm.Engine.Encoding;

namespace Lsm.Engine.Table;

/// <summary>
/// Decodes the Snappy block format, so tables RocksDB wrote with its usual default compression can be read.
/// </summary>
/// <remarks>
/// A stream is the uncompressed length (varint) then elements, each starting with a tag byte whose low two
/// bits say: 00 literal (length in the tag's high six bits, or in 1-4 following bytes when those bits are
/// 60-63), 01 copy with 3-bit length and 11-bit offset, 10 copy with a 2-byte offset, 11 copy with a 4-byte
/// offset. Every length and offset is checked against the output, so malformed input is corruption, never
/// an out-of-range access.
/// </remarks>
internal static class SnappyDecoder
{
    public static byte[] Decode(ReadOnlySpan<byte> input, string file, long offset, int maxSize)
    {
        int p = Coding.ReadVarint32(input, out uint length);
        if (p == 0 || length > (uint)maxSize)
        {
            throw new CorruptionException("bad uncompressed size in Snappy block", file, offset);
        }

        byte[] output = new byte[length];
        DecodeInto(input[p..], output, file, offset);
        return output;
    }

    /// <summary>
    /// Decodes the elements of a stream (what follows its length varint) into <paramref name="output"/>, which
    /// they must fill exactly.
    /// </summary>
    public static void DecodeInto(ReadOnlySpan<byte> input, Span<byte> output, string file, long offset)
    {
        int p = 0;
        int o = 0;
        while (p < input.Length)
        {
            byte tag = input[p++];
            int kind = tag & 3;
            if (kind == 0)
            {
                int literal = tag >> 2;
                if (literal >= 60)
                {
                    int extra = literal - 59;
                    if (p + extra > input.Length)
                    {
                        throw Corrupt(file, offset);
                    }

                    literal = 0;
                    for (int i = 0; i < extra; i++)
                    {
                        literal |= input[p + i] << (8 * i);
                    }

                    p += extra;
                    if (literal < 0)
                    {
                        throw Corrupt(file, offset);
                    }
                }

                int count = literal + 1;
                if (count > input.Length - p || count > output.Length - o)
                {
                    throw Corrupt(file, offset);
                }

                input.Slice(p, count).CopyTo(output[o..]);
                p += count;
                o += count;
                continue;
            }

            int copyLength;
            int copyOffset;
            if (kind == 1)
            {
                if (p >= input.Length)
                {
                    throw Corrupt(file, offset);
                }

                copyLength = 4 + ((tag >> 2) & 7);
                copyOffset = ((tag >> 5) << 8) | input[p++];
            }
            else if (kind == 2)
            {
                if (p + 2 > input.Length)
                {
                    throw Corrupt(file, offset);
                }

                copyLength = 1 + (tag >> 2);
                copyOffset = input[p] | (input[p + 1] << 8);
                p += 2;
            }
            else
            {
                if (p + 4 > input.Length)
                {
                    throw Corrupt(file, offset);
                }

                copyLength = 1 + (tag >> 2);
                copyOffset = (int)Coding.ReadFixed32(input[p..]);
                p += 4;
            }

            if (copyOffset <= 0 || copyOffset > o || copyLength > output.Length - o)
            {
                throw Corrupt(file, offset);
            }

            // Copies may overlap their own output (a run), so go byte by byte when they do.
            int from = o - copyOffset;
            if (copyOffset >= copyLength)
            {
                output.Slice(from, copyLength).CopyTo(output[o..]);
            }
            else
            {
                for (int i = 0; i < copyLength; i++)
                {
                    output[o + i] = output[from + i];
                }
            }

            o += copyLength;
        }

        if (o != output.Length)
        {
            throw new CorruptionException("Snappy block decodes to the wrong size", file, offset);
        }
    }

    private static CorruptionException Corrupt(string file, long offset) =>
        new("malformed Snappy block", file, offset);
}
