using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Compaction;
using Lsm.Engine.Encoding;
using Lsm.Engine.IO;
using Lsm.Engine.Iterators;
using Lsm.Engine.Table;
using Lsm.Engine.Tests.Support;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Tests.Compaction;

/// <summary>
/// Lays a <see cref="CompactionHistory"/> out as tables on a file system, as a database would hold it, runs a
/// <see cref="CompactionJob"/> over them, and reads any set of tables at a snapshot the way the database reads.
/// </summary>
/// <remarks>
/// Chunks become tables, oldest first. With <c>bottommost</c>, every chunk is an input: the oldest as level 1 (cut in two
/// files at a middle key, so the job reads a sorted level), the others as level 0. Without it, the oldest chunk stays
/// below as a level-2 table the compaction does not read, so a deletion or operand dropped wrongly shows in the reads.
/// </remarks>
internal sealed class CompactionHarness : IDisposable
{
    public const string DbPath = "/db";
    private const ulong FirstOutputNumber = 1000;

    private readonly Dictionary<ulong, TableReader> _readers = [];
    private ulong _nextFile = 1;
    private ulong _nextOutput = FirstOutputNumber;

    public CompactionHarness(CompactionHistory history, bool bottommost, bool injectFaults = false)
    {
        History = history;
        Bottommost = bottommost;
        Disk = new InMemoryFileSystem();
        Faults = injectFaults ? new FaultInjectingFileSystem(Disk) : null;
        FileSystem = Faults ?? (IFileSystem)Disk;
        Disk.CreateDirectory(DbPath);
        int start = 0;
        for (int chunk = 0; chunk < history.ChunkEnds.Count; chunk++)
        {
            List<HistoryOp> ops = [.. history.Ops.Take(history.ChunkEnds[chunk]).Skip(start)];
            start = history.ChunkEnds[chunk];
            if (chunk == 0 && !bottommost)
            {
                Below.AddRange(WriteTable(ops, epoch: 1));
            }
            else if (chunk == 0)
            {
                Level1.AddRange(WriteSplit(ops, epoch: 1));
            }
            else
            {
                Level0.AddRange(WriteTable(ops, epoch: (ulong)chunk + 1));
            }
        }

        Level0.Reverse(); // newest first, as a version lists level 0
    }

    public CompactionHistory History { get; }

    public bool Bottommost { get; }

    /// <summary>Where tables are written and read; inputs are written to it directly.</summary>
    public InMemoryFileSystem Disk { get; }

    /// <summary>The fault-injecting wrapper of <see cref="Disk"/> the job uses, when asked for.</summary>
    public FaultInjectingFileSystem? Faults { get; }

    /// <summary>The file system the job reads and writes through (<see cref="Disk"/>, or <see cref="Faults"/>).</summary>
    public IFileSystem FileSystem { get; }

    public List<FileMetadata> Level0 { get; } = [];

    public List<FileMetadata> Level1 { get; } = [];

    /// <summary>Tables below the compaction (only when it is not bottommost).</summary>
    public List<FileMetadata> Below { get; } = [];

    public IEnumerable<FileMetadata> Inputs => Level0.Concat(Level1);

    public bool HasInputs => Level0.Count + Level1.Count > 0;

    public CompactionJobOptions Options(long targetFileSize, CompactionFilter? filter = null, TableOptions? table = null) => new()
    {
        Inputs = [new CompactionInputLevel(0, Level0), new CompactionInputLevel(1, Level1)],
        OutputLevel = 1,
        Bottommost = Bottommost,
        TargetFileSize = targetFileSize,
        TableOptions = table ?? new TableOptions { BlockSize = 128 },
        OpenTable = file => Open(file.FileNumber),
        NewFileNumber = () => _nextOutput++,
        FileSystem = FileSystem,
        DbPath = DbPath,
        DbId = "compaction-test-db",
        SessionId = "0123456789ABCDEFGHIJ",
        MergeOperator = UInt64AddOperator.Instance,
        CompactionFilter = filter,
        Snapshots = History.Snapshots,
    };

