using System.IO.Hashing;
using System.Text;
using FsCheck.Xunit;
using Lsm.Engine.Hashing;
using Lsm.Engine.Tests.Table.Filter;

namespace Lsm.Engine.Tests.Hashing;

public class Xxph3Tests
{
    // util/hash_test.cc, HashTest.Hash64SmallValueSchema (seed 0, as GetSliceHash64).
    [Theory]
    [InlineData("", 5999572062939766020UL)]
    [InlineData("08", 583283813901344696UL)]
    [InlineData("17", 16175549975585474943UL)]
    [InlineData("9a", 16322991629225003903UL)]
    [InlineData("1c", 13269285487706833447UL)]
    [InlineData("4d76", 6859542833406258115UL)]
    [InlineData("52d5", 4919611532550636959UL)]
    [InlineData("91f7", 14199427467559720719UL)]
    [InlineData("d627", 12292689282614532691UL)]
    [InlineData("30460b", 11404699285340020889UL)]
    [InlineData("56dcd6", 12404347133785524237UL)]
    [InlineData("d45233", 15853805298481534034UL)]
    [InlineData("6ab5f4", 16863488758399383382UL)]
    [InlineData("6753811c", 9010661983527562386UL)]
    [InlineData("69b8c088", 6611781377647041447UL)]
    [InlineData("1e84af2d", 15290969111616346501UL)]
    [InlineData("46dc54be", 7063754590279313623UL)]
    [InlineData("d07a6eea56", 6384167718754869899UL)]
    [InlineData("8683d5a4d8", 16874407254108011067UL)]
    [InlineData("b746bb77ce", 16809880630149135206UL)]
    [InlineData("6ca8bce599", 1249038833153141148UL)]
    [InlineData("5c5ee1a07381", 17358142495308219330UL)]
    [InlineData("085d731ce52e", 4237646583134806322UL)]
    [InlineData("42fbf252b410", 4373664924115234051UL)]
    [InlineData("73e1ff569cce", 12012981210634596029UL)]
    [InlineData("5cbe9775549a52", 5716522398211028826UL)]
    [InlineData("16823949882b36", 15604531309862565013UL)]
    [InlineData("5977f0a724f478", 8601330687345614172UL)]
    [InlineData("d3a57c0ec00207", 8088079329364056942UL)]
    [InlineData("311b98759622d39a", 9844314944338447628UL)]
    [InlineData("38d6f72820b48ae9", 10973293517982163143UL)]
    [InlineData("bb185df41203f799", 9986007080564743219UL)]
    [InlineData("80d43b3bae22a278", 1729303145008254458UL)]
    [InlineData("1ab5d0feabc361b299", 13253403748084181481UL)]
    [InlineData("8e4ac318202f06e63c", 7768754303876232188UL)]
    [InlineData("b6c0dd053fc4864cef", 12439346786701492UL)]
    [InlineData("9a5f780daf50e11f55", 10841838338450144690UL)]
    [InlineData("226f391ff8dd4f521794", 12883919702069153152UL)]
    [InlineData("32892a75483a4a0269dd", 12692903507676842188UL)]
    [InlineData("06925cf4880e7e68383e", 6540985900674032620UL)]
    [InlineData("bd2c6338bfe978b7bf15", 10551812464348219044UL)]
    public void Hash64_SmallValueSchema_MatchesRocksDb(string hex, ulong expected)
    {
        byte[] data = Convert.FromHexString(hex);
        Assert.Equal(expected, Xxph3.Hash64(data, 0));
        Assert.Equal(expected, Xxph3.Hash64(data));
        Assert.Equal(expected, Xxph3.GetSliceHash64(data));
    }

