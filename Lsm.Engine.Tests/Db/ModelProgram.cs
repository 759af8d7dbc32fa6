using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Lsm.Engine.Tests.Db;

/// <summary>One step of a <see cref="ModelProgram"/>. Column families are indexes into <see cref="ModelDatabase.ColumnFamilyNames"/>.</summary>
internal abstract record ModelOp;

/// <summary>Writes: one entry through <c>Put</c>/<c>Delete</c>/<c>Merge</c> (<paramref name="Batch"/> false), or a <see cref="WriteBatch"/>.</summary>
internal sealed record WriteOp(ModelEntry[] Entries, bool Batch) : ModelOp;

/// <summary>A point read, now or at snapshot <paramref name="Snapshot"/> (an index into the live snapshots, modulo their count).</summary>
internal sealed record GetOp(int ColumnFamily, byte[] Key, int? Snapshot) : ModelOp;

/// <summary>A full scan within bounds, forward or backward.</summary>
internal sealed record ScanOp(int ColumnFamily, bool Forward, byte[]? Lower, byte[]? Upper, int? Snapshot) : ModelOp;

/// <summary>A seek (or seek-for-prev) to <paramref name="Target"/>, then moves: <c>N</c> next, <c>P</c> previous.</summary>
internal sealed record SeekOp(int ColumnFamily, bool ForPrev, byte[] Target, string Moves, byte[]? Lower, byte[]? Upper, int? Snapshot) : ModelOp;

internal sealed record SnapshotOp : ModelOp;

internal sealed record ReleaseOp(int Snapshot) : ModelOp;

internal sealed record FlushOp(int ColumnFamily) : ModelOp;

/// <summary>Closes the database and opens it again (snapshots are released).</summary>
internal sealed record ReopenOp : ModelOp;

/// <summary>A manual compaction of a whole family (<c>CompactRange</c>).</summary>
internal sealed record CompactOp(int ColumnFamily) : ModelOp;

/// <summary>
/// A replayable sequence of operations for <see cref="ModelTests"/>, generated as data (so FsCheck can shrink it) and
/// printed as text, one operation per line, that <see cref="Parse"/> reads back:
/// </summary>
/// <example>
/// <code>
/// put cf0 "a" "x1"
/// batch put cf1 "b" "y"; merge cf0 "c" 5; del cf0 "a"
/// snap
/// flush cf0
/// get cf0 "c" at 0
/// scan cf1 bwd lo "a" hi "c"
/// seekprev cf0 "b" PPN at 0
/// reopen
/// </code>
/// Keys and values are quoted; bytes outside printable ASCII (and <c>"</c>, <c>\</c>) are written <c>\xHH</c>, and a
/// run of one byte longer than 16 as <c>"v"*2500</c>.
/// </example>
public sealed class ModelProgram
{
    internal ModelProgram(IReadOnlyList<ModelOp> ops)
    {
        Ops = ops;
    }

    internal IReadOnlyList<ModelOp> Ops { get; }