    /// <summary>The table files in the directory, by number.</summary>
    public SortedSet<ulong> TableNumbers()
    {
        var numbers = new SortedSet<ulong>();
        foreach (string name in Disk.ListFiles(DbPath))
        {
            string file = Path.GetFileName(name);
            if (file.EndsWith(".sst", StringComparison.Ordinal))
            {
                numbers.Add(ulong.Parse(file[..^4], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return numbers;
    }

    public TableReader Open(ulong fileNumber)
    {
        if (!_readers.TryGetValue(fileNumber, out TableReader? reader))
        {
            reader = TableReader.Open(FileSystem.OpenRead(Path.Join(DbPath, DbFileName.Table(fileNumber))), ownsFile: true);
            _readers[fileNumber] = reader;
        }

        return reader;
    }

    /// <summary>What the database would read at <paramref name="snapshot"/> from <paramref name="files"/>: every live key and its value, in order.</summary>
    public List<(byte[] Key, byte[] Value)> ReadAt(IEnumerable<FileMetadata> files, ulong snapshot)
    {
        var iterators = new List<IInternalIterator>();
        var tombstones = new List<RangeTombstone>();
        foreach (FileMetadata file in files)
        {
            TableReader reader = Open(file.FileNumber);
            iterators.Add(reader.NewIterator());
            tombstones.AddRange(reader.RangeTombstones);
        }

        var user = new UserIterator(
            new MergingIterator(InternalKeyComparator.Bytewise, [.. iterators]), BytewiseComparator.Instance, UInt64AddOperator.Instance,
            snapshot, null, null, FragmentedRangeTombstones.Build(BytewiseComparator.Instance, tombstones));
        var result = new List<(byte[], byte[])>();
        for (user.SeekToFirst(); user.Valid; user.Next())
        {
            result.Add((user.Key.ToArray(), user.Value.ToArray()));
        }

        return result;
    }

    public void Dispose()
    {
        foreach (TableReader reader in _readers.Values)
        {
            reader.Dispose();
        }

        _readers.Clear();
    }

    /// <summary>Writes <paramref name="ops"/> to one table; none when there are no writes.</summary>
    private IEnumerable<FileMetadata> WriteTable(List<HistoryOp> ops, ulong epoch) =>
        ops.Count == 0 ? [] : [Write(ops, null, null, epoch)];

    /// <summary>Writes <paramref name="ops"/> to two tables of one sorted level, cut at a middle key; range deletions are clipped at the cut.</summary>
    private IEnumerable<FileMetadata> WriteSplit(List<HistoryOp> ops, ulong epoch)
    {
        List<byte[]> keys = [.. ops.Where(o => o.Kind != HistoryKind.DeleteRange).Select(o => o.Key).Distinct(ByteArrayComparer.Instance).Order(ByteArrayComparer.Instance)];
        if (keys.Count < 2)
        {
            return WriteTable(ops, epoch);
        }

        byte[] cut = keys[keys.Count / 2];
        return [Write(ops, null, cut, epoch), Write(ops, cut, null, epoch)];
    }

    /// <summary>Writes the writes of <paramref name="ops"/> within [lower, upper) to a new table, as a flush would.</summary>
    private FileMetadata Write(List<HistoryOp> ops, byte[]? lower, byte[]? upper, ulong epoch)
    {
        ulong number = _nextFile++;
        var order = InternalKeyComparator.Bytewise;
        var points = new List<(byte[] Key, byte[] Value)>();
        var ranges = new List<(byte[] Key, byte[] End)>();
        foreach (HistoryOp op in ops)
        {
            if (op.Kind == HistoryKind.DeleteRange)
            {
                byte[] start = lower is not null && ByteArrayComparer.Instance.Compare(op.Key, lower) < 0 ? lower : op.Key;
                byte[] end = upper is not null && ByteArrayComparer.Instance.Compare(op.Value, upper) > 0 ? upper : op.Value;
                if (ByteArrayComparer.Instance.Compare(start, end) < 0)
                {
                    ranges.Add((InternalKey.Create(start, op.Sequence, ValueKind.RangeDeletion), end));
                }

                continue;
            }

            if ((lower is not null && ByteArrayComparer.Instance.Compare(op.Key, lower) < 0)
                || (upper is not null && ByteArrayComparer.Instance.Compare(op.Key, upper) >= 0))
            {
                continue;
            }

            ValueKind kind = op.Kind switch
            {
                HistoryKind.Put => ValueKind.Value,
                HistoryKind.Delete => ValueKind.Deletion,
                _ => ValueKind.Merge,
            };
            points.Add((InternalKey.Create(op.Key, op.Sequence, kind), op.Value));
        }

        points.Sort((a, b) => order.Compare(a.Key, b.Key));
        string path = Path.Join(DbPath, DbFileName.Table(number));
        byte[]? smallest = null;
        byte[]? largest = null;
        void Widen(byte[] key)
        {
            if (smallest is null || order.Compare(key, smallest) < 0)
            {
                smallest = key;
            }

            if (largest is null || order.Compare(key, largest) > 0)
            {
                largest = key;
            }
        }

        TableProperties properties;
        ulong size;
        using (IWritableFile file = Disk.Create(path))
        using (var builder = new TableBuilder(file, new TableOptions { BlockSize = 256 }, new TableBuilderContext(0, "default", "UInt64AddOperator", "compaction-test-db", "0123456789ABCDEFGHIJ", number, false)))
        {
            foreach ((byte[] key, byte[] value) in points)
            {
                builder.Add(key, value);
                Widen(key);
            }

            foreach ((byte[] key, byte[] end) in ranges)
            {
                builder.Add(key, end);
                Widen(key);
                Widen(InternalKey.Create(end, InternalKey.MaxSequence, ValueKind.RangeDeletion));
            }

            if (smallest is null)
            {
                // Nothing within the range: an empty-range table still needs a key. Never happens for a cut at a present key.
                throw new InvalidOperationException("A test table must hold an entry.");
            }

            properties = builder.Finish();
            size = builder.FileSize;
            file.Sync();
        }

        return new FileMetadata
        {
            FileNumber = number,
            FileSize = size,
            Smallest = smallest,
            Largest = largest!,
            SmallestSequence = properties.SmallestSequence ?? 0,
            LargestSequence = properties.LargestSequence ?? 0,
            EpochNumber = epoch,
        };
    }
}
