namespace MCProxy.Admin;

/// <summary>
/// Where the admin socket lives. The daemon: <c>--admin-socket</c>, else <c>$RUNTIME_DIRECTORY/mcproxy.sock</c>
/// (systemd's <c>RuntimeDirectory=mcproxy</c>), else <c>/run/mcproxy/mcproxy.sock</c> when that directory is
/// writable (or can be made), else a per-user directory (<c>$XDG_RUNTIME_DIR/mcproxy</c> or <c>/tmp/mcproxy-UID</c>).
/// The CLI looks in the same places, in the same order, and takes the first socket that exists.
/// Environment values come in as arguments (rule 19).
/// </summary>
internal static class AdminSocketPath
{
    public const string FileName = "mcproxy.sock";
    public const string SystemDirectory = "/run/mcproxy";

    /// <summary>The daemon's default; <paramref name="note"/> says why when it had to fall back to a per-user path.</summary>
    public static string ForDaemon(string? runtimeDirectory, string? xdgRuntimeDir, int uid, out string? note)
    {
        note = null;
        if (FromRuntimeDirectory(runtimeDirectory) is { } systemd)
        {
            return systemd;
        }
        if (Usable(SystemDirectory))
        {
            return Path.Combine(SystemDirectory, FileName);
        }
        var fallback = PerUser(xdgRuntimeDir, uid);
        note = $"{SystemDirectory} is not writable, so the admin socket is {fallback} (pass --admin-socket PATH to choose)";
        return fallback;
    }

    /// <summary>Where the CLI looks, in order, when no <c>--socket</c> is given.</summary>
    public static IReadOnlyList<string> Candidates(string? runtimeDirectory, string? xdgRuntimeDir, int uid)
    {
        var candidates = new List<string>();
        if (FromRuntimeDirectory(runtimeDirectory) is { } systemd)
        {
            candidates.Add(systemd);
        }
        candidates.Add(Path.Combine(SystemDirectory, FileName));
        if (xdgRuntimeDir is { Length: > 0 })
        {
            candidates.Add(Path.Combine(xdgRuntimeDir, "mcproxy", FileName));
        }
        candidates.Add(Path.Combine(Path.GetTempPath(), $"mcproxy-{uid}", FileName));
        return candidates.Distinct(StringComparer.Ordinal).ToArray();
    }

    public static string PerUser(string? xdgRuntimeDir, int uid) => xdgRuntimeDir is { Length: > 0 }
        ? Path.Combine(xdgRuntimeDir, "mcproxy", FileName)
        : Path.Combine(Path.GetTempPath(), $"mcproxy-{uid}", FileName);

    /// <summary>systemd may pass several directories separated by ':'; ours is the first.</summary>
    private static string? FromRuntimeDirectory(string? runtimeDirectory) =>
        runtimeDirectory?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first ? Path.Combine(first, FileName) : null;

    private static bool Usable(string directory)
    {
        if (Directory.Exists(directory))
        {
            return Posix.CanWriteIn(directory);
        }
        try
        {
            if (OperatingSystem.IsWindows())
            {
                return false;
            }
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                                 UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
