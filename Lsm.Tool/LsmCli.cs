using System.CommandLine;
using System.CommandLine.Parsing;
using Lsm.Engine;

namespace Lsm.Tool;

/// <summary>
/// The <c>lsm</c> command line: builds the command tree and runs it against the given writers, so that
/// <c>Program</c> and the tests drive exactly the same code.
/// </summary>
public static class LsmCli
{
    /// <summary>Parses <paramref name="args"/> and runs the command, writing to the given writers.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <returns>The exit code: see <see cref="ExitCodes"/>.</returns>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        RootCommand root = BuildRootCommand(stdout, stderr);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (ParseError error in parse.Errors)
            {
                stderr.WriteLine("lsm: " + error.Message);
            }

            stderr.WriteLine($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
        };
        return parse.Invoke(configuration);
    }

    /// <summary>Builds the command tree; the actions write to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <returns>The root command.</returns>
    public static RootCommand BuildRootCommand(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("lsm: inspect, verify and write LsmEngine and RocksDB files.");
        root.Subcommands.Add(SstCommands.Build(stdout, stderr));
        root.Subcommands.Add(WalCommands.Build(stdout, stderr));
        root.Subcommands.Add(ManifestCommands.Build(stdout, stderr));
        root.Subcommands.Add(DbCommands.Build(stdout, stderr));
        return root;
    }

    /// <summary>
    /// Runs <paramref name="body"/>, turning every failure into a one-line message on
    /// <paramref name="stderr"/> and an exit code: never a stack trace.
    /// </summary>
    /// <param name="stderr">Where the message goes.</param>
    /// <param name="path">The file the command works on, named in messages.</param>
    /// <param name="body">The command.</param>
    /// <returns>The body's exit code, or the failure's.</returns>
    internal static int Guard(TextWriter stderr, string path, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CorruptionException e)
        {
            string file = string.IsNullOrEmpty(path) ? e.FilePath ?? "?" : path;
            stderr.WriteLine(e.Offset >= 0
                ? Output.Invariant($"corruption: {file} at offset {e.Offset}: {e.Reason}")
                : $"corruption: {file}: {e.Reason}");
            return ExitCodes.Failed;
        }
        catch (NotSupportedException e)
        {
            stderr.WriteLine($"not supported: {path}: {e.Message}");
            return ExitCodes.NotSupported;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            stderr.WriteLine($"error: {path}: no such file");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {path}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
#pragma warning disable CA1031 // The tool's contract: errors are messages, never stack traces.
        catch (Exception e)
#pragma warning restore CA1031
        {
            stderr.WriteLine($"internal error: {path}: {e.GetType().Name}: {e.Message}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>Fails early, with a clear message, when <paramref name="path"/> is not an existing file.</summary>
    /// <param name="stderr">Where the message goes.</param>
    /// <param name="path">The file.</param>
    /// <returns>True when the file exists.</returns>
    internal static bool RequireFile(TextWriter stderr, string path)
    {
        if (File.Exists(path))
        {
            return true;
        }

        stderr.WriteLine(Directory.Exists(path) ? $"error: {path}: is a directory, not a file" : $"error: {path}: no such file");
        return false;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is CommandResult c; r = c.Parent)
        {
            if (c.Command is not RootCommand)
            {
                names.Insert(0, c.Command.Name);
            }
        }

        names.Insert(0, "lsm");
        return string.Join(' ', names);
    }
}
