using System.Net.Sockets;

namespace MCProxy.Admin;

/// <summary>
/// The admin API's unix socket: decided before Kestrel binds (<see cref="Prepare"/>), made mode 0660 once bound,
/// removed at stop. NOTE 1: the path belongs to the gateway that holds the lock file beside it
/// (<c>mcproxy.sock.lock</c>, an exclusive lock for the process's lifetime): another gateway that starts meanwhile —
/// even in the same millisecond — serves without an admin socket and says so, rather than failing its bind or
/// stealing the socket. A socket file nobody holds the lock for (and that does not answer) is a leftover of a crash
/// and is replaced.
/// </summary>
internal sealed class AdminSocket
{
    /// <summary>sun_path holds 108 bytes with the terminating NUL.</summary>
    public const int MaxPathBytes = 107;

    private FileStream? _lock;

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
        if (System.Text.Encoding.UTF8.GetByteCount(full) > MaxPathBytes)
        {
            return new AdminSocket(full, $"{full} is longer than a unix socket path may be ({MaxPathBytes} bytes); pass a shorter --admin-socket PATH");
        }
        try
        {
            var directory = System.IO.Path.GetDirectoryName(full)!;
            if (!Directory.Exists(directory) && !OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            FileStream held;
            try
            {
                // .NET takes an advisory flock for FileShare.None on Unix: held until this process ends.
                held = new FileStream(full + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return InUse(full);
            }
            if ((File.Exists(full) || Directory.Exists(full)) && Answers(full))
            {
                held.Dispose();
                return InUse(full);
            }
            File.Delete(full);
            return new AdminSocket(full, null) { _lock = held };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new AdminSocket(full, $"cannot use {full}: {ex.Message}; pass --admin-socket PATH (or none)");
        }
    }

    private static AdminSocket InUse(string path) =>
        new(path, $"{path} is in use by another running gateway; pass --admin-socket PATH to give this one its own");

    /// <summary>After the bind: group members may connect too (systemd's RuntimeDirectory is the boundary).</summary>
    public void Restrict()
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, SocketMode);
        }
    }

    /// <summary>Removes the socket file at stop and lets the lock go (the lock file stays: see NOTE 1); best effort.</summary>
    public void Remove()
    {
        try
        {
            File.Delete(Path);
            _lock?.Dispose();
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
