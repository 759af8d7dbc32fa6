using Lsm.Engine.IO;
using Lsm.Engine.Tests.Support;

namespace Lsm.Engine.Tests.IO;

/// <summary>The contract over the fault injector with no rules, wrapping the in-memory file system.</summary>
public sealed class FaultInjectingOverInMemoryContractTests : FileSystemContractTests
{
    public FaultInjectingOverInMemoryContractTests()
        : base(new FaultInjectingFileSystem(new InMemoryFileSystem()), "/db")
    {
    }
}

/// <summary>The contract over the fault injector with no rules, wrapping the real file system.</summary>
public sealed class FaultInjectingOverLocalContractTests : FileSystemContractTests
{
    private readonly TempDirectory _temp;

    public FaultInjectingOverLocalContractTests()
        : this(new TempDirectory())
    {
    }

    private FaultInjectingOverLocalContractTests(TempDirectory temp)
        : base(new FaultInjectingFileSystem(LocalFileSystem.Instance), temp.Path)
    {
        _temp = temp;
    }

    public override void Dispose()
    {
        _temp.Dispose();
        base.Dispose();
    }
}

/// <summary>Faults selected by operation × path × call, over the in-memory file system so durability can be checked.</summary>
public sealed class FaultInjectingFileSystemTests
{
    private const string Dir = "/db";
    private readonly InMemoryFileSystem _memory = new();
    private readonly FaultInjectingFileSystem _fs;

    public FaultInjectingFileSystemTests()
    {
        _memory.CreateDirectory(Dir);
        _fs = new FaultInjectingFileSystem(_memory);
    }

    private static byte[] Bytes(int count, int seed = 1)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void AssertInjected(IOException e)
    {
        Assert.True(FaultInjectingFileSystem.IsInjected(e));
        Assert.Contains("injected", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sync_NthCallRule_OnlyThatSyncFailsAndItsBytesStayUnsynced()
    {
        FileSystemFault rule = _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Sync, Trigger = FaultTrigger.OnNthCall(2) });
        using IWritableFile file = _fs.Create("/db/000001.log");
        _fs.SyncDirectory(Dir);

        file.Append(Bytes(10));
        file.Sync();
        file.Append(Bytes(10, 2));
        AssertInjected(Assert.Throws<IOException>(file.Sync));

        // fsync failed after write succeeded: readable, not durable.
        Assert.Equal(20, _memory.GetFileLength("/db/000001.log"));
        Assert.Equal(10, _memory.GetFiles().Single().SyncedLength);
        Assert.Equal(Bytes(10), _memory.CrashClone().ReadAllBytes("/db/000001.log"));

        file.Sync();
        Assert.Equal(20, _memory.GetFiles().Single().SyncedLength);
        Assert.Equal((3L, 1L), (rule.Matches, rule.Fires));
    }

