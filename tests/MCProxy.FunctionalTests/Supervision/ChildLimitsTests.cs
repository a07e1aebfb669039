using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;

namespace MCProxy.FunctionalTests.Supervision;

/// <summary>A server's <c>"limits"</c> on a real child: memoryMB (the gateway's watch), cpuSeconds and openFiles (the kernel's).</summary>
public sealed partial class ChildLimitsTests
{
    /// <summary>Restarts held off for a minute, so the state after a breach stays put while the test reads it.</summary>
    private static readonly SupervisorOptions SlowRestart = GatewayFixture.FastRestarts with { Backoff = [TimeSpan.FromMinutes(1)] };

    private static JsonObject Limited(string name, JsonObject limits, params string[] switches)
    {
        var entry = TestServers.Entry(name, ["--limits", .. switches]);
        entry["limits"] = limits;
        return entry;
    }

    private static JsonObject Call(string tool, JsonObject? arguments = null) =>
        new() { ["name"] = tool, ["arguments"] = arguments ?? new JsonObject() };

    private static string Text(JsonObject response) => (string)response["result"]!["content"]![0]!["text"]!;

    [Fact]
    public async Task MemoryOverLimit_ChildIsStopped_HealthLogAndCallsNameMemoryMBAndTheRss()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            TestServers.Config(Limited("hog", new JsonObject { ["memoryMB"] = 150 }), TestServers.Entry("steady")), SlowRestart);
        var pid = gateway.Status("hog").Pid!.Value;

        // The call holds its answer, so it is in flight when the watch sees the breach.
        var inFlight = await gateway.RpcAsync("tools/call", Call("hog__alloc", new JsonObject { ["mb"] = 250, ["holdMs"] = 30_000 }));

        Assert.True((bool)inFlight["result"]!["isError"]!);
        var callText = Text(inFlight);
        Assert.Contains("\"limits.memoryMB\": 150", callText);
        Assert.True(RssOf(callText) > 150, callText);
        await gateway.WaitUntilAsync(() => gateway.Status("hog") is { State: ServerState.Restarting, Pid: null }, "hog stopped, waiting to restart");
        Assert.False(ProcessProbe.IsAlive(pid));

        var health = (await gateway.HealthAsync())["servers"]!.AsArray().Single(s => (string)s!["name"]! == "hog")!;
        var lastError = (string)health["lastError"]!;
        Assert.StartsWith("restarted: its processes used ", lastError);
        Assert.EndsWith("MiB, over \"limits.memoryMB\": 150", lastError);
        Assert.True(RssOf(lastError) > 150, lastError);
        var logged = await gateway.Logs.WaitForAsync(l => l.Contains("[hog]") && l.Contains("over \"limits.memoryMB\": 150"));
        Assert.Matches(@"use \d+ MiB", logged);
        Assert.Contains("\"limits.memoryMB\": 150", Text(await gateway.RpcAsync("tools/call", Call("hog__echo", new JsonObject { ["message"] = "x" }))));
        Assert.Equal(ServerState.Ready, gateway.Status("steady").State);
    }

    [Fact]
    public async Task MemoryOverLimit_IsRestartedThroughTheNormalPath_AndServesAgain()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(Limited("hog", new JsonObject { ["memoryMB"] = 150 })));
        var pid = gateway.Status("hog").Pid;
        var errors = new List<string>();
        gateway.Servers.TryGet("hog", out var entry);
        void OnChanged(ServerSupervisor s)
        {
            if (s.Status.LastError is { } e)
            {
                lock (errors) errors.Add(e);
            }
        }
        entry!.Supervisor!.Changed += OnChanged;

        await gateway.RpcAsync("tools/call", Call("hog__alloc", new JsonObject { ["mb"] = 250 }));
        await gateway.WaitUntilAsync(() => gateway.Status("hog") is { State: ServerState.Ready } s && s.Pid != pid, "hog restarted");

        entry.Supervisor.Changed -= OnChanged;
        Assert.Equal(1, gateway.Status("hog").Restarts);
        lock (errors)
        {
            Assert.Contains(errors, e => e.Contains("over \"limits.memoryMB\": 150"));
        }
        Assert.Equal("back", Text(await gateway.RpcAsync("tools/call", Call("hog__echo", new JsonObject { ["message"] = "back" }))));
    }

    [Fact]
    public async Task OpenFilesAndCpuSeconds_AreTheChildsRlimits_AndItsChildrenInheritThem()
    {
        await using var gateway = await GatewayFixture.StartAsync(
            TestServers.Config(Limited("capped", new JsonObject { ["openFiles"] = 200, ["cpuSeconds"] = 3600 }, "--grandchild")));

        var limits = Text(await gateway.RpcAsync("tools/call", Call("capped__limits")));
        Assert.Matches(@"Max open files\s+200\s+200\s+files", limits);
        Assert.Matches(@"Max cpu time\s+3600\s+3605\s+seconds", limits);

        gateway.Servers.TryGet("capped", out var entry);
        var line = entry!.Supervisor!.StderrTail.Single(l => l.Contains("grandchild pid"));
        var grandchild = int.Parse(GrandchildPid().Match(line).Groups[1].Value);
        Assert.Matches(@"Max open files\s+200\s+200\s+files", await File.ReadAllTextAsync($"/proc/{grandchild}/limits"));
    }

    [Fact]
    public async Task CpuSecondsSpent_TheKernelStopsTheChild_LastErrorNamesCpuSeconds()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(Limited("spinner", new JsonObject { ["cpuSeconds"] = 1 })), SlowRestart);
        Assert.Equal(ServerState.Ready, gateway.Status("spinner").State);

        var call = await gateway.RpcAsync("tools/call", Call("spinner__spin", new JsonObject { ["ms"] = 20_000 }));

        Assert.True((bool)call["result"]!["isError"]!);
        await gateway.WaitUntilAsync(() => gateway.Status("spinner").State == ServerState.Restarting && gateway.Status("spinner").Pid is null,
            "the kernel stopped spinner");
        var status = gateway.Status("spinner");
        Assert.Equal(128 + 24, status.ExitCode); // SIGXCPU at the soft limit
        Assert.Equal("stopped by the kernel (SIGXCPU): it used up its CPU time, \"limits.cpuSeconds\": 1", status.LastError);
        var health = (await gateway.HealthAsync())["servers"]![0]!;
        Assert.Contains("limits.cpuSeconds", (string)health["lastError"]!);
    }

    private static long RssOf(string text) => long.Parse(UsedMiB().Match(text).Groups[1].Value);

    [GeneratedRegex(@"used (\d+) MiB")]
    private static partial Regex UsedMiB();

    [GeneratedRegex(@"grandchild pid (\d+)")]
    private static partial Regex GrandchildPid();
}
