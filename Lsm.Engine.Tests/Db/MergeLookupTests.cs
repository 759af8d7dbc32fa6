using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Db;

/// <summary>Get folds merge operands exactly as iteration does, wherever the operands and their base live.</summary>
public sealed class MergeLookupTests
{
    private static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static TheoryData<string> Shapes() => new() { "P D M M", "P F D M F M", "D F M M", "P F D F M F M", "M F M", "P M F D M", "D M F M F" };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Get_AgreesWithIterator_ForMergesOverDeletes(string shape)
    {
        var fs = new InMemoryFileSystem();
        using var db = LsmDb.Open("/db", new DbOptions
        {
            CreateIfMissing = true,
            FileSystem = fs,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = new StringAppendOperator() },
        });
        int n = 0;
        foreach (string op in shape.Split(' '))
        {
            switch (op)
            {
                case "P": db.Put(B("k"), B("base")); break;
                case "D": db.Delete(B("k")); break;
                case "M": db.Merge(B("k"), B($"m{n++}")); break;
                case "F": db.Flush(); break;
            }
        }

        using LsmIterator it = db.NewIterator();
        it.SeekToFirst();
        string? fromIterator = it.Valid ? System.Text.Encoding.UTF8.GetString(it.Value) : null;
        byte[]? got = db.Get(B("k"));
        Assert.Equal(fromIterator, got is null ? null : System.Text.Encoding.UTF8.GetString(got));
        Assert.DoesNotContain(",,", fromIterator ?? "", StringComparison.Ordinal);
        Assert.False(fromIterator?.StartsWith(',') ?? false, fromIterator);
    }
}
