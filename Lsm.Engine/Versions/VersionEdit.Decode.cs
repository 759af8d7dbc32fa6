using Lsm.Engine.Encoding;

namespace Lsm.Engine.Versions;

/// <summary>Decoding of MANIFEST records.</summary>
internal sealed partial class VersionEdit
{
    /// <summary>Decodes one MANIFEST record, RocksDB's or ours, in any format RocksDB has written.</summary>
    /// <param name="record">The record's bytes.</param>
    /// <param name="file">The MANIFEST, for error messages; may be null.</param>
    /// <param name="offset">The record's offset in <paramref name="file"/>, for error messages.</param>
    /// <returns>The edit.</returns>
    /// <exception cref="CorruptionException">The record does not decode (truncated field, bad length, bad value).</exception>
    /// <exception cref="NotSupportedException">
    /// The record uses a tag this engine does not know and that is not marked safe to ignore, or a file
    /// field marked as not ignorable: a feature of a newer RocksDB. The record's checksum held, so this is
    /// not damage; RocksDB itself reports it as corruption.
    /// </exception>
    public static VersionEdit Decode(ReadOnlySpan<byte> record, string? file, long offset)
    {
        var edit = new VersionEdit();
        var input = new FieldReader(record, file, offset);
        while (!input.AtEnd)
        {
            int fieldStart = input.Position;
            uint tag = input.Varint32("tag");
            switch ((ManifestTag)tag)
            {
                case ManifestTag.DbId:
                    edit.DbId = input.String("db id");
                    break;
                case ManifestTag.Comparator:
                    edit.Comparator = input.String("comparator name");
                    break;
                case ManifestTag.LogNumber:
                    edit.LogNumber = input.Varint64("log number");
                    break;
                case ManifestTag.PrevLogNumber:
                    edit.PrevLogNumber = input.Varint64("previous log number");
                    break;
                case ManifestTag.NextFileNumber:
                    edit.NextFileNumber = input.Varint64("next file number");
                    break;
                case ManifestTag.MaxColumnFamily:
                    edit.MaxColumnFamily = input.Varint32("max column family");
                    break;
                case ManifestTag.MinLogNumberToKeep:
                    edit.MinLogNumberToKeep = input.Varint64("min log number to keep");
                    break;
                case ManifestTag.LastSequence:
                    edit.LastSequence = input.Varint64("last sequence number");
                    break;
                case ManifestTag.CompactCursor:
                    edit.CompactCursors.Add((input.Level("compaction cursor"), input.InternalKey("compaction cursor")));
                    break;
                case ManifestTag.DeletedFile:
                    edit.DeletedFiles.Add((input.Level("deleted file"), input.Varint64("deleted file")));
                    break;
                case ManifestTag.NewFile or ManifestTag.NewFile2 or ManifestTag.NewFile3:
                    edit.NewFiles.Add(DecodeLegacyNewFile(ref input, (ManifestTag)tag));
                    break;
                case ManifestTag.NewFile4:
                    edit.NewFiles.Add(edit.DecodeNewFile4(ref input));
                    break;
                case ManifestTag.BlobFileAddition or ManifestTag.BlobFileAdditionDeprecated:
                    edit.BlobFileAdditions.Add(input.BlobRecord(3, 2, "blob file addition"));
                    break;
                case ManifestTag.BlobFileGarbage or ManifestTag.BlobFileGarbageDeprecated:
                    edit.BlobFileGarbages.Add(input.BlobRecord(3, 0, "blob file garbage"));
                    break;
                case ManifestTag.WalAddition:
                    edit.WalAdditions.Add(DecodeWalAddition(ref input));
                    break;
                case ManifestTag.WalAddition2:
                {
                    var field = input.Nested("WAL addition");
                    edit.WalAdditions.Add(DecodeWalAddition(ref field));
                    break;
                }

                case ManifestTag.WalDeletion:
                    edit.WalDeletionBefore = input.Varint64("WAL deletion");
                    break;
                case ManifestTag.WalDeletion2:
                {
                    var field = input.Nested("WAL deletion");
                    edit.WalDeletionBefore = field.Varint64("WAL deletion");
                    break;
                }

                case ManifestTag.ColumnFamily:
                    edit.ColumnFamily = input.Varint32("column family id");
                    break;
                case ManifestTag.ColumnFamilyAdd:
                    edit.ColumnFamilyAdd = input.String("column family add");
                    break;
                case ManifestTag.ColumnFamilyDrop:
                    edit.IsColumnFamilyDrop = true;
                    break;
                case ManifestTag.InAtomicGroup:
                    edit.RemainingInAtomicGroup = input.Varint32("remaining entries of an atomic group");
                    break;
                case ManifestTag.FullHistoryTsLow:
                    byte[] low = input.Bytes("full_history_ts_low");
                    if (low.Length == 0)
                    {
                        throw input.Fail(fieldStart, "full_history_ts_low is empty");
                    }

                    edit.FullHistoryTsLow = low;
                    break;
                case ManifestTag.PersistUserDefinedTimestamps:
                    byte[] persist = input.Bytes("persist_user_defined_timestamps");
                    if (persist.Length != 1)
                    {
                        throw input.Fail(fieldStart, $"persist_user_defined_timestamps has {persist.Length} bytes, not 1");
                    }

                    edit.PersistUserDefinedTimestamps = persist[0] == 1;
                    break;
                case ManifestTag.SubcompactionProgress:
                    edit.SubcompactionProgress = input.Bytes("subcompaction progress");
                    break;
                case ManifestTag.LastCompactedManifestFileSize:
                {
                    var field = input.Nested("last compacted manifest file size");
                    edit.LastCompactedManifestFileSize = field.Varint64("last compacted manifest file size");
                    break;
                }

                default:
                    if ((tag & (uint)ManifestTag.SafeIgnoreMask) != 0)
                    {
                        input.Bytes($"ignorable field with tag {tag}"); // from a newer writer: skipped
                        break;
                    }

                    throw new NotSupportedException(
                        $"{Where(file, offset)}: the MANIFEST record has field tag {tag} at byte {fieldStart}, which this engine does not know and which is not marked safe to ignore (written by a newer RocksDB?).");
            }
        }

        return edit;
    }

