using System.Globalization;
using Lsm.Engine.Compaction.Pickers;
using Lsm.Engine.Encoding;
using Lsm.Engine.Versions;
using Version = Lsm.Engine.Versions.Version;

namespace Lsm.Engine.Tests.Compaction.Pickers;

/// <summary>
/// Seeded random LSM shapes and options for the picker properties, and a simulated compaction that applies a
/// plan to a version (inputs out, one output file covering their range in, or the inputs re-recorded for a
/// trivial move), so that picks can be driven to completion without I/O.
/// </summary>
internal static class RandomShapes
{
    public static string Key(int i) => "k" + i.ToString("D2", CultureInfo.InvariantCulture);

    public static byte[] UserKey(int i) => System.Text.Encoding.UTF8.GetBytes(Key(i));

    public static ColumnFamilyOptions Options(Random r, CompactionStyle style) => new()
    {
        CompactionStyle = style,
        CompactionPri = r.Next(3) == 0 ? CompactionPriority.RoundRobin : CompactionPriority.MinOverlappingRatio,
        LevelCompactionDynamicLevelBytes = r.Next(2) == 0,
        Level0FileNumCompactionTrigger = r.Next(1, 6),
        Level0SlowdownWritesTrigger = 20,
        Level0StopWritesTrigger = 36,
        MaxBytesForLevelBase = r.Next(500, 5000),
        MaxBytesForLevelMultiplier = r.Next(2, 11),
        TargetFileSizeBase = r.Next(100, 1000),
        TargetFileSizeMultiplier = r.Next(1, 3),
        MaxCompactionBytes = r.Next(2) == 0 ? 0 : r.Next(200, 20000),
        WriteBufferSize = 4096,
        CompactionOptionsUniversal = new UniversalCompactionOptions
        {
            SizeRatio = (uint)r.Next(0, 100),
            MinMergeWidth = (uint)r.Next(2, 4),
            MaxMergeWidth = r.Next(2) == 0 ? uint.MaxValue : (uint)r.Next(4, 8),
            MaxSizeAmplificationPercent = (uint)r.Next(25, 300),
            StopStyle = r.Next(3) == 0 ? UniversalStopStyle.SimilarSize : UniversalStopStyle.TotalSize,
            MaxReadAmp = r.Next(3) - 1,
            AllowTrivialMove = r.Next(2) == 0,
        },
    };

    /// <summary>A random shape: overlapping L0 files, and sorted levels whose neighbours sometimes share a user key.</summary>
    public static Version Version(Random r, CompactionStyle style)
    {
        var edit = new VersionEdit();
        ulong number = 1;
        ulong seq = 1_000_000;
        int l0 = r.Next(0, 9);
        for (int i = 0; i < l0; i++)
        {
            int a = r.Next(0, 60);
            int b = Math.Min(79, a + r.Next(0, 20));
            ulong l0Seq = 2_000_000 + ((ulong)i * 10);
            edit.AddFile(0, File(number++, a, b, l0Seq, l0Seq + 1, (ulong)r.Next(1, 3000), epoch: (ulong)(1000 + i)));
        }

        for (int level = 1; level < VersionSetOptions.DefaultNumLevels; level++)
        {
            // Universal levels are whole runs older than L0 and the levels above; leveled levels are sparse too.
            if (r.Next(100) < (style == CompactionStyle.Universal ? 35 : 55))
            {
                continue;
            }

            int key = r.Next(0, 10);
            int files = r.Next(1, 7);
            for (int i = 0; i < files && key < 80; i++)
            {
                int end = Math.Min(79, key + r.Next(0, 12));
                edit.AddFile(level, File(number++, key, end, seq, seq - 1, (ulong)r.Next(1, 20000), epoch: (ulong)(100 - level)));
                seq -= 10;

                // The next file starts on this file's last user key (a key split over two files) or after it.
                key = r.Next(4) == 0 ? end : end + 1 + r.Next(0, 5);
            }
        }

        var builder = new VersionBuilder(Lsm.Engine.Versions.Version.Empty(0, VersionSetOptions.DefaultNumLevels, InternalKeyComparator.Bytewise));
        builder.Apply(edit);
        return builder.Build(onDead: null);
    }

    private static FileMetadata File(ulong number, int a, int b, ulong smallestSeq, ulong largestSeq, ulong size, ulong epoch)
    {
        // Within one file the same user key may repeat; the largest key of a one-key file has the lower sequence.
        ulong s = smallestSeq, l = a == b ? Math.Min(smallestSeq, largestSeq) : largestSeq;
        if (a == b)
        {
            s = Math.Max(smallestSeq, largestSeq);
        }

        return FileMetadata.Create(number, size, InternalKey.Create(UserKey(a), s, ValueKind.Value), InternalKey.Create(UserKey(b), l, ValueKind.Value), epoch);
    }

    /// <summary>
    /// The version after <paramref name="plan"/> ran: inputs removed; for a trivial move the same files at the
    /// output level, otherwise one file spanning the inputs' range with their total size.
    /// </summary>
    public static Version Apply(Version version, CompactionPlan plan, ref ulong nextFileNumber)
    {
        var edit = new VersionEdit();
        foreach (CompactionInputLevel input in plan.Inputs)
        {
            foreach (FileMetadata f in input.Files)
            {
                edit.DeleteFile(input.Level, f.FileNumber);
            }
        }

        if (plan.IsTrivialMove)
        {
            foreach (FileMetadata f in plan.AllInputFiles())
            {
                edit.AddFile(plan.OutputLevel, f);
            }
        }
        else
        {
            ulong maxSeq = 0, minSeq = ulong.MaxValue, epoch = ulong.MaxValue;
            foreach (FileMetadata f in plan.AllInputFiles())
            {
                maxSeq = Math.Max(maxSeq, f.LargestSequence);
                minSeq = Math.Min(minSeq, f.SmallestSequence);
                epoch = Math.Min(epoch, f.EpochNumber);
            }

            edit.AddFile(plan.OutputLevel, new FileMetadata
            {
                FileNumber = nextFileNumber++,
                FileSize = plan.InputBytes,
                Smallest = InternalKey.Create(plan.SmallestUserKey, maxSeq, ValueKind.Value),
                Largest = InternalKey.Create(plan.LargestUserKey, minSeq, ValueKind.Value),
                SmallestSequence = minSeq,
                LargestSequence = maxSeq,
                EpochNumber = epoch,
            });
        }

        if (plan.NextCompactCursor is byte[] cursor)
        {
            edit.CompactCursors.Add((plan.StartLevel, cursor));
        }

        var builder = new VersionBuilder(version);
        builder.Apply(edit);
        return builder.Build(onDead: null);
    }
}
