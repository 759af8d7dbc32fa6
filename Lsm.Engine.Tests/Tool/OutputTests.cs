using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

public sealed class OutputTests
{
    [Theory]
    [InlineData("value", 0, "value")]
    [InlineData("value00000001", 5, "value... (13 bytes)")]
    [InlineData("héllo wörld", 2, "h... (13 bytes)")] // the cut would split 'é': the partial character is dropped
    [InlineData("", 0, "\"\"")]
    public void FormatBytes_Text_PrintsUtf8AndTruncates(string text, int max, string expected)
    {
        Assert.Equal(expected, Output.FormatBytes(System.Text.Encoding.UTF8.GetBytes(text), max));
    }

    [Fact]
    public void FormatBytes_Binary_PrintsHex()
    {
        Assert.Equal("0x00FF10", Output.FormatBytes([0x00, 0xFF, 0x10]));
        Assert.Equal("0x00FF... (3 bytes)", Output.FormatBytes([0x00, 0xFF, 0x10], 2));
        Assert.Equal("0x610A", Output.FormatBytes("a\n"u8));
    }

    [Fact]
    public void FormatInternalKey_MatchesIteratorFormat()
    {
        byte[] key = [.. "apple"u8, .. BitConverter.GetBytes((42UL << 8) | (ulong)ValueKind.Merge)];

        Assert.Equal("apple#42,MERGE", Output.FormatInternalKey(key));
        Assert.Equal("<short:0x0102>", Output.FormatInternalKey([0x01, 0x02]));
    }

    [Theory]
    [InlineData("abc", new byte[] { 0x61, 0x62, 0x63 })]
    [InlineData("0x00ff", new byte[] { 0x00, 0xFF })]
    [InlineData("0xyz", new byte[] { 0x30, 0x78, 0x79, 0x7A })]
    public void ParseKey_TextOrHex_ReturnsBytes(string text, byte[] expected)
    {
        Assert.Equal(expected, Output.ParseKey(text));
    }

    [Fact]
    public void PropertyText_Numbers_AreDecodedByName()
    {
        Assert.Equal("300", PropertyText.Format("rocksdb.num.entries", [0xAC, 0x02]));
        Assert.Equal("2", PropertyText.Format("rocksdb.external_sst_file.version", [2, 0, 0, 0]));
        Assert.Equal("7", PropertyText.Format("rocksdb.external_sst_file.global_seqno", [7, 0, 0, 0, 0, 0, 0, 0]));
        Assert.Equal("leveldb.BytewiseComparator", PropertyText.Format("rocksdb.comparator", "leveldb.BytewiseComparator"u8));
        Assert.Equal("0x0001", PropertyText.Format("user.binary", [0x00, 0x01]));
        Assert.StartsWith("0xAC", PropertyText.Format("rocksdb.num.entries", [0xAC]), StringComparison.Ordinal);
    }
}
