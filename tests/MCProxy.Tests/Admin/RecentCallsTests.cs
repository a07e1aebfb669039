using MCProxy.Admin;
using MCProxy.Security;
using MCProxy.Tests.Infrastructure;

namespace MCProxy.Tests.Admin;

public class RecentCallsTests
{
    private static AuditRecord Call(string? server, double ms, AuditOutcome outcome = AuditOutcome.Ok) =>
        new(DateTimeOffset.UnixEpoch, "alice", null, "mcp", server, "t", ms, outcome, 0, 0, null, default);

    private static RecentCalls Calls(FakeTimeProvider time) => new(time, name => name is "a" or "b");

    [Fact]
    public void Read_AfterCalls_GivesRateOverTheWindowAndMedian()
    {
        var time = new FakeTimeProvider();
        var calls = Calls(time);
        foreach (var ms in new[] { 5.0, 1.0, 9.0, 3.0 })
        {
            calls.Add(Call("a", ms));
        }

        Assert.Equal((4.0 / RecentCalls.WindowSeconds, 4.0), calls.Read("a"));
        Assert.Equal((0.0, (double?)null), calls.Read("b"));
    }

    [Fact]
    public void Read_AfterTheWindowPassed_ForgetsTheCalls()
    {
        var time = new FakeTimeProvider();
        var calls = Calls(time);
        calls.Add(Call("a", 10));
        time.Advance(TimeSpan.FromSeconds(5));
        calls.Add(Call("a", 20));
        calls.Add(Call("a", 30));

        time.Advance(TimeSpan.FromSeconds(RecentCalls.WindowSeconds - 5));

        Assert.Equal((2.0 / RecentCalls.WindowSeconds, 25.0), calls.Read("a"));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((0.0, (double?)null), calls.Read("a"));
    }

    [Fact]
    public void Add_RefusalsAndUnknownServers_AreNotCounted()
    {
        var time = new FakeTimeProvider();
        var calls = Calls(time);

        calls.Add(Call("a", 1, AuditOutcome.Denied));
        calls.Add(Call("a", 1, AuditOutcome.RateLimited));
        calls.Add(Call("a", 1, AuditOutcome.Unauthenticated));
        calls.Add(Call(null, 1));
        calls.Add(Call("nobody", 1));
        calls.Add(Call("a", 7, AuditOutcome.Timeout));

        Assert.Equal((1.0 / RecentCalls.WindowSeconds, 7.0), calls.Read("a"));
        Assert.Equal((0.0, (double?)null), calls.Read("nobody"));
    }

    [Fact]
    public void Add_PastMaxSamples_CountsEveryCallButTheMedianIsOfTheLatest()
    {
        var time = new FakeTimeProvider();
        var calls = Calls(time);
        for (var i = 0; i < RecentCalls.MaxSamples; i++)
        {
            calls.Add(Call("a", 1000));
        }
        for (var i = 0; i < RecentCalls.MaxSamples; i++)
        {
            calls.Add(Call("a", 1));
        }

        var (perSecond, median) = calls.Read("a");

        Assert.Equal(2.0 * RecentCalls.MaxSamples / RecentCalls.WindowSeconds, perSecond);
        Assert.Equal(1.0, median);
    }

    [Fact]
    public void Retain_RemovedServer_DropsItsWindow()
    {
        var time = new FakeTimeProvider();
        var calls = Calls(time);
        calls.Add(Call("a", 1));
        calls.Add(Call("b", 1));

        calls.Retain(new HashSet<string> { "b" });

        Assert.Equal((0.0, (double?)null), calls.Read("a"));
        Assert.Equal(1.0 / RecentCalls.WindowSeconds, calls.Read("b").PerSecond);
    }
}