    /// <summary>Reads a program written by <see cref="ToString"/>; blank lines and lines starting with <c>#</c> are skipped.</summary>
    public static ModelProgram Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ops = new List<ModelOp>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length > 0 && line[0] != '#')
            {
                ops.Add(ParseOp(line));
            }
        }

        return new ModelProgram(ops);
    }

    public override string ToString() => string.Join('\n', Ops.Select(Format));

    internal static string Format(ModelOp op) => op switch
    {
        WriteOp w when w.Batch => "batch " + string.Join("; ", w.Entries.Select(FormatEntry)),
        WriteOp w => FormatEntry(w.Entries[0]),
        GetOp g => $"get cf{g.ColumnFamily} {Quote(g.Key)}{At(g.Snapshot)}",
        ScanOp s => $"scan cf{s.ColumnFamily} {(s.Forward ? "fwd" : "bwd")}{Bounds(s.Lower, s.Upper)}{At(s.Snapshot)}",
        SeekOp s => $"{(s.ForPrev ? "seekprev" : "seek")} cf{s.ColumnFamily} {Quote(s.Target)} {(s.Moves.Length == 0 ? "-" : s.Moves)}{Bounds(s.Lower, s.Upper)}{At(s.Snapshot)}",
        SnapshotOp => "snap",
        ReleaseOp r => $"release {r.Snapshot}",
        FlushOp f => $"flush cf{f.ColumnFamily}",
        ReopenOp => "reopen",
        CompactOp c => $"compact cf{c.ColumnFamily}",
        _ => throw new ArgumentException($"unknown op {op}", nameof(op)),
    };

    private static string FormatEntry(ModelEntry e) => e.Kind switch
    {
        ModelKind.Put => $"put cf{e.ColumnFamily} {Quote(e.Key)} {Quote(e.Value)}",
        ModelKind.Delete => $"del cf{e.ColumnFamily} {Quote(e.Key)}",
        ModelKind.DeleteRange => $"delrange cf{e.ColumnFamily} {Quote(e.Key)} {Quote(e.Value)}",
        _ => $"merge cf{e.ColumnFamily} {Quote(e.Key)} {BinaryPrimitives.ReadUInt64LittleEndian(e.Value).ToString(CultureInfo.InvariantCulture)}",
    };

    private static string At(int? snapshot) => snapshot is int s ? $" at {s}" : "";

    private static string Bounds(byte[]? lower, byte[]? upper) =>
        (lower is null ? "" : $" lo {Quote(lower)}") + (upper is null ? "" : $" hi {Quote(upper)}");

    internal static string Quote(byte[] bytes)
    {
        if (bytes.Length > 16 && bytes.AsSpan().IndexOfAnyExcept(bytes[0]) < 0)
        {
            return $"{Quote([bytes[0]])}*{bytes.Length.ToString(CultureInfo.InvariantCulture)}"; // a run: "v"*2500
        }

        var text = new StringBuilder("\"");
        foreach (byte b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'"' and not (byte)'\\' and not (byte)';') // ';' splits a batch's entries
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return text.Append('"').ToString();
    }

    private static ModelOp ParseOp(string line)
    {
        if (line.StartsWith("batch ", StringComparison.Ordinal))
        {
            ModelEntry[] entries = [.. line["batch ".Length..].Split(';').Select(part => ParseEntry(new Tokens(part)))];
            return new WriteOp(entries, Batch: true);
        }

        var t = new Tokens(line);
        string verb = t.Peek();
        switch (verb)
        {
            case "put" or "del" or "delrange" or "merge":
                return new WriteOp([ParseEntry(t)], Batch: false);
            case "get":
                t.Word();
                return new GetOp(t.Family(), t.Bytes(), t.Snapshot());
            case "scan":
            {
                t.Word();
                int cf = t.Family();
                bool forward = t.Word() == "fwd";
                (byte[]? lower, byte[]? upper) = t.Bounds();
                return new ScanOp(cf, forward, lower, upper, t.Snapshot());
            }

            case "seek" or "seekprev":
            {
                t.Word();
                int cf = t.Family();
                byte[] target = t.Bytes();
                string moves = t.Word();
                (byte[]? lower, byte[]? upper) = t.Bounds();
                return new SeekOp(cf, verb == "seekprev", target, moves == "-" ? "" : moves, lower, upper, t.Snapshot());
            }

            case "snap":
                return new SnapshotOp();
            case "release":
                t.Word();
                return new ReleaseOp(int.Parse(t.Word(), CultureInfo.InvariantCulture));
            case "flush":
                t.Word();
                return new FlushOp(t.Family());
            case "reopen":
                return new ReopenOp();
            case "compact":
                t.Word();
                return new CompactOp(t.Family());
            default:
                throw new FormatException($"unknown operation in '{line}'");
        }
    }

    private static ModelEntry ParseEntry(Tokens t)
    {
        string verb = t.Word();
        int cf = t.Family();
        byte[] key = t.Bytes();
        return verb switch
        {
            "put" => new ModelEntry(ModelKind.Put, cf, key, t.Bytes()),
            "del" => new ModelEntry(ModelKind.Delete, cf, key, []),
            "delrange" => new ModelEntry(ModelKind.DeleteRange, cf, key, t.Bytes()),
            "merge" => ModelEntry.Merge(cf, "", ulong.Parse(t.Word(), CultureInfo.InvariantCulture)) with { Key = key },
            _ => throw new FormatException($"unknown write '{verb}'"),
        };
    }

    /// <summary>Splits a line into words and quoted byte strings.</summary>
    private sealed class Tokens(string text)
    {
        private int _position;

        public string Peek()
        {
            int saved = _position;
            string word = Word();
            _position = saved;
            return word;
        }

        public bool AtEnd
        {
            get
            {
                SkipSpaces();
                return _position >= text.Length;
            }
        }

        public string Word()
        {
            SkipSpaces();
            int start = _position;
            while (_position < text.Length && !char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }

            return start == _position ? throw new FormatException($"expected a word at {start} in '{text}'") : text[start.._position];
        }

        public int Family()
        {
            string word = Word();
            return word.StartsWith("cf", StringComparison.Ordinal) ? int.Parse(word.AsSpan(2), CultureInfo.InvariantCulture) : throw new FormatException($"expected cfN, found '{word}'");
        }

        public byte[] Bytes()
        {
            SkipSpaces();
            if (_position >= text.Length || text[_position] != '"')
            {
                throw new FormatException($"expected a quoted string at {_position} in '{text}'");
            }

            var bytes = new List<byte>();
            for (_position++; text[_position] != '"'; _position++)
            {
                if (text[_position] == '\\')
                {
                    bytes.Add(byte.Parse(text.AsSpan(_position + 2, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _position += 3;
                }
                else
                {
                    bytes.Add((byte)text[_position]);
                }
            }

            _position++;
            if (_position < text.Length && text[_position] == '*')
            {
                _position++;
                int start = _position;
                while (_position < text.Length && char.IsAsciiDigit(text[_position]))
                {
                    _position++;
                }

                int count = int.Parse(text.AsSpan(start, _position - start), CultureInfo.InvariantCulture);
                return Enumerable.Repeat(bytes.Single(), count).ToArray();
            }

            return [.. bytes];
        }

        public (byte[]? Lower, byte[]? Upper) Bounds()
        {
            byte[]? lower = null;
            byte[]? upper = null;
            while (!AtEnd && Peek() is "lo" or "hi")
            {
                if (Word() == "lo")
                {
                    lower = Bytes();
                }
                else
                {
                    upper = Bytes();
                }
            }

            return (lower, upper);
        }

        public int? Snapshot()
        {
            if (AtEnd)
            {
                return null;
            }

            string word = Word();
            return word == "at" ? int.Parse(Word(), CultureInfo.InvariantCulture) : throw new FormatException($"unexpected '{word}' in '{text}'");
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
