using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>
/// Stops a child and everything it spawned: close stdin → wait → SIGTERM to the group → wait → SIGKILL to the group.
/// Each step is bounded, so one stubborn child costs at most the sum of the graces.
/// NOTE 1: the group is swept even when the leader exits on its own: npx-style wrappers can leave grandchildren
/// behind in the group after the leader is reaped, and the group id cannot be reused while any member lives.
/// </summary>
internal static class ShutdownLadder
{
    public static async Task RunAsync(ChildProcess child, SupervisorOptions options, TimeProvider time)
    {
        child.Stdin.Dispose(); // EOF on stdin: the stdio transport's "please exit"
        if (!await ExitsWithin(child, options.StdinGrace, time).ConfigureAwait(false))
        {
            child.SignalGroup(SIGTERM);
            if (!await ExitsWithin(child, options.TermGrace, time).ConfigureAwait(false))
            {
                child.SignalGroupAlways(SIGKILL);
                await ExitsWithin(child, options.KillGrace, time).ConfigureAwait(false);
            }
        }
        await SweepGroupAsync(child.Pid, options.SweepGrace, time).ConfigureAwait(false);
    }

    /// <summary>True while any process is still in the group <paramref name="pgid"/>.</summary>
    public static bool GroupAlive(int pgid) => kill(-pgid, 0) == 0;

    private static async Task SweepGroupAsync(int pgid, TimeSpan grace, TimeProvider time)
    {
        if (!GroupAlive(pgid))
        {
            return;
        }
        kill(-pgid, SIGTERM);
        var deadline = time.GetUtcNow() + grace;
        while (GroupAlive(pgid) && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(25), time).ConfigureAwait(false);
        }
        kill(-pgid, SIGKILL);
    }

    private static async Task<bool> ExitsWithin(ChildProcess child, TimeSpan grace, TimeProvider time)
    {
        try
        {
            await child.Exited.WaitAsync(grace, time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
