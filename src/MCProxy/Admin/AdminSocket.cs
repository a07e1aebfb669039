using System.Net.Sockets;

namespace MCProxy.Admin;

/// <summary>
/// The admin API's unix socket: decided before Kestrel binds (<see cref="Prepare"/>), made mode 0660 once bound,
/// removed at stop. NOTE 1: a socket file that answers belongs to another running gateway: this one then serves
/// without an admin socket (and says so) rather than stealing it; one that does not answer is a leftover of a
/// crash and is replaced.
/// </summary>
internal sealed class AdminSocket
{
    public const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private AdminSocket(string path, string? problem)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    /// <summary>Why there is no admin socket (in use by another gateway, no directory); null when it listens.</summary>
    public string? Problem { get; }

    public bool Listens => Problem is null;

    /// <summary>Makes the directory (0700 when it is new: a per-user fallback is nobody else's) and clears a stale socket.</summary>
    public static AdminSocket Prepare(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            var directory = System.IO.Path.GetDirectoryName(full)!;
            if (!Directory.Exists(directory) && !OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            if (File.Exists(full) || Directory.Exists(full))
            {
                if (Answers(full))
                {
                    return new AdminSocket(full, $"{full} is in use by another running gateway; pass --admin-socket PATH to give this one its own");
                }
                File.Delete(full);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new AdminSocket(full, $"cannot use {full}: {ex.Message}; pass --admin-socket PATH (or none)");
        }
        return new AdminSocket(full, null);
    }

    /// <summary>After the bind: group members may connect too (systemd's RuntimeDirectory is the boundary).</summary>
    public void Restrict()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, SocketMode);
        }
    }

    /// <summary>Removes the socket file at stop; best effort.</summary>
    public void Remove()
    {
        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next start replaces a leftover socket (NOTE 1).
        }
    }

    private static bool Answers(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false; // ECONNREFUSED: nobody listens (or not a socket at all)
        }
    }
}
