using Lsm.Tool;

namespace Lsm.Engine.Tests.Tool;

/// <summary>What one run of the command line gave: its exit code and everything it printed.</summary>
public sealed record LsmResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs <c>lsm</c> in-process through <see cref="LsmCli.Run"/>, exactly as the executable does.</summary>
public static class LsmRun
{
    public static LsmResult Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = LsmCli.Run(args, stdout, stderr);
        return new LsmResult(code, stdout.ToString(), stderr.ToString());
    }
}