    [Fact]
    public void Append_DiskFull_ThrowsEnospcAndWritesNothing()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Append, Kind = FaultKind.DiskFull, Trigger = FaultTrigger.OnNthCall(2) });
        using IWritableFile file = _fs.Create("/db/000002.sst");
        file.Append(Bytes(10));

        IOException e = Assert.Throws<IOException>(() => file.Append(Bytes(10, 2)));

        AssertInjected(e);
        Assert.Equal(FaultInjectingFileSystem.DiskFullHResult, e.HResult);
        Assert.Contains("No space left on device", e.Message, StringComparison.Ordinal);
        file.Flush();
        Assert.Equal(Bytes(10), _memory.ReadAllBytes("/db/000002.sst"));
        Assert.Equal(10, file.Length);
    }

    [Fact]
    public void Append_TornAppendFixedBytes_LeavesThatPrefixThenThrowsDiskFull()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Append, Kind = FaultKind.TornAppend, TornAppendBytes = 7 });
        using IWritableFile file = _fs.Create("/db/000003.log");

        IOException e = Assert.Throws<IOException>(() => file.Append(Bytes(100)));

        Assert.Equal(FaultInjectingFileSystem.DiskFullHResult, e.HResult);
        Assert.Equal(Bytes(100).AsSpan(0, 7).ToArray(), _memory.ReadAllBytes("/db/000003.log"));
    }

    [Fact]
    public void Append_TornAppendRandom_ShorterPrefixSameForSameSeed()
    {
        int TornLength(int seed)
        {
            var memory = new InMemoryFileSystem();
            memory.CreateDirectory(Dir);
            var fs = new FaultInjectingFileSystem(memory);
            fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Append, Kind = FaultKind.TornAppend, Seed = seed });
            using IWritableFile file = fs.Create("/db/f");
            Assert.Throws<IOException>(() => file.Append(Bytes(1000)));
            byte[] kept = memory.ReadAllBytes("/db/f");
            Assert.Equal(Bytes(1000).AsSpan(0, kept.Length).ToArray(), kept);
            return kept.Length;
        }

        int[] lengths = [.. Enumerable.Range(0, 10).Select(TornLength)];
        Assert.All(lengths, n => Assert.InRange(n, 0, 999));
        Assert.Equal(lengths, Enumerable.Range(0, 10).Select(TornLength));
        Assert.True(lengths.Distinct().Count() > 5);
    }

    [Fact]
    public void Rule_PathFilter_OnlyMatchingFilesFail()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Sync, PathFilter = FileSystemFault.NameEndsWith(".log") });
        using IWritableFile sst = _fs.Create("/db/000004.sst");
        using IWritableFile log = _fs.Create("/db/000005.log");

        sst.Sync();
        Assert.Throws<IOException>(log.Sync);
    }

    [Fact]
    public void Rule_FromNthCall_ThatCallAndEveryLaterOneFail()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Create, Trigger = FaultTrigger.FromNthCall(3) });

        _fs.Create("/db/1").Dispose();
        _fs.Create("/db/2").Dispose();
        for (int i = 3; i < 8; i++)
        {
            Assert.Throws<IOException>(() => _fs.Create($"/db/{i}"));
        }

        Assert.Equal(new[] { "1", "2" }, _memory.ListFiles(Dir));
    }

    [Fact]
    public void Rule_Probability_SameSeedSameFailures()
    {
        bool[] Pattern(int seed)
        {
            var fs = new FaultInjectingFileSystem(_memory);
            fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.FileExists, Trigger = FaultTrigger.WithProbability(0.3), Seed = seed });
            var failed = new bool[1000];
            for (int i = 0; i < failed.Length; i++)
            {
                try
                {
                    fs.FileExists("/db/x");
                }
                catch (IOException)
                {
                    failed[i] = true;
                }
            }

            return failed;
        }

        bool[] first = Pattern(42);
        Assert.Equal(first, Pattern(42));
        Assert.NotEqual(first, Pattern(43));
        Assert.InRange(first.Count(f => f), 230, 370);
    }

    [Fact]
    public void Rule_AnyOperation_FailsEveryCall()
    {
        _fs.AddRule(new FileSystemFault { Operation = null });

        Assert.Throws<IOException>(() => _fs.FileExists("/db/x"));
        Assert.Throws<IOException>(() => _fs.ListFiles(Dir));
        Assert.Throws<IOException>(() => _fs.SyncDirectory(Dir));
        Assert.Throws<IOException>(() => _fs.Lock("/db/LOCK"));
    }

    [Fact]
    public void RemoveRule_Added_StopsFaults()
    {
        FileSystemFault rule = _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Delete });
        Assert.Throws<IOException>(() => _fs.Delete("/db/x"));

        Assert.True(_fs.RemoveRule(rule));
        Assert.False(_fs.RemoveRule(rule));
        _fs.Delete("/db/x");
    }

    [Fact]
    public void Rename_RuleOnTargetName_FailsAndLeavesBothFilesAlone()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Rename, PathFilter = FileSystemFault.NameIs("CURRENT") });
        _fs.Create("/db/CURRENT.dbtmp").Dispose();

        Assert.Throws<IOException>(() => _fs.Rename("/db/CURRENT.dbtmp", "/db/CURRENT"));

        Assert.Equal(new[] { "CURRENT.dbtmp" }, _memory.ListFiles(Dir));
    }

    [Fact]
    public void SyncDirectory_Fails_NewNameNotDurable()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.SyncDirectory, Kind = FaultKind.DiskFull });
        using (IWritableFile file = _fs.Create("/db/000006.sst"))
        {
            file.Append(Bytes(10));
            file.Sync();
        }

        Assert.Throws<IOException>(() => _fs.SyncDirectory(Dir));

        Assert.False(_memory.CrashClone().FileExists("/db/000006.sst"));
    }

    [Fact]
    public void Read_CorruptRead_FlipsOneBit()
    {
        using (IWritableFile file = _memory.Create("/db/f"))
        {
            file.Append(Bytes(100));
        }

        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Read, Kind = FaultKind.CorruptRead, Trigger = FaultTrigger.OnNthCall(1) });
        using IRandomAccessFile reader = _fs.OpenRead("/db/f");
        var first = new byte[100];
        var second = new byte[100];
        Assert.Equal(100, reader.Read(0, first));
        Assert.Equal(100, reader.Read(0, second));

        Assert.Equal(Bytes(100), second);
        int differing = Enumerable.Range(0, 100).Count(i => first[i] != second[i]);
        Assert.Equal(1, differing);
        int index = Enumerable.Range(0, 100).Single(i => first[i] != second[i]);
        Assert.Equal(1, System.Numerics.BitOperations.PopCount((uint)(first[index] ^ second[index])));
    }

    [Fact]
    public void AddRule_KindThatCannotApplyToOperation_ThrowsArgument()
    {
        Assert.Throws<ArgumentException>(() => _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Sync, Kind = FaultKind.TornAppend }));
        Assert.Throws<ArgumentException>(() => _fs.AddRule(new FileSystemFault { Operation = null, Kind = FaultKind.CorruptRead }));
    }

    [Fact]
    public void GetCount_MixedCalls_CountsEachOperationIncludingFailures()
    {
        _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Flush, Trigger = FaultTrigger.OnNthCall(1) });
        using (IWritableFile file = _fs.Create("/db/f"))
        {
            file.Append(Bytes(1));
            file.Append(Bytes(1));
            Assert.Throws<IOException>(file.Flush);
            file.Flush();
            file.Sync();
        }

        _fs.SyncDirectory(Dir);
        _fs.FileExists("/db/f");
        using (IRandomAccessFile reader = _fs.OpenRead("/db/f"))
        {
            reader.Read(0, new byte[2]);
        }

        Assert.Equal(1, _fs.GetCount(FileSystemOperation.Create));
        Assert.Equal(2, _fs.GetCount(FileSystemOperation.Append));
        Assert.Equal(2, _fs.GetCount(FileSystemOperation.Flush));
        Assert.Equal(1, _fs.GetCount(FileSystemOperation.Sync));
        Assert.Equal(1, _fs.GetCount(FileSystemOperation.SyncDirectory));
        Assert.Equal(1, _fs.GetCount(FileSystemOperation.FileExists));
        Assert.Equal(1, _fs.GetCount(FileSystemOperation.OpenRead));
        Assert.Equal(1, _fs.GetCount(FileSystemOperation.Read));
        Assert.Equal(0, _fs.GetCount(FileSystemOperation.Rename));
        Assert.Equal(10, _fs.GetCounts().Values.Sum());

        _fs.ResetCounts();
        Assert.All(_fs.GetCounts().Values, n => Assert.Equal(0, n));
    }

    [Fact]
    public void OnFire_AtNthSync_CrashCloneHoldsStateJustBeforeIt()
    {
        InMemoryFileSystem? crashed = null;
        _fs.AddRule(new FileSystemFault
        {
            Operation = FileSystemOperation.Sync,
            Trigger = FaultTrigger.OnNthCall(3),
            Kind = FaultKind.None,
            OnFire = (_, _) => crashed = _memory.CrashClone(),
        });
        using IWritableFile file = _fs.Create("/db/000007.log");
        _fs.SyncDirectory(Dir);
        for (int i = 0; i < 5; i++)
        {
            file.Append(Bytes(10, i));
            file.Sync();
        }

        Assert.NotNull(crashed);
        Assert.Equal(20, crashed.GetFileLength("/db/000007.log"));
        Assert.Equal(50, _memory.GetFileLength("/db/000007.log"));
    }

    [Fact]
    public async Task AddRule_WhileOtherThreadsAppend_LaterAppendsFailWithInjectedErrorsOnly()
    {
        using var start = new Barrier(5);
        var failures = new int[4];
        Task[] writers =
        [
            .. Enumerable.Range(0, 4).Select(i => Task.Run(() =>
            {
                using IWritableFile file = _fs.Create($"/db/{i}.log");
                start.SignalAndWait();
                for (int n = 0; n < 20_000; n++)
                {
                    try
                    {
                        file.Append(Bytes(16, n));
                    }
                    catch (IOException e) when (FaultInjectingFileSystem.IsInjected(e))
                    {
                        failures[i]++;
                    }
                }
            })),
        ];

        start.SignalAndWait();
        FileSystemFault rule = _fs.AddRule(new FileSystemFault { Operation = FileSystemOperation.Append, Trigger = FaultTrigger.WithProbability(0.5) });
        await Task.WhenAll(writers);
        _fs.RemoveRule(rule);

        Assert.Equal(rule.Fires, failures.Sum());
        Assert.Equal(80_000, _fs.GetCount(FileSystemOperation.Append));
    }
}
