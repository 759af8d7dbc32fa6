namespace Lsm.StateBackend; internal static class Placeholder { }
