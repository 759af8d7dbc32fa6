using System.Diagnostics.Metrics;

namespace Lsm.Engine.Metrics;

/// <summary>
/// The engine's one <see cref="Meter"/>, named <c>Lsm.Engine</c>, and the databases it reports on: every open
/// <see cref="LsmDb"/> registers at open and unregisters at dispose, so <c>dotnet-counters</c> and OpenTelemetry read
/// every database of the process with no code from the user. The instruments are those of
/// <see cref="EngineInstruments"/> (docs/metrics.md lists them).
/// </summary>
/// <remarks>
/// Thread safety: registration takes a lock and swaps in a new array; the instruments' callbacks read the array
/// without a lock. A database disposed while a callback reads it is skipped (its readers answer false once disposed).
/// Databases are held weakly, so one never disposed (a bug of its user) is still collected once unreachable.
/// </remarks>
internal static class EngineMeter
{
    /// <summary>The meter's name, for <c>dotnet-counters --counters</c> and OpenTelemetry's <c>AddMeter</c>.</summary>
    public const string Name = "Lsm.Engine";

    private static readonly Lock Gate = new();
    private static WeakReference<LsmDb>[] _databases = [];

    /// <summary>The meter; its instruments exist from the first registration on.</summary>
    public static Meter Meter { get; } = CreateMeter();

    /// <summary>Adds an open database to those reported.</summary>
    public static void Register(LsmDb db)
    {
        lock (Gate)
        {
            var kept = new List<WeakReference<LsmDb>>(_databases.Length + 1);
            foreach (WeakReference<LsmDb> entry in _databases)
            {
                if (entry.TryGetTarget(out _))
                {
                    kept.Add(entry);
                }
            }

            kept.Add(new WeakReference<LsmDb>(db));
            Volatile.Write(ref _databases, [.. kept]);
        }
    }

    /// <summary>Stops reporting a database (idempotent).</summary>
    public static void Unregister(LsmDb db)
    {
        lock (Gate)
        {
            var kept = new List<WeakReference<LsmDb>>(_databases.Length);
            foreach (WeakReference<LsmDb> entry in _databases)
            {
                if (entry.TryGetTarget(out LsmDb? other) && !ReferenceEquals(other, db))
                {
                    kept.Add(entry);
                }
            }

            Volatile.Write(ref _databases, [.. kept]);
        }
    }

    /// <summary>The databases registered now, for the instruments' callbacks.</summary>
    public static List<LsmDb> Databases()
    {
        WeakReference<LsmDb>[] entries = Volatile.Read(ref _databases);
        var databases = new List<LsmDb>(entries.Length);
        foreach (WeakReference<LsmDb> entry in entries)
        {
            if (entry.TryGetTarget(out LsmDb? db))
            {
                databases.Add(db);
            }
        }

        return databases;
    }

    private static Meter CreateMeter()
    {
        var meter = new Meter(Name, typeof(EngineMeter).Assembly.GetName().Version?.ToString(3));
        EngineInstruments.Create(meter);
        return meter;
    }
}