    private static string Where(string? file, long offset) => $"{file ?? "MANIFEST"} at offset {offset}";

    private (int, FileMetadata) DecodeNewFile4(ref FieldReader input)
    {
        int level = input.Level("new-file4 entry");
        ulong number = input.Varint64("new-file4 entry");
        ulong size = input.Varint64("new-file4 entry");
        byte[] smallest = input.InternalKey("new-file4 entry");
        byte[] largest = input.InternalKey("new-file4 entry");
        ulong smallestSeq = input.Varint64("new-file4 entry");
        ulong largestSeq = input.Varint64("new-file4 entry");
        uint pathId = 0;
        ulong ancester = 0, created = 0, epoch = 0, blob = 0, compensated = 0, tail = 0;
        byte[] checksum = [];
        string checksumName = FileMetadata.UnknownChecksumFunction;
        byte temperature = 0;
        bool marked = false, persisted = true;
        byte[]? uniqueId = null;
        byte[] minTs = [], maxTs = [], openMetadata = [];
        while (true)
        {
            int fieldStart = input.Position;
            uint tag = input.Varint32("new-file4 custom field");
            if (tag == (uint)NewFileCustomTag.Terminate)
            {
                break;
            }

            var field = input.Nested("new-file4 custom field");
            switch ((NewFileCustomTag)tag)
            {
                case NewFileCustomTag.PathId:
                    byte path = field.SingleByte("path_id");
                    if (path > 3)
                    {
                        throw input.Fail(fieldStart, $"path_id {path} is out of range");
                    }

                    pathId = path;
                    break;
                case NewFileCustomTag.OldestAncesterTime:
                    ancester = field.Varint64("oldest ancester time");
                    break;
                case NewFileCustomTag.FileCreationTime:
                    created = field.Varint64("file creation time");
                    break;
                case NewFileCustomTag.EpochNumber:
                    epoch = field.Varint64("epoch number");
                    break;
                case NewFileCustomTag.FileChecksum:
                    checksum = field.Rest();
                    break;
                case NewFileCustomTag.FileChecksumFuncName:
                    checksumName = System.Text.Encoding.UTF8.GetString(field.Rest());
                    break;
                case NewFileCustomTag.NeedCompaction:
                    marked = field.SingleByte("need_compaction") == 1;
                    break;
                case NewFileCustomTag.MinLogNumberToKeepHack:
                    MinLogNumberToKeep = field.Fixed64("min log number to keep");
                    break;
                case NewFileCustomTag.OldestBlobFileNumber:
                    blob = field.Varint64("oldest blob file number");
                    break;
                case NewFileCustomTag.Temperature:
                    temperature = field.SingleByte("temperature");
                    break;
                case NewFileCustomTag.UniqueId:
                    uniqueId = field.Rest();
                    if (uniqueId.Length != FileMetadata.UniqueIdSize)
                    {
                        throw input.Fail(fieldStart, $"the unique id has {uniqueId.Length} bytes, not {FileMetadata.UniqueIdSize}");
                    }

                    break;
                case NewFileCustomTag.CompensatedRangeDeletionSize:
                    compensated = field.Varint64("compensated range deletion size");
                    break;
                case NewFileCustomTag.TailSize:
                    tail = field.Varint64("tail size");
                    break;
                case NewFileCustomTag.UserDefinedTimestampsPersisted:
                    persisted = field.SingleByte("user-defined timestamps persisted") == 1;
                    break;
                case NewFileCustomTag.MinTimestamp:
                    minTs = field.Rest();
                    break;
                case NewFileCustomTag.MaxTimestamp:
                    maxTs = field.Rest();
                    break;
                case NewFileCustomTag.FileOpenMetadata:
                    openMetadata = field.Rest();
                    break;
                default:
                    if ((tag & (uint)NewFileCustomTag.NonSafeIgnoreMask) != 0)
                    {
                        throw new NotSupportedException(
                            $"{Where(input.File, input.Offset)}: file {number} has custom field {tag} at byte {fieldStart} of the record, which this engine does not know and must not ignore (written by a newer RocksDB?).");
                    }

                    break; // a newer writer's field that may be ignored
            }
        }

        return (level, new FileMetadata
        {
            FileNumber = number,
            PathId = pathId,
            FileSize = size,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = smallestSeq,
            LargestSequence = largestSeq,
            EpochNumber = epoch,
            OldestAncesterTime = ancester,
            FileCreationTime = created,
            FileChecksum = checksum,
            FileChecksumFunctionName = checksumName,
            Temperature = temperature,
            MarkedForCompaction = marked,
            OldestBlobFileNumber = blob,
            UniqueId = uniqueId,
            CompensatedRangeDeletionSize = compensated,
            TailSize = tail,
            UserDefinedTimestampsPersisted = persisted,
            MinTimestamp = minTs,
            MaxTimestamp = maxTs,
            FileOpenMetadata = openMetadata,
        });
    }

