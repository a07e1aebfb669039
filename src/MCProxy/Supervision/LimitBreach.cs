using MCProxy.Configuration;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>Whether a child broke one of its <c>"limits"</c>, and the words /health, the log and clients get for it.</summary>
internal static class LimitBreach
{
    private const long MiB = 1024 * 1024;

    /// <summary>The reason to restart a child whose process tree is over <c>"limits.memoryMB"</c> (MiB); null while it is not.</summary>
    public static string? Memory(ChildUsage usage, ChildLimits limits) =>
        limits.MemoryMB is { } limit && usage.RssBytes > limit * MiB
            ? $"restarted: its processes used {usage.RssBytes / MiB} MiB, over \"limits.{ChildLimits.MemoryField}\": {limit}"
            : null;

    /// <summary>
    /// Why a child that exited with <paramref name="exitCode"/> was stopped by RLIMIT_CPU: SIGXCPU at the soft limit, or
    /// SIGKILL at the hard one (told apart from any other SIGKILL by the CPU time it used). Null for any other exit.
    /// </summary>
    public static string? Cpu(int? exitCode, double? cpuSeconds, ChildLimits limits)
    {
        if (limits.CpuSeconds is not { } limit || exitCode is not { } code)
        {
            return null;
        }
        var signal = code == 128 + SIGXCPU ? "SIGXCPU"
            : code == 128 + SIGKILL && cpuSeconds >= limit ? "SIGKILL"
            : null;
        if (signal is null)
        {
            return null;
        }
        // No figure: the kernel's per-tick CPU accounting and the rusage sum differ by a tick or so.
        return $"stopped by the kernel ({signal}): it used up its CPU time, \"limits.{ChildLimits.CpuField}\": {limit}";
    }
}
