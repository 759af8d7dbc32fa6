using System.Buffers;
using Lsm.Engine.Hashing;

namespace Lsm.Engine.Table.Filter;

/// <summary>
/// Builds a RocksDB full filter block in the FastLocalBloom format (what BloomFilterPolicy
/// writes for format_version &gt;= 5), byte-for-byte as RocksDB's FastLocalBloomBitsBuilder does.
/// </summary>
/// <remarks>
/// <para>Block contents returned by <see cref="Finish"/>:</para>
/// <code>
/// [0, len)        bit array, len a multiple of 64 (see FastLocalBloom for the bit layout)
/// [len]           0xFF  (-1: "newer Bloom" marker; a legacy filter has num_probes here)
/// [len + 1]       0x00  sub-implementation: FastLocalBloom
/// [len + 2]       num_probes in the low 5 bits; top 3 bits 0 = log2(64-byte block) - 6
/// [len + 3, +5)   0x00 0x00, reserved (readers treat non-zero as unknown format)
/// </code>
/// <para>
/// Sizing: len = ceil(keys * millibits / 8000) rounded up to 64 bytes. RocksDB 11's default
/// optimize_filters_for_memory=true may additionally shrink or grow len to fit the allocator's
/// size classes (malloc_usable_size); that depends on the process's allocator and history, so it
/// is not reproduced. What is reproduced is what RocksDB writes when no such adjustment applies
/// (no malloc_usable_size, or glibc malloc, whose small over-allocation never reaches another
/// 64-byte block): the length above, with num_probes chosen from the actual bits/key when
/// optimize_filters_for_memory is on, or from the configured bits/key when it is off. Either way
/// the output is a valid filter RocksDB reads; it is byte-identical to RocksDB 11's glibc build
/// (checked against the RocksDB NuGet package's SstFileWriter up to 500 KB filters), while a
/// jemalloc build may pick other lengths.
/// </para>
/// <para>
/// Zero keys: RocksDB's builder returns an empty slice (read back as "always false"), and the
/// table builder then writes no filter block and no metaindex entry at all. <see cref="Finish"/>
/// returns an empty array in that case; the table writer should skip the filter block.
/// </para>
/// </remarks>
internal sealed class FullFilterBuilder
{
    private const int InitialCapacity = 1024;

    private readonly bool _optimizeFiltersForMemory;
    private ulong[] _hashes = [];
    private int _count;
    private ulong? _prevAltHash;

    /// <summary>Creates a builder with RocksDB 11's default optimize_filters_for_memory = true.</summary>
    public FullFilterBuilder(double bitsPerKey)
        : this(bitsPerKey, optimizeFiltersForMemory: true)
    {
    }

    /// <summary>
    /// Creates a builder for <paramref name="bitsPerKey"/> (sanitised and rounded to millibits as
    /// BloomFilterPolicy does). <paramref name="optimizeFiltersForMemory"/> mirrors
    /// BlockBasedTableOptions::optimize_filters_for_memory; it only affects the probe count here.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">bits/key below 0.5, which RocksDB treats as "no filter".</exception>
    public FullFilterBuilder(double bitsPerKey, bool optimizeFiltersForMemory)
    {
        MillibitsPerKey = FastLocalBloom.ToMillibitsPerKey(bitsPerKey);
        if (MillibitsPerKey == 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(bitsPerKey), bitsPerKey, "Below 0.5 bits per key RocksDB builds no filter; do not create a filter builder.");
        }

