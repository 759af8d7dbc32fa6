using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

public sealed class FooterTests
{
    [Theory]
    [InlineData(5, ChecksumType.Crc32C)]
    [InlineData(5, ChecksumType.Xxh3)]
    [InlineData(6, ChecksumType.Crc32C)]
    [InlineData(6, ChecksumType.XxHash32)]
    [InlineData(6, ChecksumType.XxHash64)]
    [InlineData(6, ChecksumType.Xxh3)]
    public void Footer_RoundTrips(int version, ChecksumType checksum)
    {
        var metaindex = new BlockHandle(1000, 120);
        var index = new BlockHandle(800, 195);
        ulong footerOffset = metaindex.Offset + metaindex.Size + TableFormat.BlockTrailerSize;
        byte[] bytes = Footer.Encode(checksum, version, metaindex, index, 0xDEADBEEF, footerOffset);
        Assert.Equal(TableFormat.FooterLength, bytes.Length);

        Footer footer = Footer.Decode(bytes, footerOffset, "t");
        Assert.Equal(version, footer.FormatVersion);
        Assert.Equal(checksum, footer.ChecksumType);
        Assert.Equal(metaindex, footer.MetaindexHandle);
        if (version < 6)
        {
            Assert.Equal(index, footer.IndexHandle);
        }
        else
        {
            Assert.Equal(0xDEADBEEFu, footer.BaseContextChecksum);
        }
    }

    [Fact]
    public void Version6Footer_AtAnotherOffset_FailsItsChecksum()
    {
        var metaindex = new BlockHandle(1000, 120);
        ulong footerOffset = 1125;
        byte[] bytes = Footer.Encode(ChecksumType.Xxh3, 6, metaindex, default, 12345, footerOffset);
        var ex = Assert.Throws<CorruptionException>(() => Footer.Decode(bytes, footerOffset + 4096, "t"));
        Assert.Contains("footer checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnsupportedVersion_IsCorruption()
    {
        byte[] bytes = Footer.Encode(ChecksumType.Crc32C, 5, new BlockHandle(0, 10), new BlockHandle(15, 10), 0, 30);
        bytes[41] = 9;
        Assert.Throws<CorruptionException>(() => Footer.Decode(bytes, 30, "t"));
    }
}
