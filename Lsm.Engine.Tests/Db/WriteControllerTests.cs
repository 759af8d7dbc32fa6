using Lsm.Engine.Db;

namespace Lsm.Engine.Tests.Db;

public sealed class WriteControllerTests
{
    private static readonly WriteStallLimits Limits = new(
        MaxWriteBufferNumber: 4,
        Level0SlowdownWritesTrigger: 20,
        Level0StopWritesTrigger: 36,
        SoftPendingCompactionBytesLimit: 64UL << 30,
        HardPendingCompactionBytesLimit: 256UL << 30,
        AutoCompactionsDisabled: false);

    [Theory]
    [InlineData(0, 0, 0UL, WriteStallCondition.Normal, WriteStallCause.None)]
    [InlineData(4, 0, 0UL, WriteStallCondition.Stopped, WriteStallCause.MemtableLimit)]
    [InlineData(3, 0, 0UL, WriteStallCondition.Delayed, WriteStallCause.MemtableLimit)]
    [InlineData(0, 36, 0UL, WriteStallCondition.Stopped, WriteStallCause.L0FileCountLimit)]
    [InlineData(0, 20, 0UL, WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit)]
    [InlineData(0, 19, 0UL, WriteStallCondition.Normal, WriteStallCause.None)]
    [InlineData(0, 0, 256UL << 30, WriteStallCondition.Stopped, WriteStallCause.PendingCompactionBytes)]
    [InlineData(0, 0, 64UL << 30, WriteStallCondition.Delayed, WriteStallCause.PendingCompactionBytes)]
    [InlineData(3, 36, 0UL, WriteStallCondition.Stopped, WriteStallCause.L0FileCountLimit)] // a stop outranks a delay
    [InlineData(4, 36, 256UL << 30, WriteStallCondition.Stopped, WriteStallCause.MemtableLimit)]
    public void Evaluate_FollowsRocksDbsPrecedence(int imm, int l0, ulong pending, object condition, object cause)
    {
        Assert.Equal(((WriteStallCondition)condition, (WriteStallCause)cause), WriteStall.Evaluate(imm, l0, pending, Limits));
    }

    [Fact]
    public void Evaluate_WithCompactionsOff_OnlyTheMemtableLimitApplies()
    {
        WriteStallLimits off = Limits with { AutoCompactionsDisabled = true };
        Assert.Equal((WriteStallCondition.Normal, WriteStallCause.None), WriteStall.Evaluate(0, 100, ulong.MaxValue, off));
        Assert.Equal((WriteStallCondition.Stopped, WriteStallCause.MemtableLimit), WriteStall.Evaluate(4, 100, ulong.MaxValue, off));
    }

    [Fact]
    public void Evaluate_TwoOrThreeMemtables_NeverDelay()
    {
        WriteStallLimits two = Limits with { MaxWriteBufferNumber = 2 };
        Assert.Equal((WriteStallCondition.Normal, WriteStallCause.None), WriteStall.Evaluate(1, 0, 0, two));
        Assert.Equal((WriteStallCondition.Stopped, WriteStallCause.MemtableLimit), WriteStall.Evaluate(2, 0, 0, two));
    }

    [Fact]
    public void NearStop_IsTwoFilesFromTheStop_OrThreeQuartersToTheHardLimit()
    {
        Assert.False(WriteStall.NearStop(WriteStallCause.L0FileCountLimit, 33, 0, Limits));
        Assert.True(WriteStall.NearStop(WriteStallCause.L0FileCountLimit, 34, 0, Limits));
        ulong threeQuarters = (64UL << 30) + (3 * (192UL << 30) / 4);
        Assert.False(WriteStall.NearStop(WriteStallCause.PendingCompactionBytes, 0, threeQuarters, Limits));
        Assert.True(WriteStall.NearStop(WriteStallCause.PendingCompactionBytes, 0, threeQuarters + 1, Limits));
    }