        _optimizeFiltersForMemory = optimizeFiltersForMemory;
    }

    /// <summary>Configured density in thousandths of a bit per key (after RocksDB's sanitising).</summary>
    public int MillibitsPerKey { get; }

    /// <summary>
    /// Number of hashes that will go into the filter: keys added, minus those whose hash equals
    /// the previously stored one (RocksDB collapses adjacent duplicates). This is the value
    /// RocksDB records as the rocksdb.num.filter_entries table property.
    /// </summary>
    public int KeyCount => _count;

    /// <summary>Length in bytes <see cref="Finish"/> would return now (0 when empty).</summary>
    public long EstimatedSize => _count == 0 ? 0 : FastLocalBloom.CalculateSpace(_count, MillibitsPerKey);

    /// <summary>Adds a key (whole user key, or prefix, exactly the bytes RocksDB would hash).</summary>
    public void AddKey(ReadOnlySpan<byte> key)
    {
        ulong hash = Xxph3.GetSliceHash64(key);
        if (_count == 0 || _hashes[_count - 1] != hash)
        {
            Append(hash);
        }
    }

    /// <summary>
    /// Adds a key together with an alternate form (its prefix, with a prefix extractor and
    /// whole-key filtering), de-duplicating like RocksDB's AddKeyAndAlt so that filter contents
    /// match: the alternate goes in first, and neither is added when it repeats the previous
    /// key or the previous alternate.
    /// </summary>
    public void AddKeyAndAlt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> alt)
    {
        ulong keyHash = Xxph3.GetSliceHash64(key);
        ulong altHash = Xxph3.GetSliceHash64(alt);
        ulong? prevKeyHash = _count > 0 ? _hashes[_count - 1] : null;
        ulong? prevAltHash = _prevAltHash;

        if (altHash != prevAltHash && altHash != keyHash && altHash != prevKeyHash)
        {
            Append(altHash);
        }

        _prevAltHash = altHash;
        if (keyHash != prevKeyHash && keyHash != prevAltHash)
        {
            Append(keyHash);
        }
    }

    /// <summary>Builds the filter for the keys added so far into a new array and resets the builder.</summary>
    /// <returns>The filter block contents (an empty array when no key was added).</returns>
    public byte[] Finish()
    {
        byte[] rented = FinishRented(out int length);
        byte[] filter = rented.AsSpan(0, length).ToArray();
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return filter;
    }

    /// <summary>
    /// Builds the filter into an array rented from <see cref="ArrayPool{T}.Shared"/> (return it when written), resets
    /// the builder and gives its hash buffer back to the pool: a table's filter and hashes are reused by the next
    /// table instead of landing on the large-object heap for each one.
    /// </summary>
    /// <param name="length">The filter's length: the first bytes of the returned array (0, with an empty array, when no key was added).</param>
    public byte[] FinishRented(out int length)
    {
        if (_count == 0)
        {
            Reset();
            ReleaseHashes();
            length = 0;
            return [];
        }

        long lengthWithMetadata = FastLocalBloom.CalculateSpace(_count, MillibitsPerKey);
        if (lengthWithMetadata > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"A filter for {_count} keys at {MillibitsPerKey} millibits/key would need {lengthWithMetadata} bytes; split the table.");
        }

        int numProbes = FastLocalBloom.GetNumProbes(_count, lengthWithMetadata, MillibitsPerKey, _optimizeFiltersForMemory);
        length = (int)lengthWithMetadata;
        byte[] filter = ArrayPool<byte>.Shared.Rent(length);
        int len = length - FastLocalBloom.MetadataLength;
        Span<byte> bits = filter.AsSpan(0, len);
        bits.Clear();
        ReadOnlySpan<ulong> hashes = _hashes.AsSpan(0, _count);
        foreach (ulong hash in hashes)
        {
            FastLocalBloom.AddHash(hash, numProbes, bits);
        }

        filter[len] = 0xFF;                 // -1: newer Bloom implementations
        filter[len + 1] = 0;                // sub-implementation 0: FastLocalBloom
        filter[len + 2] = (byte)numProbes;  // block size code 0 (64 bytes) in the top 3 bits
        filter[len + 3] = 0;                // reserved
        filter[len + 4] = 0;                // reserved

        Reset();
        ReleaseHashes();
        return filter;
    }

    /// <summary>Gives the hash buffer back to the pool; the next key rents one again.</summary>
    private void ReleaseHashes()
    {
        if (_hashes.Length != 0)
        {
            ArrayPool<ulong>.Shared.Return(_hashes);
            _hashes = [];
        }
    }

    /// <summary>Discards added keys, keeping the hash buffer for reuse.</summary>
    public void Reset()
    {
        _count = 0;
        _prevAltHash = null;
    }

    private void Append(ulong hash)
    {
        if (_count == _hashes.Length)
        {
            Grow();
        }

        _hashes[_count++] = hash;
    }

    private void Grow()
    {
        int newSize = _hashes.Length == 0 ? InitialCapacity : (int)Math.Min((long)_hashes.Length * 2, Array.MaxLength);
        if (newSize <= _count)
        {
            throw new InvalidOperationException("Too many keys for one filter.");
        }

        ulong[] larger = ArrayPool<ulong>.Shared.Rent(newSize);
        _hashes.AsSpan(0, _count).CopyTo(larger);
        if (_hashes.Length != 0)
        {
            ArrayPool<ulong>.Shared.Return(_hashes);
        }

        _hashes = larger;
    }
}
