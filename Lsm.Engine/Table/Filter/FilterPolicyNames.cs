namespace Lsm.Engine.Table.Filter;

/// <summary>
/// Names RocksDB writes into a block-based table for its built-in filters
/// (table/block_based/filter_policy.cc, block_based_table_builder.cc, table_properties.cc).
/// </summary>
/// <remarks>
/// The metaindex key uses the policy's CompatibilityName(), shared by every built-in Bloom and
/// Ribbon policy so that any of them can read the others' filters. The rocksdb.filter.policy
/// property stores Name(), which since RocksDB 7.0 is the Customizable class name ("bloomfilter",
/// "ribbonfilter"); older versions stored "rocksdb.BuiltinBloomFilter" there as well. The property
/// is written only when a filter policy is configured, even if the table ends up with no filter
/// block because no key was added.
/// </remarks>
internal static class FilterPolicyNames
{
    /// <summary>BuiltinFilterPolicy::CompatibilityName(), the family name of built-in filters.</summary>
    public const string BuiltinCompatibilityName = "rocksdb.BuiltinBloomFilter";

    /// <summary>Metaindex key prefix of a full (whole-table) filter block.</summary>
    public const string FullFilterBlockPrefix = "fullfilter.";

    /// <summary>Metaindex key prefix of a partitioned filter's top-level index.</summary>
    public const string PartitionedFilterBlockPrefix = "partitionedfilter.";

    /// <summary>Metaindex key prefix of the obsolete block-based (per data block) filter: no longer written since RocksDB 7.0, no longer read since 7.4 (ignored).</summary>
    public const string ObsoleteFilterBlockPrefix = "filter.";

    /// <summary>Metaindex key of the full filter block written by any built-in Bloom/Ribbon policy.</summary>
    public const string FullFilterMetaIndexKey = FullFilterBlockPrefix + BuiltinCompatibilityName;

    /// <summary>Metaindex key of a partitioned filter written by a built-in policy.</summary>
    public const string PartitionedFilterMetaIndexKey = PartitionedFilterBlockPrefix + BuiltinCompatibilityName;

    /// <summary>Table property key holding the filter policy's Name().</summary>
    public const string FilterPolicyPropertyName = "rocksdb.filter.policy";

    /// <summary>BloomFilterPolicy::Name() (NewBloomFilterPolicy), the value of <see cref="FilterPolicyPropertyName"/>.</summary>
    public const string BloomFilterPolicyName = "bloomfilter";

    /// <summary>RibbonFilterPolicy::Name() (NewRibbonFilterPolicy).</summary>
    public const string RibbonFilterPolicyName = "ribbonfilter";

    /// <summary>Filter policy property value written by RocksDB before 7.0 (BuiltinFilterPolicy::Name()).</summary>
    public const string LegacyBloomFilterPolicyName = BuiltinCompatibilityName;
}