    // util/hash_test.cc, HashTest.Hash64LargeValueSchema: one mod-61 character per prefix
    // length 0..429 of a repeated pattern, covering every XXPH3 code path (0-16, 17-128,
    // 129-240, and the long path past 240 bytes).
    [Theory]
    [InlineData("foo",
        "cRhyWsY67B6klRA1udmOuiYuX7IthyGBKqbeosz2hzVglWCmQx8nEdnpkvPfYX56Up2OWOTV" +
        "lTzfAoYwvtqKzjD8E9xttR2unelbXbIV67NUe6bOO23BxaSFRcA3njGu5cUWfgwOqNoTsszp" +
        "uPvKRP6qaUR5VdoBkJUCFIefd7edlNK5mv6JYWaGdwxehg65hTkTmjZoPKxTZo4PLyzbL9U4" +
        "xt12ITSfeP2MfBHuLI2z2pDlBb44UQKVMx27LEoAHsdLp3WfWfgH3sdRBRCHm33UxCM4QmE2" +
        "xJ7gqSvNwTeH7v9GlC8zWbGroyD3UVNeShMLx29O7tH1biemLULwAHyIw8zdtLMDpEJ8m2ic" +
        "l6Lb4fDuuFNAs1GCVUthjK8CV8SWI8Rsz5THSwn5CGhpqUwSZcFknjwWIl5rNCvDxXJqYr")]
    [InlineData("Rocks",
        "c1EeRkrzgOYWLA8PuhJrwTePJewoB44WdXYDfhbk3ZxTqqg25WlPExDl7IKIQLJvnA6gJxxn" +
        "9TCSLkFGfJeXehaSS1GBqWSzfhEH4VXiXIUCuxJXxtKXcSC6FrNIQGTZbYDiUOLD6Y5inzrF" +
        "9etwQhXUBanw55xAUdNMFQAm2GjJ6UDWp2mISLiMMkLjANWMKLaZMqaFLX37qB4MRO1ooVRv" +
        "zSvaNRSCLxlggQCasQq8icWjzf3HjBlZtU6pd4rkaUxSzHqmo9oM5MghbU5Rtxg8wEfO7lVN" +
        "5wdMONYecslQTwjZUpO1K3LDf3K3XK6sUXM6ShQQ3RHmMn2acB4YtTZ3QQcHYJSOHn2DuWpa" +
        "Q8RqzX5lab92YmOLaCdOHq1BPsM7SIBzMdLgePNsJ1vvMALxAaoDUHPxoFLO2wx18IXnyX")]
    [InlineData("RocksDB",
        "c1EeRkukbkb28wLTahwD2sfUhZzaBEnF8SVrxnPVB6A7b8CaAl3UKsDZISF92GSq2wDCukOq" +
        "Jgrsp7A3KZhDiLW8dFXp8UPqPxMCRlMdZeVeJ2dJxrmA6cyt99zkQFj7ELbut6jAeVqARFnw" +
        "fnWVXOsaLrq7bDCbMcns2DKvTaaqTCLMYxI7nhtLpFN1jR755FRQFcOzrrDbh7QhypjdvlYw" +
        "cdAMSZgp9JMHxbM23wPSuH6BOFgxejz35PScZfhDPvTOxIy1jc3MZsWrMC3P324zNolO7JdW" +
        "CX2I5UDKjjaEJfxbgVgJIXxtQGlmj2xkO5sPpjULQV4X2HlY7FQleJ4QRaJIB4buhCA4vUTF" +
        "eMFlxCIYUpTCsal2qsmnGOWa8WCcefrohMjDj1fjzSvSaQwlpyR1GZHF2uPOoQagiCpHpm")]
    public void Hash64_LargeValueSchema_MatchesRocksDb(string repeat, string expected)
    {
        Assert.Equal(expected, Hash64Descriptor(repeat, 430));
    }