    private static (int, FileMetadata) DecodeLegacyNewFile(ref FieldReader input, ManifestTag tag)
    {
        string what = tag switch { ManifestTag.NewFile => "new-file entry", ManifestTag.NewFile2 => "new-file2 entry", _ => "new-file3 entry" };
        int level = input.Level(what);
        ulong number = input.Varint64(what);
        uint pathId = tag == ManifestTag.NewFile3 ? input.Varint32(what) : 0;
        ulong size = input.Varint64(what);
        byte[] smallest = input.InternalKey(what);
        byte[] largest = input.InternalKey(what);
        ulong smallestSeq = 0, largestSeq = InternalKey.MaxSequence;
        if (tag != ManifestTag.NewFile)
        {
            smallestSeq = input.Varint64(what);
            largestSeq = input.Varint64(what);
        }

        return (level, new FileMetadata
        {
            FileNumber = number,
            PathId = pathId,
            FileSize = size,
            Smallest = smallest,
            Largest = largest,
            SmallestSequence = smallestSeq,
            LargestSequence = largestSeq,
        });
    }

    private static WalAddition DecodeWalAddition(ref FieldReader input)
    {
        ulong number = input.Varint64("WAL addition");
        ulong? synced = null;
        while (true)
        {
            int fieldStart = input.Position;
            uint tag = input.Varint32("WAL addition tag");
            if (tag == WalAdditionTerminateTag)
            {
                return new WalAddition(number, synced);
            }

            if (tag != WalAdditionSyncedSizeTag)
            {
                throw input.Fail(fieldStart, $"the WAL addition has unknown tag {tag}");
            }

            synced = input.Varint64("WAL synced size");
        }
    }

