using System.Globalization;
using Lsm.Engine.Tests.Db;

#pragma warning disable CA1050 // The runtime finds a startup hook by this exact name, in no namespace.

/// <summary>
/// A startup hook (the runtime calls <see cref="Initialize"/> before Main when <c>DOTNET_STARTUP_HOOKS</c> names this
/// assembly): turns the process into a <see cref="ProcessCrashChild"/> when its variables are set, and does nothing
/// otherwise.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(ProcessCrashChild.DirectoryVariable) is { Length: > 0 } path)
        {
            int seed = int.Parse(Environment.GetEnvironmentVariable(ProcessCrashChild.SeedVariable) ?? "0", CultureInfo.InvariantCulture);
            int start = int.Parse(Environment.GetEnvironmentVariable(ProcessCrashChild.StartVariable) ?? "0", CultureInfo.InvariantCulture);
            Environment.Exit(ProcessCrashChild.Run(path, seed, start));
        }
    }
}

#pragma warning restore CA1050
