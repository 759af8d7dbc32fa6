using Lsm.Engine.Compaction.Pickers;
using System.Diagnostics;
using Lsm.Engine.Encoding;
using Lsm.Engine.Iterators;
using Lsm.Engine.Table;
using Lsm.Engine.Versions;

namespace Lsm.Engine.Compaction;

/// <summary>
/// Runs one compaction: merges the input files, garbage-collects them through <see cref="CompactionIterator"/>, and
/// writes the survivors to new tables of the output level, split at the target file size; returns the
/// <see cref="VersionEdit"/> that swaps the inputs for the outputs. RocksDB's <c>CompactionJob</c>, minus subcompactions.
/// </summary>
/// <remarks>
/// <para>
/// <b>Outputs.</b> A new output is started once the current one reaches the target size and the user key changes, so
/// all versions of a key share one file and the outputs are sorted and disjoint, range tombstones included (see
/// <see cref="CompactionRangeTombstones"/>). A compaction whose only survivors are range tombstones writes one file
/// holding them; one with no survivors at all writes none. Each output is synced, then the directory once.
/// Output files carry the inputs' smallest epoch number (the outputs hold nothing newer than the inputs' newest) and
/// oldest ancestor time, as RocksDB's do.
/// </para>
/// <para>
/// <b>Failure and cancellation.</b> Any exception (an I/O error, corruption in an input, a failing merge operator or
/// compaction filter, or <see cref="OperationCanceledException"/> when the token is cancelled, checked once per
/// output entry and once per key resolved) deletes the outputs created so far and propagates: nothing is left to
/// install. Deleting is best effort; a file whose deletion fails is not in any version, so the database's
/// obsolete-file cleanup removes it later.
/// </para>
/// <para>Runs on the calling thread without the database mutex; the inputs must stay alive (a held version) meanwhile.</para>
/// </remarks>
internal sealed class CompactionJob
{
    private readonly CompactionJobOptions _options;
    private readonly InternalKeyComparator _order;

