namespace Lsm.Engine.Tests.Compaction.Pickers;

/// <summary>The compaction options: documented defaults equal RocksDB's, and Validate refuses inconsistent values.</summary>
public sealed class CompactionOptionsTests
{
    [Fact]
    public void Defaults_AreRocksDbDefaults()
    {
        var o = new ColumnFamilyOptions();
        Assert.Equal(CompactionStyle.Level, o.CompactionStyle);
        Assert.Equal(CompactionPriority.MinOverlappingRatio, o.CompactionPri);
        Assert.Equal(4, o.Level0FileNumCompactionTrigger);
        Assert.Equal(20, o.Level0SlowdownWritesTrigger);
        Assert.Equal(36, o.Level0StopWritesTrigger);
        Assert.Equal(256L << 20, o.MaxBytesForLevelBase);
        Assert.Equal(10.0, o.MaxBytesForLevelMultiplier);
        Assert.True(o.LevelCompactionDynamicLevelBytes);
        Assert.Equal(64L << 20, o.TargetFileSizeBase);
        Assert.Equal(1, o.TargetFileSizeMultiplier);
        Assert.Equal(0, o.MaxCompactionBytes);
        Assert.Equal(25UL * (64UL << 20), o.EffectiveMaxCompactionBytes);
        Assert.Equal(64L << 30, o.SoftPendingCompactionBytesLimit);
        Assert.Equal(256L << 30, o.HardPendingCompactionBytesLimit);
        UniversalCompactionOptions u = o.CompactionOptionsUniversal;
        Assert.Equal(1u, u.SizeRatio);
        Assert.Equal(2u, u.MinMergeWidth);
        Assert.Equal(uint.MaxValue, u.MaxMergeWidth);
        Assert.Equal(200u, u.MaxSizeAmplificationPercent);
        Assert.Equal(-1, u.CompressionSizePercent);
        Assert.Equal(UniversalStopStyle.TotalSize, u.StopStyle);
        Assert.Equal(-1, u.MaxReadAmp);
        Assert.False(u.AllowTrivialMove);
        o.Validate();
    }

    [Fact]
    public void Defaults_MatchTheirConstants()
    {
        var o = new ColumnFamilyOptions();
        Assert.Equal(ColumnFamilyOptions.DefaultLevel0FileNumCompactionTrigger, o.Level0FileNumCompactionTrigger);
        Assert.Equal(ColumnFamilyOptions.DefaultLevel0SlowdownWritesTrigger, o.Level0SlowdownWritesTrigger);
        Assert.Equal(ColumnFamilyOptions.DefaultLevel0StopWritesTrigger, o.Level0StopWritesTrigger);
        Assert.Equal(ColumnFamilyOptions.DefaultMaxBytesForLevelBase, o.MaxBytesForLevelBase);
        Assert.Equal(ColumnFamilyOptions.DefaultMaxBytesForLevelMultiplier, o.MaxBytesForLevelMultiplier);
        Assert.Equal(ColumnFamilyOptions.DefaultLevelCompactionDynamicLevelBytes, o.LevelCompactionDynamicLevelBytes);
        Assert.Equal(ColumnFamilyOptions.DefaultTargetFileSizeBase, o.TargetFileSizeBase);
        Assert.Equal(ColumnFamilyOptions.DefaultTargetFileSizeMultiplier, o.TargetFileSizeMultiplier);
        Assert.Equal(ColumnFamilyOptions.DefaultSoftPendingCompactionBytesLimit, o.SoftPendingCompactionBytesLimit);
        Assert.Equal(ColumnFamilyOptions.DefaultHardPendingCompactionBytesLimit, o.HardPendingCompactionBytesLimit);
        var u = new UniversalCompactionOptions();
        Assert.Equal(UniversalCompactionOptions.DefaultSizeRatio, u.SizeRatio);
        Assert.Equal(UniversalCompactionOptions.DefaultMinMergeWidth, u.MinMergeWidth);
        Assert.Equal(UniversalCompactionOptions.DefaultMaxMergeWidth, u.MaxMergeWidth);
        Assert.Equal(UniversalCompactionOptions.DefaultMaxSizeAmplificationPercent, u.MaxSizeAmplificationPercent);
        Assert.Equal(UniversalCompactionOptions.DefaultCompressionSizePercent, u.CompressionSizePercent);
        Assert.Equal(UniversalCompactionOptions.DefaultMaxReadAmp, u.MaxReadAmp);
    }

    public static TheoryData<string, ColumnFamilyOptions> Invalid => new()
    {
        { "Level0FileNumCompactionTrigger", new ColumnFamilyOptions { Level0FileNumCompactionTrigger = 0 } },
        { "Level0SlowdownWritesTrigger", new ColumnFamilyOptions { Level0FileNumCompactionTrigger = 8, Level0SlowdownWritesTrigger = 6 } },
        { "Level0StopWritesTrigger", new ColumnFamilyOptions { Level0StopWritesTrigger = 19 } },
        { "MaxBytesForLevelBase", new ColumnFamilyOptions { MaxBytesForLevelBase = 0 } },
        { "MaxBytesForLevelMultiplier", new ColumnFamilyOptions { MaxBytesForLevelMultiplier = 0 } },
        { "MaxBytesForLevelMultiplier", new ColumnFamilyOptions { MaxBytesForLevelMultiplier = double.NaN } },
        { "TargetFileSizeBase", new ColumnFamilyOptions { TargetFileSizeBase = -1 } },
        { "TargetFileSizeMultiplier", new ColumnFamilyOptions { TargetFileSizeMultiplier = 0 } },
        { "MaxCompactionBytes", new ColumnFamilyOptions { MaxCompactionBytes = -5 } },
        { "SoftPendingCompactionBytesLimit", new ColumnFamilyOptions { SoftPendingCompactionBytesLimit = 10, HardPendingCompactionBytesLimit = 5 } },
        { "CompactionStyle", new ColumnFamilyOptions { CompactionStyle = (CompactionStyle)7 } },
        { "CompactionPri", new ColumnFamilyOptions { CompactionPri = (CompactionPriority)0 } },
        { "MinMergeWidth", new ColumnFamilyOptions { CompactionOptionsUniversal = new() { MinMergeWidth = 5, MaxMergeWidth = 4 } } },
        { "CompressionSizePercent", new ColumnFamilyOptions { CompactionOptionsUniversal = new() { CompressionSizePercent = 101 } } },
        { "MaxReadAmp", new ColumnFamilyOptions { CompactionOptionsUniversal = new() { MaxReadAmp = -2 } } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_OutOfRange_ThrowsNamingTheOption(string name, ColumnFamilyOptions options)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void Validate_HardLimitZero_DisablesTheCheck()
    {
        new ColumnFamilyOptions { HardPendingCompactionBytesLimit = 0, SoftPendingCompactionBytesLimit = 10 }.Validate();
    }
}
