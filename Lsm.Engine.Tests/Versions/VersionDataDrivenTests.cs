using Lsm.Engine.IO;
using Lsm.Engine.Versions;
using Lsm.Engine.Wal;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Versions;

/// <summary>
/// Data-driven tests: testdata/apply.txt (an LSM shape, an edit, the resulting shape) and
/// testdata/replay.txt (edits written as a MANIFEST, the state recovery finds).
/// </summary>
public sealed class VersionDataDrivenTests
{
    [Fact]
    public void Apply() => DataDriven.Run("apply.txt", c =>
    {
        int split = c.Input.IndexOf("edit:", StringComparison.Ordinal);
        Assert.True(split >= 0, $"case at line {c.Line} has no 'edit:' line");
        Version baseVersion = Version.Parse(c.Input[..split]);
        var builder = new VersionBuilder(baseVersion);
        builder.Apply(VersionEdit.Parse(c.Input[(split + 5)..]));
        Version result = builder.Build(onDead: null);
        result.AssertInvariants();
        return result.ToString();
    });

    [Fact]
    public void Replay() => DataDriven.Run("replay.txt", c =>
    {
        var fs = new InMemoryFileSystem();
        fs.CreateDirectory("/db");
        string[] edits = c.Input.Split("\n--\n");
        using (var writer = new LogWriter(fs.Create("/db/MANIFEST-000001")))
        {
            foreach (string text in edits)
            {
                writer.AddRecord(VersionEdit.Parse(text).Encode());
            }

            writer.Sync();
        }

        CurrentFile.Write(fs, "/db", 1);
        using VersionSet set = VersionSet.Recover(fs, "/db", new VersionSetOptions { VerifyTableFiles = false });
        return set.ToString();
    });
}