    private static string Hash64Descriptor(string repeat, int limit)
    {
        const string Mod61 = "abcdefghijklmnopqrstuvwxyz123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        var input = new StringBuilder();
        while (input.Length < limit)
        {
            input.Append(repeat);
        }

        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(input.ToString());
        var descriptor = new StringBuilder(limit);
        for (int i = 0; i < limit; i++)
        {
            descriptor.Append(Mod61[(int)(Xxph3.GetSliceHash64(bytes.AsSpan(0, i)) % 61)]);
        }

        return descriptor.ToString();
    }

    // util/hash_test.cc, HashTest.Hash64Misc: seeds and sizes change the hash.
    [Fact]
    public void Hash64_SeedAndSize_ChangeTheHash()
    {
        foreach (byte fill in new byte[] { 0, (byte)'a', (byte)'1', 0xff })
        {
            byte[] str = Enumerable.Repeat(fill, 1000).ToArray();
            for (int size = 0; size <= 1000; size++)
            {
                ulong here = Xxph3.Hash64(str.AsSpan(0, size), 0);
                for (ulong seed = 1; seed != 0; seed <<= 1)
                {
                    Assert.NotEqual(here, Xxph3.Hash64(str.AsSpan(0, size), seed));
                }

                for (int smallerBy = 1; smallerBy <= Math.Min(30, size); smallerBy++)
                {
                    Assert.NotEqual(here, Xxph3.Hash64(str.AsSpan(0, size - smallerBy), 0));
                }
            }
        }
    }

    // util/hash_test.cc, HashTest.Hash64Trivial.
    [Fact]
    public void Hash64_TrivialInputs_HaveNonZeroHalves()
    {
        for (ulong seed = 0; seed < 0x10000; seed++)
        {
            ulong h = Xxph3.Hash64([], seed);
            Assert.NotEqual(0u, (uint)h);
            Assert.NotEqual(0u, (uint)(h >> 32));
        }

        byte[] input = new byte[4];
        for (int len = 1; len <= 2; len++)
        {
            for (uint i = 0; (i >> (len * 8)) == 0; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(input, i);
                ulong h = Xxph3.Hash64(input.AsSpan(0, len), 0);
                Assert.NotEqual(0u, (uint)h);
                Assert.NotEqual(0u, (uint)(h >> 32));
            }
        }
    }

    // The XXH3 preview is NOT the final XXH3 of System.IO.Hashing, on any length class.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(240)]
    [InlineData(241)]
    [InlineData(1024)]
    [InlineData(5000)]
    public void Hash64_DiffersFromFinalXxh3(int length)
    {
        byte[] data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.NotEqual(XxHash3.HashToUInt64(data), Xxph3.Hash64(data));
        Assert.NotEqual(XxHash3.HashToUInt64(data, 12345), Xxph3.Hash64(data, 12345));
    }

    // Oracle: the native RocksDB library's own rocksdb::Hash64, every length 0..4100 (so
    // several 1024-byte blocks, exact multiples and partial last stripes), random contents
    // and seeds (including 0).
    [Fact]
    public void Hash64_MatchesNativeRocksDb_AllLengths()
    {
        if (!RocksDbNative.IsAvailable)
        {
            return;
        }

        var random = new Random(20240607);
        byte[] buffer = new byte[4100];
        random.NextBytes(buffer);
        for (int len = 0; len <= buffer.Length; len++)
        {
            ReadOnlySpan<byte> data = buffer.AsSpan(buffer.Length - len);
            ulong seed = (len % 3) switch { 0 => 0, 1 => (ulong)random.NextInt64(), _ => ulong.MaxValue - (ulong)len };
            Assert.Equal(RocksDbNative.Hash64(data, seed), Xxph3.Hash64(data, seed));
        }
    }

    [Property(MaxTest = 500)]
    public void Hash64_MatchesNativeRocksDb_Property(byte[] data, ulong seed)
    {
        if (!RocksDbNative.IsAvailable)
        {
            return;
        }

        Assert.Equal(RocksDbNative.Hash64(data, seed), Xxph3.Hash64(data, seed));
    }
}
