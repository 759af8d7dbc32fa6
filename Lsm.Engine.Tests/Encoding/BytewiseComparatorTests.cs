namespace Lsm.Engine.Tests.Encoding;

public sealed class BytewiseComparatorTests
{
    private static readonly BytewiseComparator Comparator = BytewiseComparator.Instance;

    [Theory]
    [InlineData("abcd", "abzz", "abd")]       // increment the first differing byte
    [InlineData("abc", "abcd", "abc")]        // prefix: unchanged
    [InlineData("abd", "abc", "abd")]         // start > limit: unchanged
    [InlineData("ab1zzz", "ab2", "ab1{")]     // limit ends right after: skip to the next byte below 0xFF
    [InlineData("key00000099", "key00000100", "key000001")]
    public void FindShortestSeparator_MatchesRocksDb(string start, string limit, string expected)
    {
        byte[] result = Comparator.FindShortestSeparator(Bytes(start), Bytes(limit));
        Assert.Equal(expected, System.Text.Encoding.ASCII.GetString(result));
        Assert.True(Comparator.Compare(result, Bytes(start)) >= 0);
        if (Comparator.Compare(Bytes(start), Bytes(limit)) < 0)
        {
            Assert.True(Comparator.Compare(result, Bytes(limit)) < 0);
        }
    }

    [Fact]
    public void FindShortSuccessor_IncrementsFirstByteBelowFF()
    {
        Assert.Equal([(byte)'b'], Comparator.FindShortSuccessor("abc"u8));
        Assert.Equal([0xFF, 0xFF], Comparator.FindShortSuccessor([0xFF, 0xFF]));
        Assert.Equal([0xFF, 0x01], Comparator.FindShortSuccessor([0xFF, 0x00, 0x07]));
    }

    [Fact]
    public void Name_IsRocksDbs() => Assert.Equal("leveldb.BytewiseComparator", Comparator.Name);

    private static byte[] Bytes(string s) => System.Text.Encoding.ASCII.GetBytes(s);
}
