using System.Runtime.InteropServices;

namespace Lsm.Engine.Tests.Table.Filter;

/// <summary>
/// Direct access to the native librocksdb shipped in the RocksDB NuGet package, used as an
/// oracle: RocksDB's own Hash64/Hash (exported C++ functions with C-compatible signatures) and
/// an SstFileWriter from the C API. Only available on linux-x64; tests skip otherwise.
/// </summary>
internal static unsafe class RocksDbNative
{
    private static readonly Lazy<nint> Library = new(Load);

    /// <summary>True when the native library could be loaded.</summary>
    public static bool IsAvailable => Library.Value != 0;

    private static nint Load()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return 0;
        }

        string path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librocksdb.so");
        return File.Exists(path) && NativeLibrary.TryLoad(path, out nint handle) ? handle : 0;
    }

    private static nint Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    /// <summary>rocksdb::Hash64(const char*, size_t, uint64_t).</summary>
    public static ulong Hash64(ReadOnlySpan<byte> data, ulong seed)
    {
        var fn = (delegate* unmanaged<byte*, nuint, ulong, ulong>)Export("_ZN7rocksdb6Hash64EPKcmm");
        fixed (byte* p = data)
        {
            return fn(p, (nuint)data.Length, seed);
        }
    }

    /// <summary>rocksdb::Hash(const char*, size_t, uint32_t).</summary>
    public static uint Hash(ReadOnlySpan<byte> data, uint seed)
    {
        var fn = (delegate* unmanaged<byte*, nuint, uint, uint>)Export("_ZN7rocksdb4HashEPKcmj");
        fixed (byte* p = data)
        {
            return fn(p, (nuint)data.Length, seed);
        }
    }

    /// <summary>
    /// Writes an SST file with RocksDB's SstFileWriter: a full Bloom filter at
    /// <paramref name="bitsPerKey"/>, the given format_version and optimize_filters_for_memory,
    /// and the given keys (must be in bytewise-ascending order), each with a 1-byte value.
    /// Returns the whole file.
    /// </summary>
    public static byte[] WriteSst(IReadOnlyList<byte[]> keys, double bitsPerKey, int formatVersion, bool? optimizeFiltersForMemory)
    {
        var optionsCreate = (delegate* unmanaged<nint>)Export("rocksdb_options_create");
        var optionsDestroy = (delegate* unmanaged<nint, void>)Export("rocksdb_options_destroy");
        var bboCreate = (delegate* unmanaged<nint>)Export("rocksdb_block_based_options_create");
        var bboDestroy = (delegate* unmanaged<nint, void>)Export("rocksdb_block_based_options_destroy");
        var bloomFull = (delegate* unmanaged<double, nint>)Export("rocksdb_filterpolicy_create_bloom_full");
        var setFilter = (delegate* unmanaged<nint, nint, void>)Export("rocksdb_block_based_options_set_filter_policy");
        var setOffm = (delegate* unmanaged<nint, byte, void>)Export("rocksdb_block_based_options_set_optimize_filters_for_memory");
        var setFormat = (delegate* unmanaged<nint, int, void>)Export("rocksdb_block_based_options_set_format_version");
        var setFactory = (delegate* unmanaged<nint, nint, void>)Export("rocksdb_options_set_block_based_table_factory");
        var envCreate = (delegate* unmanaged<nint>)Export("rocksdb_envoptions_create");
        var envDestroy = (delegate* unmanaged<nint, void>)Export("rocksdb_envoptions_destroy");
        var writerCreate = (delegate* unmanaged<nint, nint, nint>)Export("rocksdb_sstfilewriter_create");
        var writerOpen = (delegate* unmanaged<nint, byte*, nint*, void>)Export("rocksdb_sstfilewriter_open");
        var writerPut = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nint*, void>)Export("rocksdb_sstfilewriter_put");
        var writerFinish = (delegate* unmanaged<nint, nint*, void>)Export("rocksdb_sstfilewriter_finish");
        var writerDestroy = (delegate* unmanaged<nint, void>)Export("rocksdb_sstfilewriter_destroy");

        string path = Path.Combine(Path.GetTempPath(), $"lsm-filter-oracle-{Guid.NewGuid():N}.sst");
        nint options = optionsCreate();
        nint bbo = bboCreate();
        nint env = envCreate();
        nint writer = 0;
        try
        {
            setFilter(bbo, bloomFull(bitsPerKey));
            setFormat(bbo, formatVersion);
            if (optimizeFiltersForMemory is bool offm)
            {
                setOffm(bbo, offm ? (byte)1 : (byte)0);
            }

            setFactory(options, bbo);
            writer = writerCreate(env, options);

            nint err = 0;
            byte[] pathBytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
            fixed (byte* p = pathBytes)
            {
                writerOpen(writer, p, &err);
            }

            ThrowIfError(err);
            byte value = (byte)'v';
            foreach (byte[] key in keys)
            {
                fixed (byte* k = key)
                {
                    writerPut(writer, k, (nuint)key.Length, &value, 1, &err);
                }

                ThrowIfError(err);
            }

            writerFinish(writer, &err);
            ThrowIfError(err);
            return File.ReadAllBytes(path);
        }
        finally
        {
            if (writer != 0)
            {
                writerDestroy(writer);
            }

            envDestroy(env);
            bboDestroy(bbo);
            optionsDestroy(options);
            File.Delete(path);
        }
    }

    private static void ThrowIfError(nint err)
    {
        if (err != 0)
        {
            string message = Marshal.PtrToStringUTF8(err) ?? "unknown";
            ((delegate* unmanaged<nint, void>)Export("rocksdb_free"))(err);
            throw new InvalidOperationException("RocksDB: " + message);
        }
    }
}
