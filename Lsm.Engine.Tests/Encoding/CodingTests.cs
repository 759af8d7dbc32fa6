using Lsm.Engine.Encoding;

namespace Lsm.Engine.Tests.Encoding;

public sealed class CodingTests
{
    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16383UL, 2)]
    [InlineData(16384UL, 3)]
    [InlineData(uint.MaxValue, 5)]
    [InlineData(ulong.MaxValue, 10)]
    public void Varint64_RoundTrips_WithExpectedLength(ulong value, int length)
    {
        Span<byte> buffer = stackalloc byte[10];
        Assert.Equal(length, Coding.WriteVarint64(buffer, value));
        Assert.Equal(length, Coding.VarintLength(value));
        Assert.Equal(length, Coding.ReadVarint64(buffer[..length], out ulong decoded));
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void Varint_Truncated_ReturnsZero()
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = Coding.WriteVarint64(buffer, ulong.MaxValue);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(0, Coding.ReadVarint64(buffer[..i], out _));
        }
    }

    [Fact]
    public void Varint32_TooLarge_ReturnsZero()
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = Coding.WriteVarint64(buffer, (ulong)uint.MaxValue + 1);
        Assert.Equal(0, Coding.ReadVarint32(buffer[..n], out _));
    }

    [Fact]
    public void OverlongVarint_ReturnsZero()
    {
        byte[] eleven = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        Assert.Equal(0, Coding.ReadVarint64(eleven, out _));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void VarSigned_RoundTrips(long value)
    {
        Span<byte> buffer = stackalloc byte[10];
        int n = Coding.WriteVarSigned64(buffer, value);
        Assert.Equal(n, Coding.ReadVarSigned64(buffer[..n], out long decoded));
        Assert.Equal(value, decoded);
    }

    [Fact]
    public void InternalKey_TextForm_IsUserSeqKind()
    {
        Assert.Equal("apple#42,SET", KeyText.FormatInternalKey(InternalKey.Create("apple"u8, 42, ValueKind.Value)));
        Assert.Equal("0x00FF#7,DEL", KeyText.FormatInternalKey(InternalKey.Create([0x00, 0xFF], 7, ValueKind.Deletion)));
    }

    [Fact]
    public void InternalKeyOrder_IsUserKeyAscendingThenSequenceDescending()
    {
        InternalKeyComparator order = InternalKeyComparator.Bytewise;
        byte[] a5 = InternalKey.Create("a"u8, 5, ValueKind.Value);
        byte[] a9 = InternalKey.Create("a"u8, 9, ValueKind.Value);
        byte[] b1 = InternalKey.Create("b"u8, 1, ValueKind.Value);
        Assert.True(order.Compare(a9, a5) < 0);
        Assert.True(order.Compare(a5, b1) < 0);
        Assert.True(order.Compare(InternalKey.Create("a"u8, 9, InternalKey.KindForSeek), a9) < 0);
    }
}
