using System.Runtime.InteropServices;
using System.Text;
using MCProxy.Configuration;
using Microsoft.Win32.SafeHandles;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>
/// A child process started without a shell (argv array), in its own process group, with its stdin, stdout and
/// stderr on pipes. Exit is observed by a dedicated wait4 thread (exit status and CPU time), so nothing polls and no
/// zombie is left.
/// </summary>
internal sealed unsafe class ChildProcess : IDisposable
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Pids a waitpid thread owns, process-wide: the <see cref="OrphanReaper"/> reaps only zombies not in here.
    /// NOTE 2: a pid enters under <see cref="SpawnLock"/> together with the spawn, so the reaper (which scans under the
    /// same lock) never sees a fresh child before it is tracked; it leaves only after its own waitpid reaped it.
    /// </summary>
    internal static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> Tracked = new();

    internal static readonly object SpawnLock = new();

    private ChildProcess(int pid, SafeFileHandle stdin, Stream stdout, SafeFileHandle stderr, string marker)
    {
        Pid = pid;
        Stdin = stdin;
        Stdout = stdout;
        Stderr = stderr;
        Marker = marker;
        var waiter = new Thread(WaitForExit) { IsBackground = true, Name = $"waitpid {pid}" };
        waiter.Start();
    }

    public int Pid { get; }
    /// <summary>The write end of the child's stdin, non-blocking: a child that stops reading cannot stall a writer.</summary>
    public SafeFileHandle Stdin { get; }
    public Stream Stdout { get; }
    /// <summary>The read end of the child's stderr pipe (read by <see cref="StderrDrain"/> with poll).</summary>
    public SafeFileHandle Stderr { get; }

    /// <summary>The value of <see cref="ChildEnvironment.MarkerVariable"/> in this child's (and its descendants') environment.</summary>
    public string Marker { get; }

    /// <summary>Completes with the exit code (128 + signal when killed by a signal) once the child is reaped.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The CPU time (user + system) the child itself used, known once it was reaped (null before).</summary>
    public double? CpuSeconds { get; private set; }

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Starts <paramref name="command"/> (looked up in PATH) with <paramref name="args"/>.</summary>
    /// <exception cref="IOException">the program could not be started (not found, not executable, bad cwd).</exception>
    /// <param name="inheritEnv">false: the child gets only <see cref="ChildEnvironment.Essentials"/> of the gateway's environment.</param>
    /// <param name="limits">rlimits set on the child before this returns (see <see cref="ChildRlimits"/>, NOTE 1 there).</param>
    public static ChildProcess Start(string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> extraEnv, string? cwd,
        string marker, bool inheritEnv = true, ChildLimits? limits = null)
    {
        var environment = ChildEnvironment.Build(Environment.GetEnvironmentVariables(), extraEnv, marker, inheritEnv);
        if (cwd is not null && !Directory.Exists(cwd))
        {
            throw new IOException($"working directory '{cwd}' does not exist");
        }
        // posix_spawnp resolves the program with the *parent's* PATH; honour a PATH given in the server's env.
        var program = ResolveProgram(command, environment.GetValueOrDefault("PATH"));

        var argv = new List<string>(args.Count + 1) { command };
        argv.AddRange(args);
        var envp = environment.Select(kv => $"{kv.Key}={kv.Value}").ToList();

        int* stdinPipe = stackalloc int[2];
        int* stdoutPipe = stackalloc int[2];
        int* stderrPipe = stackalloc int[2];
        stdinPipe[0] = stdinPipe[1] = stdoutPipe[0] = stdoutPipe[1] = stderrPipe[0] = stderrPipe[1] = -1;
        var allocations = new List<IntPtr>();
        var actions = NativeMemory.AllocZeroed(OpaqueSize);
        var attr = NativeMemory.AllocZeroed(OpaqueSize);
        var sigset = NativeMemory.AllocZeroed(OpaqueSize);
        var actionsReady = false;
        var attrReady = false;
        try
        {
            if (pipe2(stdinPipe, O_CLOEXEC) != 0 || pipe2(stdoutPipe, O_CLOEXEC) != 0 || pipe2(stderrPipe, O_CLOEXEC) != 0)
            {
                throw new IOException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
            }
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsReady = true;
            // dup2 onto 0/1/2 clears O_CLOEXEC on the copies; every other descriptor closes on exec.
            Check(posix_spawn_file_actions_adddup2(actions, stdinPipe[0], 0), "adddup2");
            Check(posix_spawn_file_actions_adddup2(actions, stdoutPipe[1], 1), "adddup2");
            Check(posix_spawn_file_actions_adddup2(actions, stderrPipe[1], 2), "adddup2");
            if (cwd is not null)
            {
                Check(posix_spawn_file_actions_addchdir_np(actions, Utf8(cwd, allocations)), "addchdir");
            }
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrReady = true;
            // Own process group (pgid = child pid); default dispositions for every signal (.NET ignores SIGPIPE,
            // which an exec would otherwise inherit); nothing blocked.
            Check(posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "setflags");
            Check(posix_spawnattr_setpgroup(attr, 0), "setpgroup");
            sigfillset(sigset);
            Check(posix_spawnattr_setsigdefault(attr, sigset), "setsigdefault");
            sigemptyset(sigset);
            Check(posix_spawnattr_setsigmask(attr, sigset), "setsigmask");

            var argvPtr = StringArray(argv, allocations);
            var envPtr = StringArray(envp, allocations);
            int pid;
            var programPtr = Utf8(program, allocations);
            int rc;
            lock (SpawnLock)
            {
                rc = posix_spawnp(&pid, programPtr, actions, attr, argvPtr, envPtr);
                if (rc == 0)
                {
                    Tracked[pid] = 0;
                }
            }
            if (rc != 0)
            {
                throw new IOException($"cannot start '{command}': {Marshal.GetPInvokeErrorMessage(rc)}");
            }
            close(stdinPipe[0]); stdinPipe[0] = -1;
            close(stdoutPipe[1]); stdoutPipe[1] = -1;
            close(stderrPipe[1]); stderrPipe[1] = -1;
            if (fcntl(stdinPipe[1], F_SETFL, fcntl(stdinPipe[1], F_GETFL, 0) | O_NONBLOCK) != 0)
            {
                throw new IOException($"fcntl failed: errno {Marshal.GetLastPInvokeError()}");
            }
            var child = new ChildProcess(pid,
                new SafeFileHandle(stdinPipe[1], ownsHandle: true),
                Open(stdoutPipe[0], FileAccess.Read),
                new SafeFileHandle(stderrPipe[0], ownsHandle: true),
                marker);
            stdinPipe[1] = stdoutPipe[0] = stderrPipe[0] = -1;
            if (limits is { IsNone: false })
            {
                try
                {
                    ChildRlimits.Apply(pid, limits);
                }
                catch (IOException)
                {
                    // Never run a child without the limits it was given; its waitpid thread reaps it.
                    child.SignalGroupAlways(SIGKILL);
                    child.Dispose();
                    throw;
                }
            }
            return child;
        }
        finally
        {
            for (var i = 0; i < 2; i++)
            {
                if (stdinPipe[i] >= 0) close(stdinPipe[i]);
                if (stdoutPipe[i] >= 0) close(stdoutPipe[i]);
                if (stderrPipe[i] >= 0) close(stderrPipe[i]);
            }
            if (actionsReady) posix_spawn_file_actions_destroy(actions);
            if (attrReady) posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigset);
            foreach (var p in allocations)
            {
                Marshal.FreeHGlobal(p);
            }
        }
    }

    /// <summary>Sends a signal to the child's whole process group (children and grandchildren).</summary>
    public void SignalGroup(int signal)
    {
        if (!HasExited)
        {
            // The group outlives its leader only while the leader is unreaped or grandchildren remain; ESRCH is fine.
            kill(-Pid, signal);
        }
    }

    /// <summary>
    /// Signals the process group even after the leader was reaped: grandchildren of an npx wrapper
    /// may still be running in it. Harmless when the group is gone (ESRCH).
    /// </summary>
    public void SignalGroupAlways(int signal) => kill(-Pid, signal);

    public void Dispose()
    {
        // NOTE 1: closing our pipe ends is safe at any time; the waitpid thread owns reaping.
        Stdin.Dispose();
        Stdout.Dispose();
        Stderr.Dispose();
    }

    private void WaitForExit()
    {
        int status;
        var usage = stackalloc long[32]; // struct rusage: ru_utime and ru_stime (seconds, microseconds) lead it
        while (true)
        {
            var rc = wait4(Pid, &status, 0, usage);
            if (rc == Pid)
            {
                CpuSeconds = usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
                Tracked.TryRemove(Pid, out _);
                _exited.TrySetResult(DecodeWaitStatus(status));
                return;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (rc == -1 && errno == EINTR)
            {
                continue;
            }
            // ECHILD: someone else reaped it (should not happen); report an unknown exit.
            Tracked.TryRemove(Pid, out _);
            _exited.TrySetResult(-1);
            return;
        }
    }

    private static string ResolveProgram(string command, string? path)
    {
        if (command.Contains('/') || string.IsNullOrEmpty(path))
        {
            return command;
        }
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return command;
    }

    private static Stream Open(int fd, FileAccess access) =>
        new FileStream(new SafeFileHandle(fd, ownsHandle: true), access, bufferSize: 0);

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(rc)}");
        }
    }

    private static byte* Utf8(string s, List<IntPtr> allocations)
    {
        var bytes = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)Marshal.AllocHGlobal(bytes + 1);
        allocations.Add((IntPtr)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, bytes));
        p[bytes] = 0;
        return p;
    }

    private static byte** StringArray(List<string> items, List<IntPtr> allocations)
    {
        var array = (byte**)Marshal.AllocHGlobal(IntPtr.Size * (items.Count + 1));
        allocations.Add((IntPtr)array);
        for (var i = 0; i < items.Count; i++)
        {
            array[i] = Utf8(items[i], allocations);
        }
        array[items.Count] = null;
        return array;
    }
}
