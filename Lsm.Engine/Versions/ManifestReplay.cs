using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Wal;

namespace Lsm.Engine.Versions;

/// <summary>
/// Replays a MANIFEST: decodes each record, groups atomic groups, and applies the edits to per-column-family
/// builders and database-wide counters (RocksDB's <c>VersionEditHandler</c>). Used by
/// <see cref="VersionSet.Recover"/> and by the inspection API.
/// </summary>
/// <remarks>
/// <para>Rules, as RocksDB's:</para>
/// <list type="bullet">
/// <item><description>The log is read with <see cref="WalRecoveryMode.TolerateCorruptedTailRecords"/>: a torn
/// last record (a crash during an append) ends the MANIFEST cleanly; a whole record that fails its checksum
/// is a <see cref="CorruptionException"/> with the file and offset.</description></item>
/// <item><description>The edits of an atomic group are applied only once the whole group is read; a group cut
/// short by the end of the MANIFEST is ignored. A normal edit inside a group, or a group whose counts do not
/// agree, is corruption.</description></item>
/// <item><description>Adding a column family twice, dropping or editing an unknown one, and file changes that do
/// not fit (see <see cref="VersionBuilder"/>) are corruption. A log number smaller than the column family's is
/// ignored (RocksDB only warns).</description></item>
/// </list>
/// <para>Not thread-safe.</para>
/// </remarks>
internal sealed class ManifestReplay
{
    private readonly int _numLevels;
    private readonly Func<string, KeyComparator> _comparatorFor;
    private readonly List<(long Offset, VersionEdit Edit)> _group = [];
    private uint _groupSize;

    public ManifestReplay(int numLevels, Func<string, KeyComparator> comparatorFor)
    {
        _numLevels = numLevels;
        _comparatorFor = comparatorFor;
        AddFamily(0, ColumnFamilyState.DefaultName);
    }

    /// <summary>A column family as replay finds it.</summary>
    public sealed class Family(uint id, string name, KeyComparator comparator, VersionBuilder builder)
    {
        public uint Id { get; } = id;

        public string Name { get; } = name;

        public KeyComparator Comparator { get; } = comparator;

        /// <summary>The comparator name the MANIFEST recorded last, if any.</summary>
        public string? RecordedComparator { get; set; }

        public ulong LogNumber { get; set; }

        public byte[]? FullHistoryTsLow { get; set; }

        public VersionBuilder Builder { get; } = builder;
    }

    public string? DbId { get; private set; }

    public ulong? LogNumber { get; private set; }

    public ulong? NextFileNumber { get; private set; }

    public ulong? LastSequence { get; private set; }

    public ulong PrevLogNumber { get; private set; }

    public uint MaxColumnFamily { get; private set; }

    public ulong MinLogNumberToKeep { get; private set; }

    public ulong? LastCompactedManifestFileSize { get; private set; }

    /// <summary>The write-ahead logs the MANIFEST tracks, with their synced sizes.</summary>
    public SortedDictionary<ulong, ulong?> Wals { get; } = [];

    /// <summary>The live column families by id.</summary>
    public SortedDictionary<uint, Family> Families { get; } = [];

    /// <summary>Edits read (including those of an unfinished atomic group).</summary>
    public int EditCount { get; private set; }

    /// <summary>After <see cref="ReadFrom"/>: the end offset of the last record applied.</summary>
    public long LastValidRecordEnd { get; private set; }

    /// <summary>After <see cref="ReadFrom"/>: the torn last record that ended the MANIFEST, if any.</summary>
    public LogProblem? TornTail { get; private set; }

    /// <summary>After <see cref="ReadFrom"/>: the edits of an atomic group cut short by the end of the MANIFEST (ignored).</summary>
    public int IgnoredAtomicGroupEdits => _group.Count;

    /// <summary>Reads and applies every record of <paramref name="file"/>.</summary>
    /// <param name="file">The MANIFEST.</param>
    /// <param name="onEdit">Called with each decoded edit and its record offset, before it is applied.</param>
    /// <exception cref="CorruptionException">A damaged record, an edit that does not decode, or one that does not fit (naming the file and record offset).</exception>
    /// <exception cref="NotSupportedException">A record uses a feature of a newer RocksDB that must not be ignored.</exception>
    public void ReadFrom(IRandomAccessFile file, Action<long, VersionEdit>? onEdit = null)
    {
        using var reader = new LogReader(file, logNumber: null, ownsFile: false);
        while (reader.TryReadRecord(WalRecoveryMode.TolerateCorruptedTailRecords, out ReadOnlySpan<byte> record))
        {
            long offset = reader.RecordOffset;
            VersionEdit edit = VersionEdit.Decode(record, file.Name, offset);
            EditCount++;
            onEdit?.Invoke(offset, edit);
            try
            {
                Add(offset, edit);
            }
            catch (InvalidOperationException e)
            {
                throw new CorruptionException($"the version edit does not apply: {e.Message}", file.Name, offset, e);
            }

            if (_group.Count == 0)
            {
                LastValidRecordEnd = EndOf(offset, record.Length);
            }
        }

        TornTail = reader.TornTail;
    }

    /// <summary>Throws <see cref="CorruptionException"/> when the MANIFEST lacks a field recovery needs (RocksDB's rule).</summary>
    public void CheckComplete(string file)
    {
        var missing = new List<string>();
        if (LogNumber is null)
        {
            missing.Add("log_file_number");
        }

        if (NextFileNumber is null)
        {
            missing.Add("next_file_number");
        }

        if (LastSequence is null)
        {
            missing.Add("last_sequence");
        }

        if (missing.Count > 0)
        {
            throw new CorruptionException($"no {string.Join(", ", missing)} entry in MANIFEST", file, -1);
        }
    }

