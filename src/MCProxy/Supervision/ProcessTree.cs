using System.Globalization;

namespace MCProxy.Supervision;

/// <summary>One process as /proc/PID/stat describes it.</summary>
internal readonly record struct ProcessInfo(int Pid, int ParentPid, char State, ulong StartTime);

/// <summary>
/// Reads the process table from /proc: who is whose parent, and which processes carry a child marker in their
/// environment. Processes that vanish while being read are skipped; nothing here throws for a racing exit.
/// </summary>
internal static class ProcessTree
{
    /// <summary>Every process visible in /proc right now.</summary>
    public static IReadOnlyList<ProcessInfo> Snapshot()
    {
        var result = new List<ProcessInfo>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (IOException)
        {
            return result;
        }
        foreach (var dir in entries)
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } info)
            {
                result.Add(info);
            }
        }
        return result;
    }

    /// <summary>One process, or null when it is gone.</summary>
    public static ProcessInfo? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(pid, stat);
    }

    /// <summary>Parses a stat line; the command name sits in parentheses and may itself hold spaces and ')'.</summary>
    public static ProcessInfo? Parse(int pid, string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return null;
        }
        var fields = stat[(close + 2)..].Split(' ');
        // After the name: state(3) ppid(4) … starttime(22), numbered from 1 as in proc(5).
        if (fields.Length < 20 || fields[0].Length != 1 ||
            !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ppid) ||
            !ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        return new ProcessInfo(pid, ppid, fields[0][0], start);
    }

    /// <summary>Every descendant of <paramref name="root"/> in <paramref name="table"/> (not the root itself).</summary>
    public static IReadOnlyList<ProcessInfo> Descendants(int root, IReadOnlyList<ProcessInfo> table)
    {
        var children = table.ToLookup(p => p.ParentPid);
        var result = new List<ProcessInfo>();
        var queue = new Queue<int>([root]);
        var seen = new HashSet<int> { root };
        while (queue.Count > 0)
        {
            foreach (var child in children[queue.Dequeue()])
            {
                if (seen.Add(child.Pid))
                {
                    result.Add(child);
                    queue.Enqueue(child.Pid);
                }
            }
        }
        return result;
    }

    /// <summary>The value of <paramref name="variable"/> in the process's environment; null when unset or unreadable.</summary>
    public static string? EnvironmentValue(int pid, string variable)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var prefix = System.Text.Encoding.UTF8.GetBytes(variable + "=");
        var span = environ.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span.IndexOf((byte)0);
            var entry = end < 0 ? span : span[..end];
            if (entry.StartsWith(prefix))
            {
                return System.Text.Encoding.UTF8.GetString(entry[prefix.Length..]);
            }
            span = end < 0 ? default : span[(end + 1)..];
        }
        return null;
    }
}