    /// <summary>A cursor over a record or one of its length-prefixed fields; failures name the file, the record and the byte.</summary>
    private ref struct FieldReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly int _base;

        public FieldReader(ReadOnlySpan<byte> data, string? file, long offset, int baseOffset = 0)
        {
            _data = data;
            File = file;
            Offset = offset;
            _base = baseOffset;
        }

        public string? File { get; }

        public long Offset { get; }

        /// <summary>The position within the whole record.</summary>
        public int Position => _base + Consumed;

        public readonly bool AtEnd => Consumed >= _data.Length;

        private int Consumed { get; set; }

        private readonly ReadOnlySpan<byte> Remaining => _data[Consumed..];

        public uint Varint32(string what)
        {
            int n = Coding.ReadVarint32(Remaining, out uint value);
            if (n == 0)
            {
                throw Fail(Position, $"{what}: bad or truncated varint32");
            }

            Consumed += n;
            return value;
        }

        public ulong Varint64(string what)
        {
            int n = Coding.ReadVarint64(Remaining, out ulong value);
            if (n == 0)
            {
                throw Fail(Position, $"{what}: bad or truncated varint64");
            }

            Consumed += n;
            return value;
        }

        public ulong Fixed64(string what)
        {
            if (Remaining.Length < 8)
            {
                throw Fail(Position, $"{what}: fewer than 8 bytes");
            }

            ulong value = Coding.ReadFixed64(Remaining);
            Consumed += 8;
            return value;
        }

        public int Level(string what)
        {
            uint level = Varint32(what);
            if (level > 1000)
            {
                throw Fail(Position, $"{what}: level {level} is absurd");
            }

            return (int)level;
        }

        public byte[] Bytes(string what)
        {
            int start = Position;
            uint length = Varint32(what);
            if (length > Remaining.Length)
            {
                throw Fail(start, $"{what}: a length of {length} runs past the end of the record");
            }

            byte[] bytes = Remaining[..(int)length].ToArray();
            Consumed += (int)length;
            return bytes;
        }

        public string String(string what) => System.Text.Encoding.UTF8.GetString(Bytes(what));

        public byte[] InternalKey(string what)
        {
            int start = Position;
            byte[] key = Bytes(what);
            if (key.Length < Encoding.InternalKey.TrailerSize)
            {
                throw Fail(start, $"{what}: an internal key of {key.Length} bytes is shorter than its 8-byte trailer");
            }

            return key;
        }

        public FieldReader Nested(string what)
        {
            int start = Position;
            uint length = Varint32(what);
            if (length > Remaining.Length)
            {
                throw Fail(start, $"{what}: a length of {length} runs past the end of the record");
            }

            var nested = new FieldReader(Remaining[..(int)length], File, Offset, Position);
            Consumed += (int)length;
            return nested;
        }

        public byte SingleByte(string what)
        {
            if (_data.Length != 1)
            {
                throw Fail(_base, $"{what}: {_data.Length} bytes, not 1");
            }

            Consumed = 1;
            return _data[0];
        }

        public byte[] Rest()
        {
            byte[] rest = Remaining.ToArray();
            Consumed = _data.Length;
            return rest;
        }

        /// <summary>A blob file record: <paramref name="varints"/> varint64s, <paramref name="strings"/> length-prefixed strings, then custom fields to an end marker 0.</summary>
        public byte[] BlobRecord(int varints, int strings, string what)
        {
            int start = Consumed;
            for (int i = 0; i < varints; i++)
            {
                Varint64(what);
            }

            for (int i = 0; i < strings; i++)
            {
                Bytes(what);
            }

            while (true)
            {
                int tagAt = Position;
                uint tag = Varint32(what);
                if (tag == 0)
                {
                    break;
                }

                if ((tag & (1u << 6)) != 0)
                {
                    throw new NotSupportedException($"{Where(File, Offset)}: the {what} at byte {tagAt} has a forward-incompatible custom field {tag}.");
                }

                Bytes(what);
            }

            return _data[start..Consumed].ToArray();
        }

        public readonly CorruptionException Fail(int position, string reason) =>
            new($"bad version edit: {reason} (at byte {position} of the record)", File, Offset);
    }
}
