using System.Diagnostics;
using System.Text;
using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>
/// An immutable set of table files of one column family, per level: what a reader reads. Ref-counted, so
/// that files leave the disk only when no reader holds a version that contains them.
/// </summary>
/// <remarks>
/// <para>Invariants (checked by <see cref="VersionBuilder"/> when it makes a version, and by <see cref="AssertInvariants"/>):</para>
/// <list type="number">
/// <item><description>L0 is ordered newest first: by epoch number descending, then largest sequence number,
/// then smallest sequence number, then file number, all descending (RocksDB's <c>NewestFirstByEpochNumber</c>;
/// with epoch numbers unknown this is its older by-sequence order).</description></item>
/// <item><description>L1 and up are ordered by smallest key (ties by file number) and their files do not overlap.</description></item>
/// <item><description>A file number appears at most once in the version.</description></item>
/// </list>
/// <para>
/// Thread safety: the file lists never change, so any number of threads may read them. <see cref="Ref"/> and
/// <see cref="Unref"/> are atomic. A version whose count reached zero is dead and must not be used again;
/// take versions from <see cref="VersionSet.AcquireCurrent"/>, which refs under the set's lock, never by
/// reading a current pointer and ref-ing it later.
/// </para>
/// </remarks>
[DebuggerDisplay("cf {ColumnFamilyId}: {NumFiles} files, refs {RefCount}")]
internal sealed class Version
{
    private readonly FileMetadata[][] _levels;
    private readonly byte[]?[] _compactCursors;
    private readonly Action<Version>? _onDead;
    private int _refs;
    private bool _dead;

    /// <summary>Creates a version; <see cref="VersionBuilder"/> orders and checks the files.</summary>
    internal Version(uint columnFamilyId, InternalKeyComparator comparator, FileMetadata[][] levels, byte[]?[] compactCursors, Action<Version>? onDead)
    {
        Debug.Assert(compactCursors.Length == levels.Length, "one cursor slot per level");
        ColumnFamilyId = columnFamilyId;
        Comparator = comparator;
        _levels = levels;
        _compactCursors = compactCursors;
        _onDead = onDead;
    }

    /// <summary>The column family the files belong to.</summary>
    public uint ColumnFamilyId { get; }

    /// <summary>The order of the files' keys.</summary>
    public InternalKeyComparator Comparator { get; }

    /// <summary>The number of levels (RocksDB <c>num_levels</c>, 7 by default).</summary>
    public int NumLevels => _levels.Length;

    /// <summary>The current reference count (for tests and assertions).</summary>
    public int RefCount => Volatile.Read(ref _refs);

    /// <summary>The number of files in all levels.</summary>
    public int NumFiles
    {
        get
        {
            int n = 0;
            foreach (FileMetadata[] level in _levels)
            {
                n += level.Length;
            }

            return n;
        }
    }

    /// <summary>The files of <paramref name="level"/>, in the level's order (see the invariants).</summary>
    public IReadOnlyList<FileMetadata> Files(int level) => _levels[level];

    /// <summary>The round-robin compaction cursor of <paramref name="level"/> (an internal key), or null.</summary>
    public byte[]? CompactCursor(int level) => _compactCursors[level];

    /// <summary>Every file, level by level.</summary>
    public IEnumerable<(int Level, FileMetadata File)> AllFiles()
    {
        for (int level = 0; level < _levels.Length; level++)
        {
            foreach (FileMetadata f in _levels[level])
            {
                yield return (level, f);
            }
        }
    }

    /// <summary>The total size in bytes of the files of <paramref name="level"/>.</summary>
    public ulong LevelSize(int level)
    {
        ulong size = 0;
        foreach (FileMetadata f in _levels[level])
        {
            size += f.FileSize;
        }

        return size;
    }

    /// <summary>Takes a reference. REQUIRES: the caller already holds one, or holds the version set's lock.</summary>
    /// <exception cref="InvalidOperationException">The version is dead (its count had reached zero).</exception>
    public void Ref()
    {
        if (Volatile.Read(ref _dead))
        {
            throw new InvalidOperationException("Ref of a version no longer referenced: its files may already be gone.");
        }

        Interlocked.Increment(ref _refs);
    }

    /// <summary>Releases a reference; the last one makes the version dead and lets its files become obsolete.</summary>
    public void Unref()
    {
        int refs = Interlocked.Decrement(ref _refs);
        Debug.Assert(refs >= 0, "Unref without Ref");
        if (refs == 0)
        {
            Volatile.Write(ref _dead, true);
            _onDead?.Invoke(this);
        }
    }

    /// <summary>
    /// The shape in the text notation: one line per file, <c>L0: 000012:[a#1,SET-d#4,SET]</c>, levels in
    /// order and files in level order, then one line per compaction cursor, <c>L1: cursor n#0,SET</c>;
    /// <c>(empty)</c> when there is neither.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        for (int level = 0; level < _levels.Length; level++)
        {
            foreach (FileMetadata f in _levels[level])
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append('L').Append(level).Append(": ").Append(f.ToString());
            }
        }

        for (int level = 0; level < _levels.Length; level++)
        {
            if (_compactCursors[level] is byte[] cursor)
            {
                text.Append(text.Length > 0 ? "\n" : "").Append('L').Append(level).Append(": cursor ").Append(ShapeText.FormatInternalKey(cursor));
            }
        }

        return text.Length == 0 ? "(empty)" : text.ToString();
    }

    /// <summary>
    /// Parses a shape written by <see cref="ToString"/> into a version (files are ordered as a version orders
    /// them; the order of the lines does not matter). For tests and tools.
    /// </summary>
    /// <exception cref="FormatException">A line is not <c>Ln: file</c>.</exception>
    /// <exception cref="InvalidOperationException">The files break an invariant.</exception>
    public static Version Parse(string text, int numLevels = VersionSetOptions.DefaultNumLevels, InternalKeyComparator? comparator = null, uint columnFamilyId = 0)
    {
        var builder = new VersionBuilder(Empty(columnFamilyId, numLevels, comparator ?? InternalKeyComparator.Bytewise));
        var edit = new VersionEdit();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line == "(empty)")
            {
                continue;
            }

            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"'{line}' is not a shape line of the form L0: 000012:[a#1,SET-d#4,SET].");
            }

            int level = ShapeText.ParseLevel(line[..colon]);
            string rest = line[(colon + 2)..];
            if (rest.StartsWith("cursor ", StringComparison.Ordinal))
            {
                edit.CompactCursors.Add((level, ShapeText.ParseInternalKey(rest["cursor ".Length..])));
            }
            else
            {
                edit.AddFile(level, FileMetadata.Parse(rest));
            }
        }

        builder.Apply(edit);
        return builder.Build(onDead: null);
    }

    /// <summary>A version with no files.</summary>
    public static Version Empty(uint columnFamilyId, int numLevels, InternalKeyComparator comparator)
    {
        var levels = new FileMetadata[numLevels][];
        for (int i = 0; i < numLevels; i++)
        {
            levels[i] = [];
        }

        return new Version(columnFamilyId, comparator, levels, new byte[]?[numLevels], onDead: null);
    }

    /// <summary>Checks the invariants; throws <see cref="InvalidOperationException"/> naming the first broken one.</summary>
    public void AssertInvariants() => VersionBuilder.CheckLevels(_levels, Comparator);
}
