namespace Lsm.Engine.Compaction.Pickers;

/// <summary>Makes the picker of a column family's <see cref="ColumnFamilyOptions.CompactionStyle"/>.</summary>
internal static class CompactionPickerFactory
{
    /// <summary>The picker for <paramref name="options"/> (validated by the caller).</summary>
    /// <exception cref="ArgumentException">The style is not one this engine implements.</exception>
    public static ICompactionPicker Create(ColumnFamilyOptions options) => options.CompactionStyle switch
    {
        CompactionStyle.Level => new LeveledCompactionPicker(options),
        CompactionStyle.Universal => new UniversalCompactionPicker(options),
        _ => throw new ArgumentException($"Compaction style {options.CompactionStyle} has no picker.", nameof(options)),
    };
}
