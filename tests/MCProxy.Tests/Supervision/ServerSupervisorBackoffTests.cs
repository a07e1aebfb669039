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
            await WaitFor(() => supervisor.Status is { State: ServerState.Restarting, ExitCode: 1 } && time.ArmedTimers > 0, supervisor);
            var before = supervisor.Status.Restarts;
            time.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            await Task.Delay(20);
            Assert.Equal(before, supervisor.Status.Restarts); // not a millisecond early
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

    private static async Task WaitFor(Func<bool> condition, ServerSupervisor supervisor)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(5);
        }
        Assert.True(condition(), $"condition not reached; status: {supervisor.Status}");
    }
}
