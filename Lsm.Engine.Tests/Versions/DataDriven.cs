using System.Runtime.CompilerServices;
using System.Text;

namespace Lsm.Engine.Tests.Versions;

/// <summary>
/// A small runner for text-in, text-out tests (after pebble's datadriven). A file holds cases:
/// <code>
/// # comment
/// command name
/// input lines
/// ----
/// expected output lines
/// (blank line)
/// </code>
/// Set LSM_REWRITE_TESTDATA=1 to rewrite every expectation with the actual output instead of comparing.
/// </summary>
internal static class DataDriven
{
    public sealed record Case(string Command, string Name, string Input, string Expected, int Line);

    /// <summary>Runs every case of <paramref name="file"/> (under testdata/) through <paramref name="run"/>.</summary>
    public static void Run(string file, Func<Case, string> run, [CallerFilePath] string sourceFile = "")
    {
        string path = Locate(file, sourceFile);
        List<Case> cases = ParseCases(File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal));
        bool rewrite = Environment.GetEnvironmentVariable("LSM_REWRITE_TESTDATA") == "1";
        var failures = new StringBuilder();
        var output = new StringBuilder();
        foreach (Case c in cases)
        {
            string actual;
            try
            {
                actual = run(c).Trim();
            }
            catch (Exception e) when (e is InvalidOperationException or CorruptionException or FormatException or ArgumentException)
            {
                actual = "error: " + e.Message;
            }

            output.Append(c.Command).Append(' ').Append(c.Name).Append('\n').Append(c.Input).Append("\n----\n").Append(actual).Append("\n\n");
            if (!rewrite && actual != c.Expected)
            {
                failures.Append(System.Globalization.CultureInfo.InvariantCulture, $"{file}:{c.Line} {c.Command} {c.Name}\n--- expected\n{c.Expected}\n--- actual\n{actual}\n\n");
            }
        }

        if (rewrite)
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(sourceFile)!, "testdata", file), output.ToString().TrimEnd('\n') + "\n");
            return;
        }

        Assert.True(cases.Count > 0, $"{file} holds no case");
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static string Locate(string file, string sourceFile)
    {
        string nextToSource = Path.Combine(Path.GetDirectoryName(sourceFile) ?? "", "testdata", file);
        if (File.Exists(nextToSource))
        {
            return nextToSource;
        }

        return Path.Combine(AppContext.BaseDirectory, "Versions", "testdata", file);
    }

    private static List<Case> ParseCases(string text)
    {
        var cases = new List<Case>();
        string[] lines = text.Split('\n');
        int i = 0;
        while (i < lines.Length)
        {
            string line = lines[i];
            if (line.Trim().Length == 0 || line.StartsWith('#'))
            {
                i++;
                continue;
            }

            int start = i + 1;
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string command = space < 0 ? line.Trim() : line[..space];
            string name = space < 0 ? "" : line[(space + 1)..].Trim();
            var input = new List<string>();
            i++;
            while (i < lines.Length && lines[i] != "----")
            {
                input.Add(lines[i]);
                i++;
            }

            i++; // ----
            var expected = new List<string>();
            while (i < lines.Length && lines[i].Trim().Length > 0)
            {
                expected.Add(lines[i]);
                i++;
            }

            cases.Add(new Case(command, name, string.Join('\n', input).Trim(), string.Join('\n', expected).Trim(), start));
        }

        return cases;
    }
}
