using MCProxy.Configuration;
using MCProxy.Supervision;
using MCProxy.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Supervision;

public class ServerSupervisorBackoffTests
{
    [Fact]
    public async Task CrashingChild_RestartsAfter1s2s4s_ThenFails()
    {
        var time = new FakeTimeProvider();
        var config = new ServerConfig { Name = "dies", Command = "/bin/false" };
        await using var supervisor = new ServerSupervisor(config, new SupervisorOptions(), time, NullLogger.Instance);
        supervisor.Start();
        foreach (var (delay, restartsAfter) in new[] { (1, 1), (2, 2), (4, 3) })
        {
            // The ladder and the stderr grace also run on this clock: wait for the timer due exactly one backoff from now.
            await WaitFor(() => supervisor.Status is { State: ServerState.Restarting, ExitCode: 1, Pid: null } &&
                                time.HasTimerDueIn(TimeSpan.FromSeconds(delay)), supervisor);
            var before = supervisor.Status.Restarts;
            time.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            Assert.True(time.HasTimerDueIn(TimeSpan.FromMilliseconds(1))); // the backoff timer has not fired: not a millisecond early
            Assert.Equal(before, supervisor.Status.Restarts);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await WaitFor(() => supervisor.Status.Restarts == restartsAfter, supervisor);
        }
        await WaitFor(() => supervisor.Status.State == ServerState.Failed, supervisor);
        Assert.Equal(3, supervisor.Status.Restarts);
        Assert.Contains("exited with code 1", supervisor.Status.LastError);
    }

    [Fact]
    public async Task MissingProgram_IsReportedAndRetried()
    {
        var time = new FakeTimeProvider();
        var config = new ServerConfig { Name = "nope", Command = "/nonexistent/mcp-server" };
        await using var supervisor = new ServerSupervisor(config, new SupervisorOptions(), time, NullLogger.Instance);
        supervisor.Start();
        await WaitFor(() => supervisor.Status.State == ServerState.Restarting && time.ArmedTimers > 0, supervisor);
        Assert.Contains("cannot start '/nonexistent/mcp-server'", supervisor.Status.LastError);
        Assert.Contains("cannot start", supervisor.DescribeUnavailable());
    }

    /// <summary>Waits on the supervisor's Changed event (bounded) until the condition holds.</summary>
    private static async Task WaitFor(Func<bool> condition, ServerSupervisor supervisor)
    {
        var changed = new SemaphoreSlim(0);
        void OnChanged(ServerSupervisor _) => changed.Release();
        supervisor.Changed += OnChanged;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!condition() && DateTime.UtcNow < deadline)
            {
                // Timers are armed outside Changed: re-check at least every 50 ms.
                await changed.WaitAsync(TimeSpan.FromMilliseconds(50));
            }
            Assert.True(condition(), $"condition not reached; status: {supervisor.Status}");
        }
        finally
        {
            supervisor.Changed -= OnChanged;
        }
    }
}
