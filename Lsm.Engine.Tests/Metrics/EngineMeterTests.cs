using System.Diagnostics.Metrics;
using System.Globalization;
using Lsm.Engine.IO;

namespace Lsm.Engine.Tests.Metrics;

/// <summary>
/// The <c>Lsm.Engine</c> meter seen as <c>dotnet-counters</c> or OpenTelemetry see it, through a
/// <see cref="MeterListener"/>: its instruments publish each open database's tickers and properties, tagged with the
/// database and the column family, and stop when the database is disposed.
/// </summary>
public sealed class EngineMeterTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");

    /// <summary>One collection of every instrument, kept for the measurements of one database.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _db;
        private readonly List<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = [];

        public Recorder(string db)
        {
            _db = db;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Lsm.Engine")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var map = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    map[tag.Key] = tag.Value;
                }

                if (Equals(map.GetValueOrDefault("db"), _db))
                {
                    lock (_measurements)
                    {
                        _measurements.Add((instrument.Name, value, map));
                    }
                }
            });
            _listener.Start();
        }

        public List<(string Instrument, long Value, Dictionary<string, object?> Tags)> Collect()
        {
            lock (_measurements)
            {
                _measurements.Clear();
            }

            _listener.RecordObservableInstruments();
            lock (_measurements)
            {
                return [.. _measurements];
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    private static long Single(List<(string Instrument, long Value, Dictionary<string, object?> Tags)> measurements, string instrument, params (string Key, object Value)[] tags) =>
        Assert.Single(measurements, m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Value;

    [Fact]
    public void Instruments_PublishTickersAndPropertiesOfEachDatabase_UntilDisposed()
    {
        string path = "/meter-" + Guid.NewGuid().ToString("N");
        using var recorder = new Recorder(path);
        var db = LsmDb.Open(path, new DbOptions
        {
            CreateIfMissing = true,
            FileSystem = new InMemoryFileSystem(),
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { DisableAutoCompactions = true },
        });
        try
        {
            ColumnFamilyHandle users = db.CreateColumnFamily("users");
            for (int i = 0; i < 50; i++)
            {
                db.Put(Key(i), new byte[20]);
            }

            db.Flush();
            for (int i = 50; i < 80; i++)
            {
                db.Put(users, Key(i), new byte[20]);
            }

            for (int i = 0; i < 20; i++)
            {
                Assert.NotNull(db.Get(Key(i)));
            }

            var measured = recorder.Collect();
            Assert.Equal(80, Single(measured, "lsm.db.keys.written"));
            Assert.Equal(20, Single(measured, "lsm.db.keys.read"));
            Assert.Equal(20 * 20, Single(measured, "lsm.db.bytes.read"));
            Assert.Equal(20, Single(measured, "lsm.memtable.misses"));
            Assert.Equal(20, Single(measured, "lsm.bloom_filter.true_positives"));
            Assert.Equal(db.GetStatistics().BytesFlushed, Single(measured, "lsm.flush.bytes_written"));
            Assert.True(Single(measured, "lsm.flush.bytes_written") > 0);

            // Per family: the default family's table at level 0, the other's memtable.
            (string, object) defaultCf = ("column_family", "default");
            (string, object) usersCf = ("column_family", "users");
            Assert.Equal(1, Single(measured, "lsm.sst.files", defaultCf, ("level", 0)));
            Assert.Equal(0, Single(measured, "lsm.sst.files", defaultCf, ("level", 1)));
            Assert.Equal(7, measured.Count(m => m.Instrument == "lsm.sst.files" && Equals(m.Tags["column_family"], "users")));
            Assert.Equal(Long(db.GetProperty("rocksdb.live-sst-files-size")), Single(measured, "lsm.sst.size", defaultCf));
            Assert.Equal(0, Single(measured, "lsm.sst.size", usersCf));
            long usersMemtable = Single(measured, "lsm.memtable.size", usersCf);
            Assert.Equal(Long(db.GetProperty("rocksdb.size-all-mem-tables", users)), usersMemtable);
            Assert.True(usersMemtable > 30 * 20, $"users memtable {usersMemtable}");
            Assert.Equal(TableOptions.DefaultBlockCacheCapacity, Single(measured, "lsm.block_cache.capacity", defaultCf));
            Assert.Equal(0, Single(measured, "lsm.flush.running"));
            Assert.Equal(0, Single(measured, "lsm.write.stopped"));
            Assert.Equal(0, Single(measured, "lsm.background.errors"));
            Assert.Equal(4, measured.Count(m => m.Instrument == "lsm.block_cache.hits")); // data, index, filter, other
        }
        finally
        {
            db.Dispose();
        }

        Assert.Empty(recorder.Collect()); // unregistered
    }

    [Fact]
    public async Task Collection_WhileDatabasesOpenAndClose_NeverThrows()
    {
        string prefix = "/meter-churn-" + Guid.NewGuid().ToString("N");
        using var recorder = new Recorder(prefix);
        var fs = new InMemoryFileSystem();
        using var stop = new CancellationTokenSource();
        Task churn = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested && i < 200; i++)
            {
                using var db = LsmDb.Open(prefix + (i % 3).ToString(CultureInfo.InvariantCulture), new DbOptions { CreateIfMissing = true, FileSystem = fs });
                db.Put(Key(i), Key(i));
            }
        });

        int collections = 0;
        while (!churn.IsCompleted)
        {
            recorder.Collect(); // would throw an AggregateException if a callback threw
            collections++;
        }

        await churn;
        Assert.True(collections > 0);
    }

    private static long Long(string? text) => long.Parse(text!, CultureInfo.InvariantCulture);
}