    [Fact]
    public void Delay_PacesWritesToTheRate()
    {
        long now = 1_000_000;
        var controller = new WriteController(1_000_000, () => now); // 1 MB/s: 1,000 bytes per millisecond
        Assert.Equal(0, controller.GetDelayMicros(1 << 20)); // normal: no delay
        controller.Update(0, WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit, 0, nearStop: false, autoCompactionsDisabled: false);
        Assert.True(controller.NeedsDelay);
        Assert.Equal(1, controller.Delays[(int)WriteStallCause.L0FileCountLimit]);

        Assert.Equal(0, controller.GetDelayMicros(1000)); // the first millisecond's allotment
        long delay = controller.GetDelayMicros(10_000);  // 10 ms worth of bytes, after the millisecond already used
        Assert.Equal(11_000, delay);

        // A second write before the first delay has passed queues behind it.
        Assert.Equal(21_000, controller.GetDelayMicros(10_000));

        // After the debt is paid, a write within the refill's credit goes through.
        now += 21_000;
        Assert.Equal(0, controller.GetDelayMicros(500));
        Assert.True(controller.GetDelayMicros(1_000_000) >= 999_000);
    }

    [Fact]
    public void Stop_OutranksDelay_AndClears()
    {
        var controller = new WriteController(16 << 20, () => 0);
        controller.Update(0, WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit, 0, false, false);
        controller.Update(1, WriteStallCondition.Stopped, WriteStallCause.MemtableLimit, 0, false, false);
        Assert.True(controller.IsStopped);
        Assert.False(controller.NeedsDelay);
        Assert.Equal(0, controller.GetDelayMicros(1 << 30)); // the caller waits for the stop to clear instead
        controller.Update(1, WriteStallCondition.Normal, WriteStallCause.None, 0, false, false);
        Assert.False(controller.IsStopped);
        Assert.True(controller.NeedsDelay);
        controller.Remove(0);
        Assert.False(controller.NeedsDelay);
        Assert.Equal(1, controller.Stops[(int)WriteStallCause.MemtableLimit]);
    }

    [Fact]
    public void Rate_SlowsWhileDebtGrows_SpeedsUpWhenItShrinks_NeverPastTheUsersRate()
    {
        const long userRate = 16 << 20;
        var controller = new WriteController(userRate, () => 0);
        void Delay(ulong pending, bool nearStop = false) =>
            controller.Update(0, WriteStallCondition.Delayed, WriteStallCause.PendingCompactionBytes, pending, nearStop, false);

        Delay(100);
        Assert.Equal(userRate, controller.DelayedWriteRate); // a new delay starts at the user's rate
        Delay(200);
        Assert.Equal((long)(userRate * 0.8), controller.DelayedWriteRate);
        Delay(200);
        Assert.Equal((long)((long)(userRate * 0.8) * 0.8), controller.DelayedWriteRate); // no progress: slower still
        Delay(150);
        Assert.Equal((long)((long)((long)(userRate * 0.8) * 0.8) * 1.25), controller.DelayedWriteRate);
        long before = controller.DelayedWriteRate;
        Delay(150, nearStop: true);
        Assert.Equal((long)(before * 0.6), controller.DelayedWriteRate);

        for (int i = 0; i < 100; i++)
        {
            Delay(ulong.MaxValue);
        }

        Assert.Equal(WriteController.MinWriteRate, controller.DelayedWriteRate);
        for (ulong p = 100; p > 0; p--)
        {
            Delay(p);
        }

        Assert.Equal(userRate, controller.DelayedWriteRate);
        controller.Update(0, WriteStallCondition.Normal, WriteStallCause.None, 0, false, false);
        Assert.Equal(userRate, controller.DelayedWriteRate);
    }

    [Fact]
    public void LeavingADelay_RewardsTheRate()
    {
        var controller = new WriteController(1 << 20, () => 0);
        controller.Update(0, WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit, 0, nearStop: true, false); // new: user rate
        controller.Update(0, WriteStallCondition.Delayed, WriteStallCause.L0FileCountLimit, 0, nearStop: true, false); // × 0.6
        Assert.Equal((long)((1 << 20) * 0.6), controller.DelayedWriteRate);
        controller.Update(0, WriteStallCondition.Normal, WriteStallCause.None, 0, false, false);
        Assert.Equal((long)((long)((1 << 20) * 0.6) * 1.4), controller.DelayedWriteRate);
    }
}
