using System.Globalization;

namespace MCProxy.Supervision;

/// <summary>What a child and everything it started use right now: resident memory, CPU time, process count.</summary>
internal readonly record struct ChildUsage(long RssBytes, double CpuSeconds, int Processes)
{
    private static readonly long PageSize = Environment.SystemPageSize;
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux the gateway ships for

    /// <summary>
    /// The sum over the child <paramref name="pid"/> and all its descendants (by parent links in /proc, so a
    /// grandchild that left the process group still counts); null when the child is gone. Reads /proc only.
    /// </summary>
    public static ChildUsage? Of(int pid, IReadOnlyList<ProcessInfo>? table = null)
    {
        if (Read(pid) is not { } own)
        {
            return null;
        }
        var total = own;
        foreach (var descendant in ProcessTree.Descendants(pid, table ?? ProcessTree.Snapshot()))
        {
            if (Read(descendant.Pid) is { } usage)
            {
                total = new ChildUsage(total.RssBytes + usage.RssBytes, total.CpuSeconds + usage.CpuSeconds, total.Processes + 1);
            }
        }
        return total;
    }

    /// <summary>One process: RSS from /proc/PID/statm (resident pages), CPU from utime + stime of /proc/PID/stat.</summary>
    public static ChildUsage? Read(int pid)
    {
        try
        {
            var statm = File.ReadAllText($"/proc/{pid}/statm").Split(' ');
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var fields = close < 0 ? [] : stat[(close + 2)..].Split(' ');
            // After the name: utime is field 14 and stime field 15 of proc(5), here 11 and 12 (0-based from state).
            if (statm.Length < 2 || fields.Length < 13 ||
                !long.TryParse(statm[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages) ||
                !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime) ||
                !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime))
            {
                return null;
            }
            return new ChildUsage(pages * PageSize, (utime + stime) / TicksPerSecond, 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // gone while we looked
        }
    }
}