    /// <summary>Adds one edit, buffering the edits of an atomic group until it is whole.</summary>
    /// <exception cref="InvalidOperationException">The edit does not fit, or breaks the atomic group rules.</exception>
    public void Add(long offset, VersionEdit edit)
    {
        if (edit.RemainingInAtomicGroup is uint remaining)
        {
            if (_group.Count == 0)
            {
                _groupSize = remaining + 1;
            }

            if (_group.Count + 1 + remaining != _groupSize)
            {
                throw new InvalidOperationException(
                    $"corrupted atomic group: the group began with {_groupSize} edits, but edit {_group.Count + 1} says {remaining} remain");
            }

            _group.Add((offset, edit));
            if (remaining == 0)
            {
                foreach ((long _, VersionEdit e) in _group)
                {
                    Apply(e);
                }

                _group.Clear();
            }

            return;
        }

        if (_group.Count > 0)
        {
            throw new InvalidOperationException("corrupted atomic group: a normal edit inside an atomic group");
        }

        Apply(edit);
    }

    /// <summary>Applies one edit to the state.</summary>
    /// <exception cref="InvalidOperationException">The edit does not fit.</exception>
    public void Apply(VersionEdit edit)
    {
        Family? family = null;
        if (edit.ColumnFamilyAdd is string name)
        {
            if (Families.ContainsKey(edit.ColumnFamily))
            {
                throw new InvalidOperationException($"MANIFEST adding the same column family twice: {name} (id {edit.ColumnFamily})");
            }

            family = AddFamily(edit.ColumnFamily, name);
            MaxColumnFamily = Math.Max(MaxColumnFamily, edit.ColumnFamily);
        }
        else if (edit.IsColumnFamilyDrop)
        {
            if (edit.ColumnFamily == 0 || !Families.Remove(edit.ColumnFamily))
            {
                throw new InvalidOperationException($"MANIFEST dropping non-existing column family {edit.ColumnFamily}");
            }
        }
        else if (edit.WalAdditions.Count > 0 || edit.WalDeletionBefore is not null)
        {
            foreach (WalAddition wal in edit.WalAdditions)
            {
                if (!Wals.TryGetValue(wal.LogNumber, out ulong? synced) || (wal.SyncedSize ?? 0) > (synced ?? 0))
                {
                    Wals[wal.LogNumber] = wal.SyncedSize ?? synced;
                }
            }

            if (edit.WalDeletionBefore is ulong before)
            {
                foreach (ulong number in Wals.Keys.Where(n => n < before).ToArray())
                {
                    Wals.Remove(number);
                }
            }
        }
        else
        {
            if (!Families.TryGetValue(edit.ColumnFamily, out family))
            {
                throw new InvalidOperationException($"MANIFEST record referencing unknown column family {edit.ColumnFamily}");
            }

            family.Builder.Apply(edit);
        }

        // What every kind of edit may carry (RocksDB's ExtractInfoFromVersionEdit).
        if (edit.DbId is not null)
        {
            DbId = edit.DbId;
        }

        if (family is not null)
        {
            if (edit.LogNumber is ulong log && log >= family.LogNumber)
            {
                family.LogNumber = log;
                LogNumber = log;
            }

            if (edit.Comparator is not null)
            {
                family.RecordedComparator = edit.Comparator;
            }

            if (edit.FullHistoryTsLow is not null)
            {
                family.FullHistoryTsLow = edit.FullHistoryTsLow;
            }
        }

        if (edit.PrevLogNumber is ulong prev)
        {
            PrevLogNumber = prev;
        }

        if (edit.NextFileNumber is ulong next)
        {
            NextFileNumber = next;
        }

        if (edit.MaxColumnFamily is uint max)
        {
            MaxColumnFamily = Math.Max(MaxColumnFamily, max);
        }

        if (edit.MinLogNumberToKeep is ulong minLog)
        {
            MinLogNumberToKeep = Math.Max(MinLogNumberToKeep, minLog);
        }

        if (edit.LastSequence is ulong last)
        {
            LastSequence = Math.Max(LastSequence ?? 0, last);
        }

        if (edit.LastCompactedManifestFileSize is ulong compacted)
        {
            LastCompactedManifestFileSize = compacted;
        }
    }

    private Family AddFamily(uint id, string name)
    {
        KeyComparator comparator = _comparatorFor(name);
        var builder = new VersionBuilder(Version.Empty(id, _numLevels, new InternalKeyComparator(comparator)));
        var family = new Family(id, name, comparator, builder);
        Families.Add(id, family);
        return family;
    }

    /// <summary>The end of a record that began at <paramref name="offset"/> (headers of every fragment included), approximately for fragmented records.</summary>
    private static long EndOf(long offset, int length)
    {
        long end = offset;
        long remaining = length;
        do
        {
            long blockLeft = LogFormat.BlockSize - (end % LogFormat.BlockSize);
            if (blockLeft < LogFormat.HeaderSize)
            {
                end += blockLeft;
                continue;
            }

            long fragment = Math.Min(remaining, blockLeft - LogFormat.HeaderSize);
            end += LogFormat.HeaderSize + fragment;
            remaining -= fragment;
        }
        while (remaining > 0);
        return end;
    }
}