    public CompactionJob(CompactionJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Inputs.Count == 0)
        {
            throw new ArgumentException("A compaction needs at least one input level.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.OutputLevel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TargetFileSize);
        options.TableOptions.Validate();
        _options = options;
        _order = new InternalKeyComparator(options.TableOptions.Comparator);
    }

    /// <summary>Runs the compaction; see the type's remarks for failure and cancellation.</summary>
    public CompactionResult Run(CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var stats = new CompactionStats();
        var edit = new VersionEdit { ColumnFamily = _options.ColumnFamilyId };
        var outputs = new List<FileMetadata>();
        var created = new List<string>();
        CompactionOutput? current = null;
        try
        {
            (IInternalIterator input, List<RangeTombstone> tombstoneList, ulong epoch, ulong oldestAncester) = OpenInputs(edit, stats);
            var tombstones = new CompactionRangeTombstones(
                _options.TableOptions.Comparator, tombstoneList, _options.Snapshots, _options.Bottommost, stats);
            int filterLevel = int.MaxValue;
            foreach (CompactionInputLevel level in _options.Inputs)
            {
                filterLevel = Math.Min(filterLevel, level.Level);
            }

            ulong now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            oldestAncester = oldestAncester == 0 ? now : oldestAncester;
            KeyComparator comparator = _options.TableOptions.Comparator;
            using var iterator = new CompactionIterator(
                input, comparator, _options.Snapshots, _options.MergeOperator, tombstones.All, _options.Bottommost,
                _options.CompactionFilter, filterLevel, stats, cancellationToken);
            byte[]? lower = null; // the current output's first user key; null for the first output
            for (iterator.SeekToFirst(); iterator.Valid; iterator.Next())
            {
                cancellationToken.ThrowIfCancellationRequested();
                ReadOnlySpan<byte> key = iterator.Key;
                if (current is not null && current.EstimatedSize >= _options.TargetFileSize
                    && comparator.Compare(InternalKey.UserKey(key), current.LastUserKey) != 0)
                {
                    byte[] upper = InternalKey.UserKey(key).ToArray();
                    outputs.Add(FinishOutput(current, tombstones, lower, upper, epoch, oldestAncester, now, stats));
                    current.Dispose();
                    current = null;
                    lower = upper;
                }

                current ??= OpenOutput(created, oldestAncester, now);
                current.Add(key, iterator.Value);
            }

            cancellationToken.ThrowIfCancellationRequested(); // a cancellation during the last key still installs nothing

            if (current is null && tombstones.Count > 0)
            {
                current = OpenOutput(created, oldestAncester, now);
            }

            if (current is not null)
            {
                outputs.Add(FinishOutput(current, tombstones, lower, null, epoch, oldestAncester, now, stats));
                current.Dispose();
                current = null;
            }

            if (outputs.Count > 0)
            {
                _options.FileSystem.SyncDirectory(_options.DbPath);
            }
        }
        catch
        {
            current?.Dispose();
            DeleteOutputs(created);
            throw;
        }

        foreach (FileMetadata output in outputs)
        {
            edit.AddFile(_options.OutputLevel, output);
        }

        stats.Elapsed = stopwatch.Elapsed;
        return new CompactionResult(edit, outputs, stats);
    }

    /// <summary>
    /// Merges the inputs (one iterator per level-0 file, one per sorted level), collects their range tombstones and
    /// records their deletion in <paramref name="edit"/>.
    /// </summary>
    private (IInternalIterator Input, List<RangeTombstone> Tombstones, ulong Epoch, ulong OldestAncester) OpenInputs(
        VersionEdit edit, CompactionStats stats)
    {
        var children = new List<IInternalIterator>();
        var tombstones = new List<RangeTombstone>();
        ulong epoch = ulong.MaxValue;
        ulong oldestAncester = ulong.MaxValue;
        foreach (CompactionInputLevel level in _options.Inputs)
        {
            foreach (FileMetadata file in level.Files)
            {
                TableReader reader = _options.OpenTable(file);
                tombstones.AddRange(reader.RangeTombstones);
                if (level.Level == 0)
                {
                    children.Add(reader.NewIterator(fillCache: false));
                }

                edit.DeleteFile(level.Level, file.FileNumber);
                stats.InputFiles++;
                stats.BytesRead += (long)file.FileSize;
                epoch = Math.Min(epoch, file.EpochNumber);
                if (file.OldestAncesterTime != 0)
                {
                    oldestAncester = Math.Min(oldestAncester, file.OldestAncesterTime);
                }
            }

            if (level.Level != 0 && level.Files.Count > 0)
            {
                children.Add(new LevelIterator(level.Files, _order, file => _options.OpenTable(file), fillCache: false));
            }
        }

        return (new MergingIterator(_order, [.. children]), tombstones,
            epoch == ulong.MaxValue ? 0 : epoch, oldestAncester == ulong.MaxValue ? 0 : oldestAncester);
    }

    private CompactionOutput OpenOutput(List<string> created, ulong oldestAncester, ulong now)
    {
        ulong fileNumber = _options.NewFileNumber();
        string path = Path.Join(_options.DbPath, DbFileName.Table(fileNumber));
        var context = new TableBuilderContext(
            _options.ColumnFamilyId, _options.ColumnFamilyName, _options.MergeOperator?.Name ?? "nullptr",
            _options.DbId, _options.SessionId, fileNumber, IsExternal: false)
        {
            CreationTime = oldestAncester,
            FileCreationTime = now,
        };

        // Recorded before the file exists, so a failure while creating it still deletes whatever it left.
        created.Add(path);
        return new CompactionOutput(_options.FileSystem, path, fileNumber, _options.TableOptions, context);
    }

    private FileMetadata FinishOutput(
        CompactionOutput output, CompactionRangeTombstones tombstones, byte[]? lower, byte[]? upper,
        ulong epoch, ulong oldestAncester, ulong now, CompactionStats stats)
    {
        stats.RangeTombstonesWritten += tombstones.WriteTo(output, lower, upper);
        TableProperties properties = output.Finish();
        stats.OutputFiles++;
        stats.BytesWritten += (long)output.FileSize;
        return new FileMetadata
        {
            FileNumber = output.FileNumber,
            FileSize = output.FileSize,
            UniqueId = SstUniqueId.Compute(_options.DbId, _options.SessionId, output.FileNumber),
            Smallest = output.Smallest,
            Largest = output.Largest,
            SmallestSequence = properties.SmallestSequence ?? 0,
            LargestSequence = properties.LargestSequence ?? 0,
            EpochNumber = epoch,
            OldestAncesterTime = oldestAncester,
            FileCreationTime = now,
        };
    }

    private void DeleteOutputs(List<string> created)
    {
        foreach (string path in created)
        {
            try
            {
                if (_options.FileSystem.FileExists(path))
                {
                    _options.FileSystem.Delete(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not in any version: the database's obsolete-file cleanup deletes it later.
            }
        }
    }
}
