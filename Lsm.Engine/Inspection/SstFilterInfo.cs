namespace Lsm.Engine;

/// <summary>A table's filter: what kind it is and how it is shaped.</summary>
/// <param name="MetaBlockName">Its name in the metaindex, e.g. <c>fullfilter.rocksdb.BuiltinBloomFilter</c>.</param>
/// <param name="Kind">The implementation recognised from the filter's trailer, e.g. <c>FastLocalBloom</c>.</param>
/// <param name="SizeBytes">Bytes of the filter block.</param>
/// <param name="NumProbes">Hash probes per key.</param>
/// <param name="Used">Whether lookups consult it (false for kinds this engine cannot evaluate).</param>
public readonly record struct SstFilterInfo(string MetaBlockName, string Kind, long SizeBytes, int NumProbes, bool Used);
