using System.Runtime.InteropServices;
using MCProxy.Configuration;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>
/// Sets a child's <c>"limits.cpuSeconds"</c> (RLIMIT_CPU) and <c>"limits.openFiles"</c> (RLIMIT_NOFILE) with prlimit(2).
/// NOTE 1: posix_spawn runs none of our code between fork and exec, so there is no place for setrlimit in the child.
/// glibc's posix_spawn returns only once the exec succeeded; <see cref="ChildProcess.Start"/> then calls this on the
/// new pid before it returns, so before the supervisor writes the first byte (the MCP initialize) on the child's
/// stdin. The window: the program's first instructions, up to that prlimit (microseconds), run under the gateway's
/// own limits. A process it forks inside the window keeps them, and CPU time spent there counts toward cpuSeconds
/// (RLIMIT_CPU counts the process's whole CPU time). An MCP server waits for initialize before doing its work, so
/// in practice nothing escapes; closing the window would take a wrapper process (prlimit(1), or a shell's ulimit
/// before exec), a dependency and a hop this gateway does not want. Processes the child starts later inherit the
/// limits (each counts its own CPU time).
/// </summary>
internal static unsafe class ChildRlimits
{
    /// <summary>
    /// Applies the rlimits of <paramref name="limits"/> to <paramref name="pid"/>: RLIMIT_CPU soft = cpuSeconds,
    /// hard = cpuSeconds + <see cref="ChildLimits.CpuHardMarginSeconds"/> (SIGXCPU, then SIGKILL); RLIMIT_NOFILE
    /// soft = hard = openFiles, so the child cannot raise it (the .NET runtime, for one, raises its soft limit to the
    /// hard one at start).
    /// </summary>
    /// <exception cref="IOException">the kernel refused a limit; the message names the field.</exception>
    public static void Apply(int pid, ChildLimits limits)
    {
        if (limits.CpuSeconds is { } cpu)
        {
            Set(pid, RLIMIT_CPU, (ulong)cpu, (ulong)cpu + ChildLimits.CpuHardMarginSeconds, ChildLimits.CpuField, cpu);
        }
        if (limits.OpenFiles is { } files)
        {
            Set(pid, RLIMIT_NOFILE, (ulong)files, (ulong)files, ChildLimits.OpenFilesField, files);
        }
    }

    /// <summary>A process's soft and hard limit of <paramref name="resource"/> (pid 0: the gateway); null if it is gone.</summary>
    public static RLimit? Get(int pid, int resource)
    {
        RLimit current;
        return prlimit(pid, resource, null, &current) == 0 ? current : null;
    }

    private static void Set(int pid, int resource, ulong soft, ulong hard, string field, int value)
    {
        var limit = new RLimit { Soft = soft, Hard = hard };
        if (prlimit(pid, resource, &limit, null) == 0)
        {
            return;
        }
        var errno = Marshal.GetLastPInvokeError();
        var why = Marshal.GetPInvokeErrorMessage(errno);
        if (errno == EPERM && Get(0, resource) is { } own && own.Hard != RLIM_INFINITY && hard > own.Hard)
        {
            why += $" (the gateway's own hard limit is {own.Hard}; going past it takes CAP_SYS_RESOURCE)";
        }
        else if (errno == EPERM && resource == RLIMIT_NOFILE)
        {
            why += " (the kernel's ceiling for open files is /proc/sys/fs/nr_open)";
        }
        throw new IOException($"cannot apply \"limits.{field}\": {value} to pid {pid}: {why}");
    }
}
