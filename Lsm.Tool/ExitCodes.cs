namespace Lsm.Tool;

/// <summary>The exit codes of every <c>lsm</c> command.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked; the file is clean.</summary>
    public const int Ok = 0;

    /// <summary>The file is corrupt, or (for <c>get</c>) the key is not in it.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage, or a file that is missing or cannot be read or written.</summary>
    public const int Usage = 2;

    /// <summary>The file uses a feature the engine does not read (e.g. a partitioned index, zstd).</summary>
    public const int NotSupported = 3;

    /// <summary>A bug in the tool or the engine: an exception nobody expected.</summary>
    public const int InternalError = 70;
}
