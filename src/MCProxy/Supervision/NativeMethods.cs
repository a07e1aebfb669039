using System.Runtime.InteropServices;

namespace MCProxy.Supervision;

/// <summary>
/// The few libc calls .NET's Process class does not expose: posix_spawn with its own process group (so a whole
/// npx → sh → node tree can be signalled at once), group signals, wait4 (exit status and CPU time) and prlimit.
/// </summary>
internal static unsafe partial class NativeMethods
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGXCPU = 24;
    public const int RLIMIT_CPU = 0;
    public const int RLIMIT_NOFILE = 7;
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int ECHILD = 10;
    public const int ESRCH = 3;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const int WNOHANG = 1;
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    // glibc x86_64/arm64: posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80, sigset_t 128.
    // Allocated with room to spare so a different libc layout cannot overrun.
    public const int OpaqueSize = 1024;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint writev(int fd, IoVec* iov, int count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport("libc")]
    public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc")]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc")]
    public static partial int sigfillset(void* set);

    [LibraryImport("libc")]
    public static partial int sigemptyset(void* set);

    /// <summary>Returns 0 or an errno value (posix_spawn does not use errno).</summary>
    [LibraryImport("libc")]
    public static partial int posix_spawnp(int* pid, byte* file, void* actions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    /// <summary>Like waitpid, and fills <paramref name="usage"/> (struct rusage, 144 bytes on 64-bit Linux: give 256).</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int wait4(int pid, int* status, int options, long* usage);

    /// <summary>struct rlimit: soft (current) and hard (maximum) limit; <see cref="RLIM_INFINITY"/> is none.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    public const ulong RLIM_INFINITY = ulong.MaxValue;

    /// <summary>Sets (<paramref name="newLimit"/> non-null) and/or reads (<paramref name="oldLimit"/> non-null) a limit of another process; pid 0 is this one.</summary>
    [LibraryImport("libc", SetLastError = true)]
    public static partial int prlimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

    /// <summary>Decodes a waitpid status: the exit code, or 128 + signal number for a signalled child.</summary>
    public static int DecodeWaitStatus(int status)
    {
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
