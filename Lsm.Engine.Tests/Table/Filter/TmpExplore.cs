using Lsm.Engine.Table.Filter;
using Xunit.Abstractions;
namespace Lsm.Engine.Tests.Table.Filter;
public class TmpExplore
{
    private readonly ITestOutputHelper _o;
    public TmpExplore(ITestOutputHelper o) => _o = o;
    [Fact]
    public void Explore()
    {
        _o.WriteLine($"available {RocksDbNative.IsAvailable}");
        foreach (int count in new[] { 150000, 400000 })
        {
            var keys = Enumerable.Range(0, count).Select(i => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}")).ToList();
            foreach (bool? offm in new bool?[] { null, false })
            {
                byte[] file = RocksDbNative.WriteSst(keys, 10, 7, offm);
                var b = offm is bool x ? new FullFilterBuilder(10, x) : new FullFilterBuilder(10);
                foreach (var k in keys) b.AddKey(k);
                byte[] ours = b.Finish();
                bool found = file.AsSpan().IndexOf(ours) >= 0;
                // find RocksDB's trailer: FF 00 probes 00 00 followed by block trailer (type 0)
                _o.WriteLine($"count {count} offm {offm}: ours {ours.Length} bytes probes {ours[^3]} found={found} file={file.Length}");
                if (!found)
                {
                    // search for same first 64 bytes
                    int at = file.AsSpan().IndexOf(ours.AsSpan(0, 64));
                    _o.WriteLine($"  first-64 at {at}");
                    if (at >= 0) {
                        for (int L = ours.Length - 4096; L < ours.Length + 8192; L++) {
                            int t = at + L - 5;
                            if (t + 5 < file.Length && file[t] == 0xFF && file[t+1] == 0 && file[t+3]==0 && file[t+4]==0 && file[t+2] > 0 && file[t+2] < 31 && L % 64 == 5) { _o.WriteLine($"  rocks len {L} probes {file[t+2]}"); }
                        }
                    }
                }
            }
        }
    }
}
