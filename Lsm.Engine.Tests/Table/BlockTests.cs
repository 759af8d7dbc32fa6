using Lsm.Engine.Encoding;
using Lsm.Engine.Table;

namespace Lsm.Engine.Tests.Table;

public sealed class BlockTests
{
    private static Block BuildBlock(IEnumerable<string> keys, int restartInterval, out List<byte[]> sorted)
    {
        sorted = keys.Select(k => System.Text.Encoding.ASCII.GetBytes(k)).ToList();
        using var builder = new BlockBuilder(restartInterval);
        foreach (byte[] key in sorted)
        {
            builder.Add(key, key.Reverse().ToArray());
        }

        byte[] data = builder.Finish().ToArray();
        return Block.Parse(data, data.Length, "block", 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(16)]
    [InlineData(1000)]
    public void Entries_IterateBothWays_AndSeek(int restartInterval)
    {
        string[] keys = Enumerable.Range(0, 100).Select(i => $"key{i * 2:D4}").ToArray();
        Block block = BuildBlock(keys, restartInterval, out List<byte[]> sorted);
        var it = new BlockIterator();
        it.Reset(block, UserKeyOrder.Bytewise);

        int i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            Assert.Equal(sorted[i], it.Key.ToArray());
            Assert.Equal(sorted[i].Reverse(), it.Value.ToArray());
        }

        Assert.Equal(100, i);
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            Assert.Equal(sorted[--i], it.Key.ToArray());
        }

        Assert.Equal(0, i);

        it.Seek("key0051"u8);          // between entries
        Assert.Equal("key0052"u8.ToArray(), it.Key.ToArray());
        it.Seek("key0052"u8);          // exact
        Assert.Equal("key0052"u8.ToArray(), it.Key.ToArray());
        it.Seek("a"u8);                // before all
        Assert.Equal("key0000"u8.ToArray(), it.Key.ToArray());
        it.Seek("zzz"u8);              // after all
        Assert.False(it.Valid);
        it.SeekForPrev("key0051"u8);
        Assert.Equal("key0050"u8.ToArray(), it.Key.ToArray());
        it.SeekForPrev("a"u8);
        Assert.False(it.Valid);
        it.SeekForPrev("zzz"u8);
        Assert.Equal("key0198"u8.ToArray(), it.Key.ToArray());
    }

    [Fact]
    public void PrefixCompression_SharesBytesBetweenRestarts()
    {
        string[] keys = Enumerable.Range(0, 32).Select(i => $"a/very/long/shared/prefix/{i:D3}").ToArray();
        Block compressed = BuildBlock(keys, 16, out _);
        Block uncompressed = BuildBlock(keys, 1, out _);
        Assert.True(compressed.Length < uncompressed.Length * 0.6);
        Assert.Equal(2, compressed.NumRestarts);
        Assert.Equal(32, uncompressed.NumRestarts);
    }

    [Fact]
    public void BadRestartCount_IsCorruption()
    {
        Block good = BuildBlock(["a", "b"], 1, out _);
        byte[] data = good.Bytes.ToArray();
        Coding.WriteFixed32(data.AsSpan(data.Length - 4), 1000);
        var ex = Assert.Throws<CorruptionException>(() => Block.Parse(data, data.Length, "block", 4096));
        Assert.Equal(4096 + data.Length - 4, ex.Offset);
    }

    [Fact]
    public void ReservedFooterBit_IsRefused()
    {
        Block good = BuildBlock(["a"], 1, out _);
        byte[] data = good.Bytes.ToArray();
        Coding.WriteFixed32(data.AsSpan(data.Length - 4), 1 | TableFormat.DataBlockReservedBit);
        Assert.Throws<NotSupportedException>(() => Block.Parse(data, data.Length, "block", 0));
    }

    [Fact]
    public void DeltaEncodedIndexBlock_DecodesHandles()
    {
        using var builder = new BlockBuilder(4, valueDeltaEncoding: true);
        var handles = new List<BlockHandle>();
        ulong offset = 0;
        for (int i = 0; i < 10; i++)
        {
            var handle = new BlockHandle(offset, (ulong)(100 + (i * 7)));
            handles.Add(handle);
            byte[] key = System.Text.Encoding.ASCII.GetBytes($"k{i:D2}");
            byte[] full = handle.Encode();
            byte[] delta = new byte[10];
            int n = i == 0 ? 0 : Coding.WriteVarSigned64(delta, (long)handle.Size - (long)handles[i - 1].Size);
            builder.Add(key, full, delta.AsSpan(0, n));
            offset += handle.Size + TableFormat.BlockTrailerSize;
        }

        byte[] data = builder.Finish().ToArray();
        Block block = Block.Parse(data, data.Length, "index", 0);
        var it = new BlockIterator();
        it.Reset(block, UserKeyOrder.Bytewise, BlockValueFormat.DeltaEncodedHandles, isIndex: true);
        int j = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), j++)
        {
            Assert.Equal(handles[j], it.Handle);
        }

        Assert.Equal(10, j);
        it.Seek("k07"u8);
        Assert.Equal(handles[7], it.Handle);
        it.SeekToLast();
        it.Prev();
        Assert.Equal(handles[8], it.Handle);
    }
}
