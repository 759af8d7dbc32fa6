using System.Diagnostics;
using static System.FormattableString;

namespace Lsm.Engine.Bench;

/// <summary>
/// The end-to-end demo: write an SST of 100,000 entries, reopen it, inspect it, verify it, scan it,
/// look every key up, probe absent keys, and measure the Bloom filter's false-positive rate.
/// </summary>
/// <remarks>
/// Present keys are <c>key%013d</c> of the even numbers 0, 2, ..., 199,998 and absent keys those of the odd
/// numbers, so every absent key falls between two present ones: a filter false positive costs a real
/// index seek and data block read. Returns 0 when every check passes, 1 otherwise.
/// </remarks>
internal static class Demo
{
    private const int Entries = 100_000;
    private const int WarmUpEntries = 20_000;

    public static int Run()
    {
        var total = Stopwatch.StartNew();
        string directory = Path.Combine(Path.GetTempPath(), "lsm-demo-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        int failures = 0;
        try
        {
            // A quiet warm-up round on a small table first, so that the timings below are of optimized
            // code rather than of the JIT's first tier; its checks count all the same.
            var warmUp = Stopwatch.StartNew();
            failures += Exercise(Path.Combine(directory, "warmup.sst"), WarmUpEntries, TextWriter.Null);
            Thread.Sleep(200); // lets the background JIT finish promoting the hot methods
            Console.WriteLine(Invariant($"Warm-up: {WarmUpEntries:N0} entries written, read and queried in {warmUp.Elapsed.TotalMilliseconds:0} ms (not reported)"));
            Console.WriteLine();
            failures += Exercise(Path.Combine(directory, "000001.sst"), Entries, Console.Out);
            failures += MeasureFilter();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine(Invariant($"Removed {directory}"));
        Console.WriteLine(Invariant($"Total time {total.Elapsed.TotalSeconds:0.00} s: {(failures == 0 ? "all checks passed" : $"{failures} check(s) FAILED")}"));
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Writes a table of <paramref name="entries"/> entries at <paramref name="path"/> and checks it, reporting to <paramref name="output"/>.</summary>
    private static int Exercise(string path, int entries, TextWriter output)
    {
        int failures = 0;
        byte[] pool = BenchData.ValuePool(seed: 42);
        Span<byte> key = stackalloc byte[BenchData.KeyLength];
        var options = new TableOptions { Compression = CompressionType.Lz4, BloomBitsPerKey = 10 };

        // Write.
        var stopwatch = Stopwatch.StartNew();
        TableProperties written;
        using (var writer = new SstFileWriter(path, options))
        {
            for (int i = 0; i < entries; i++)
            {
                BenchData.FormatKey(key, 2L * i);
                writer.Put(key, BenchData.ValueOf(pool, i));
            }

            written = writer.Finish();
        }

        TimeSpan writeTime = stopwatch.Elapsed;
        long rawBytes = (long)entries * (BenchData.KeyLength + BenchData.ValueLength);
        output.WriteLine(Invariant($"Wrote {path}"));
        output.WriteLine(Invariant(
            $"  {entries:N0} entries ({BenchData.KeyLength}-byte keys, {BenchData.ValueLength}-byte values), LZ4, Bloom {options.BloomBitsPerKey} bits/key, {options.Checksum} checksums, format {options.FormatVersion}"));
        output.WriteLine(Invariant(
            $"  write: {writeTime.TotalMilliseconds:0} ms ({entries / writeTime.TotalSeconds:N0} entries/s, {rawBytes / writeTime.TotalSeconds / 1e6:0.0} MB/s of keys+values), fsync included"));
        failures += Check(output, written.NumEntries == (ulong)entries, "Finish reports every entry");

        using SstFile sst = SstFile.Open(path);

        // Footer and properties.
        SstFooterInfo footer = sst.Footer;
        TableProperties p = sst.Properties;
        output.WriteLine();
        output.WriteLine(Invariant($"Reopened: {sst.FileSize:N0} bytes"));
        output.WriteLine(Invariant(
            $"  footer: format version {footer.FormatVersion}, checksum {footer.Checksum}, metaindex @{footer.MetaindexOffset} ({footer.MetaindexSize} B), index @{footer.IndexOffset} ({footer.IndexSize:N0} B), base context checksum 0x{footer.BaseContextChecksum:x8}, footer @{footer.FooterOffset:N0}"));
        output.WriteLine(Invariant(
            $"  properties: entries {p.NumEntries:N0}, data blocks {p.NumDataBlocks:N0}, data size {p.DataSize:N0} B, index size {p.IndexSize:N0} B, filter size {p.FilterSize:N0} B"));
        output.WriteLine(Invariant(
            $"              raw key size {p.RawKeySize:N0} B, raw value size {p.RawValueSize:N0} B, compression '{p.CompressionName}', filter policy '{p.FilterPolicyName}', comparator '{p.ComparatorName}'"));
        if (sst.Filter is SstFilterInfo filter)
        {
            output.WriteLine(Invariant(
                $"  filter: {filter.MetaBlockName}, {filter.Kind}, {filter.SizeBytes:N0} B, {filter.NumProbes} probes, used: {filter.Used}"));
        }
        else
        {
            failures += Check(output, false, "the table has a filter");
        }

        failures += Check(output, p.NumEntries == (ulong)entries, "properties count every entry");

        // Blocks.
        stopwatch.Restart();
        IReadOnlyList<SstBlockInfo> blocks = sst.ReadBlocks();
        TimeSpan blocksTime = stopwatch.Elapsed;
        int dataBlocks = 0;
        long stored = 0;
        long uncompressed = 0;
        int lz4Blocks = 0;
        foreach (SstBlockInfo block in blocks)
        {
            if (block.Kind == "data")
            {
                dataBlocks++;
                stored += block.Size;
                uncompressed += block.UncompressedSize;
                lz4Blocks += block.Compression == CompressionType.Lz4 ? 1 : 0;
            }
        }

        output.WriteLine(Invariant(
            $"  blocks: {blocks.Count:N0} in all, {dataBlocks:N0} data ({lz4Blocks:N0} LZ4), data {uncompressed:N0} B -> {stored:N0} B stored ({(double)stored / uncompressed:P1}), listed in {blocksTime.TotalMilliseconds:0} ms"));
        failures += Check(output, (ulong)dataBlocks == p.NumDataBlocks, "block list matches rocksdb.num.data.blocks");

        // Checksums.
        stopwatch.Restart();
        sst.VerifyChecksums();
        output.WriteLine(Invariant($"  checksums: every block verified in {stopwatch.Elapsed.TotalMilliseconds:0} ms"));

        // Scan.
        stopwatch.Restart();
        long scanned = 0;
        long scannedBytes = 0;
        bool inOrder = true;
        using (SstIterator it = sst.NewIterator())
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                BenchData.FormatKey(key, 2L * scanned);
                inOrder &= it.UserKey.SequenceEqual(key) && it.Value.SequenceEqual(BenchData.ValueOf(pool, scanned));
                scannedBytes += it.InternalKey.Length + it.Value.Length;
                scanned++;
            }
        }

        TimeSpan scanTime = stopwatch.Elapsed;
        output.WriteLine();
        output.WriteLine(Invariant(
            $"Scan: {scanned:N0} entries in {scanTime.TotalMilliseconds:0} ms ({scanned / scanTime.TotalSeconds:N0} entries/s, {scannedBytes / scanTime.TotalSeconds / 1e6:0.0} MB/s)"));
        failures += Check(output, scanned == entries && inOrder, "the scan returns every key and value, in order");

        // Point lookups: every key.
        stopwatch.Restart();
        int found = 0;
        bool valuesMatch = true;
        for (int i = 0; i < entries; i++)
        {
            BenchData.FormatKey(key, 2L * i);
            if (sst.TryGet(key, out ValueKind kind, out byte[] value))
            {
                found++;
                valuesMatch &= kind == ValueKind.Value && value.AsSpan().SequenceEqual(BenchData.ValueOf(pool, i));
            }
        }

        TimeSpan presentTime = stopwatch.Elapsed;
        output.WriteLine(Invariant(
            $"Point lookups, present keys: {found:N0} of {entries:N0} found in {presentTime.TotalMilliseconds:0} ms ({presentTime.TotalMicroseconds / entries:0.00} us each)"));
        failures += Check(output, found == entries && valuesMatch, "every key is found with its value");

        // Point lookups: absent keys, between the present ones.
        stopwatch.Restart();
        int rejected = 0;
        int wronglyFound = 0;
        for (int i = 0; i < entries; i++)
        {
            BenchData.FormatKey(key, (2L * i) + 1);
            if (!sst.KeyMayMatch(key))
            {
                rejected++;
            }

            if (sst.TryGet(key, out _, out _))
            {
                wronglyFound++;
            }
        }

        TimeSpan absentTime = stopwatch.Elapsed;
        int passed = entries - rejected;
        output.WriteLine(Invariant(
            $"Point lookups, absent keys:  {wronglyFound:N0} of {entries:N0} found in {absentTime.TotalMilliseconds:0} ms ({absentTime.TotalMicroseconds / entries:0.00} us each)"));
        output.WriteLine(Invariant(
            $"  the filter rejected {rejected:N0} ({(double)rejected / entries:P2}); {passed:N0} false positives ({(double)passed / entries:P3}) went on to read a data block"));
        failures += Check(output, wronglyFound == 0, "no absent key is found");

        output.WriteLine();
        return failures;
    }

    /// <summary>The Bloom filter's false-positive rate, on the filter alone.</summary>
    private static int MeasureFilter()
    {
        int failures = 0;
        int keys = FalsePositiveRate.DefaultKeys;
        Console.WriteLine(Invariant($"Bloom filter false-positive rate: {keys:N0} keys added, {keys:N0} absent keys probed"));
        FalsePositiveRate.PrintHeader();
        foreach (double bits in FalsePositiveRate.DefaultBitsPerKey)
        {
            FprResult result = FalsePositiveRate.Measure(bits, keys);
            FalsePositiveRate.Print(result);
            failures += Check(Console.Out, result.FalseNegatives == 0, Invariant($"no false negatives at {bits} bits/key"));
        }

        Console.WriteLine();
        return failures;
    }

    private static int Check(TextWriter output, bool condition, string what)
    {
        if (condition)
        {
            return 0;
        }

        output.WriteLine("  CHECK FAILED: " + what);
        return 1;
    }
}
