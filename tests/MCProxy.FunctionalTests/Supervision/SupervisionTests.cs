using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Supervision;

/// <summary>Real children that crash, hang, exit at start and misbehave; the gateway and the other children carry on.</summary>
public sealed class SupervisionTests
{
    private static JsonObject EchoCall(string server, string message) =>
        new() { ["name"] = $"{server}__echo", ["arguments"] = new JsonObject { ["message"] = message } };

    [Fact]
    public async Task Crash_RestartsWithBackoff_AndTheFourthCrashMarksFailed()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("flaky"), TestServers.Entry("steady")));
        var steadyPid = gateway.Status("steady").Pid;
        for (var crash = 1; crash <= 3; crash++)
        {
            var pidBefore = gateway.Status("flaky").Pid;
            await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "flaky__crash" });
            await gateway.WaitUntilAsync(() => gateway.Status("flaky") is { State: ServerState.Ready } s && s.Pid != pidBefore,
                $"flaky restarted after crash {crash}");
            Assert.Equal(crash, gateway.Status("flaky").Restarts);
            var echo = await gateway.RpcAsync("tools/call", EchoCall("flaky", $"alive {crash}"));
            Assert.Equal($"alive {crash}", (string)echo["result"]!["content"]![0]!["text"]!);
        }
        await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "flaky__crash" });
        await gateway.WaitUntilAsync(() => gateway.Status("flaky").State == ServerState.Failed, "flaky failed");

        var status = gateway.Status("flaky");
        Assert.Equal(7, status.ExitCode);
        Assert.Null(status.Pid);
        var call = await gateway.RpcAsync("tools/call", EchoCall("flaky", "x"));
        Assert.True((bool)call["result"]!["isError"]!);
        var text = (string)call["result"]!["content"]![0]!["text"]!;
        Assert.Contains("server 'flaky' is failed", text);
        Assert.Contains("exit code 7", text);
        // The stderr tail may carry a child's secrets: clients get a pointer to it, loopback /health gets the lines.
        Assert.DoesNotContain("crash tool called", text);
        Assert.Contains("/health", text);
        Assert.Contains("crash tool called", (await gateway.HealthAsync())["servers"]![0]!["stderr"]!.ToJsonString());

        var listed = await gateway.RpcAsync("tools/list");
        Assert.DoesNotContain(listed["result"]!["tools"]!.AsArray(), t => ((string)t!["name"]!).StartsWith("flaky__"));
        Assert.Equal(steadyPid, gateway.Status("steady").Pid);
        var health = await gateway.HealthAsync();
        Assert.Equal("degraded", (string)health["status"]!);
        Assert.Equal("failed", (string)health["servers"]![0]!["state"]!);
    }

    [Fact]
    public async Task StableRunning_ResetsTheCrashCount()
    {
        // "Stable" shortened to 1 s for the test; the product's is 60 s.
        var options = GatewayFixture.FastRestarts with { StableAfter = TimeSpan.FromSeconds(1) };
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("flaky")), options);
        for (var crash = 1; crash <= 3; crash++)
        {
            var pid = gateway.Status("flaky").Pid;
            await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "flaky__crash" });
            await gateway.WaitUntilAsync(() => gateway.Status("flaky") is { State: ServerState.Ready } s && s.Pid != pid, $"restart {crash}");
        }
        // Three crashes used up the restarts; after a stable second the count starts over, so a fourth crash restarts.
        var readySince = gateway.Status("flaky").Since;
        await gateway.WaitUntilAsync(() => DateTimeOffset.UtcNow - readySince > TimeSpan.FromSeconds(1.2), "a stable second");
        var before = gateway.Status("flaky").Pid;
        await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "flaky__crash" });
        await gateway.WaitUntilAsync(() => gateway.Status("flaky") is { State: ServerState.Ready } s && s.Pid != before, "restart after reset");
        Assert.Equal(4, gateway.Status("flaky").Restarts);
    }

    [Fact]
    public async Task Crash_ConnectedClientsAreToldTheToolListChanged()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("flaky"), TestServers.Entry("steady")));
        var changes = 0;
        await using var client = await gateway.ConnectSseAsync();
        await using var registration = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (_, _) => { Interlocked.Increment(ref changes); return ValueTask.CompletedTask; });
        await client.CallToolAsync("flaky__crash");
        await gateway.WaitUntilAsync(() => Volatile.Read(ref changes) >= 2, "list_changed for down and up", 10);
        var names = (await client.ListToolsAsync()).Select(t => t.Name).ToList();
        Assert.Contains("flaky__echo", names);
    }

    [Fact]
    public async Task ExitAtStart_FailsAfterThreeRestarts_OtherServersServe()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("broken", "--exit-at-start", "5"), TestServers.Entry("fine")));
        await gateway.WaitUntilAsync(() => gateway.Status("broken").State == ServerState.Failed, "broken failed");
        Assert.Equal(3, gateway.Status("broken").Restarts);
        Assert.Equal(5, gateway.Status("broken").ExitCode);
        var echo = await gateway.RpcAsync("tools/call", EchoCall("fine", "ok"));
        Assert.Equal("ok", (string)echo["result"]!["content"]![0]!["text"]!);
        var health = await gateway.HealthAsync();
        var broken = health["servers"]!.AsArray().Single(s => (string)s!["name"]! == "broken")!;
        Assert.Contains("exited with code 5", (string)broken["lastError"]!);
        Assert.Contains("exiting at start", broken["stderr"]!.ToJsonString());
    }

    [Fact]
    public async Task Timeout_HungCallIsAnsweredWithAnError_AndTheChildIsToldToCancel()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("slow", timeoutSeconds: 2)));
        var started = DateTime.UtcNow;
        var call = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "slow__slow", ["arguments"] = new JsonObject { ["ms"] = 30_000 },
        });
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10));
        Assert.True((bool)call["result"]!["isError"]!);
        Assert.Contains("did not answer tools/call within 2 s", (string)call["result"]!["content"]![0]!["text"]!);
        await gateway.WaitUntilAsync(() => gateway.Servers.TryGet("slow", out var e) &&
                                           e.Supervisor!.StderrTail.Any(l => l.Contains("cancelled request")), "child saw the cancel");
        Assert.Equal(ServerState.Ready, gateway.Status("slow").State);
    }

    [Fact]
    public async Task HangingInitialize_IsBoundedByTimeout_AndGatewayStillBecomesReady()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("hang", 0.3, "--hang-initialize"), TestServers.Entry("fine")));
        Assert.Equal(ServerState.Ready, gateway.Status("fine").State);
        await gateway.WaitUntilAsync(() => gateway.Status("hang").State == ServerState.Failed, "hang failed");
        Assert.Contains("did not answer initialize", gateway.Status("hang").LastError);
    }

    [Fact]
    public async Task ClientCancel_StopsTheUpstreamWork()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("slow")));
        using var stream = await gateway.Http.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();
        var endpoint = (await reader.ReadLineAsync())!["data: ".Length..];
        await gateway.PostAsync(endpoint, """{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{"name":"slow__slow","arguments":{"ms":30000}}}""");
        // Once the call is in flight, cancel it the way clients do.
        await gateway.WaitUntilAsync(() => InFlight(gateway) > 0, "call in flight");
        await gateway.PostAsync(endpoint, """{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"c1","reason":"user"}}""");
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("data: {", StringComparison.Ordinal))
        {
        }
        Assert.Contains("\"id\":\"c1\"", line);
        Assert.Contains("-32800", line);
        await gateway.WaitUntilAsync(() => gateway.Servers.TryGet("slow", out var e) &&
                                           e.Supervisor!.StderrTail.Any(l => l.Contains("cancelled request")), "child saw the cancel");
    }

    private static int InFlight(GatewayFixture gateway) =>
        gateway.Services.GetService(typeof(MCProxy.Gateway.SessionRegistry)) is MCProxy.Gateway.SessionRegistry sessions
            ? sessions.All.Sum(s => s.InFlight.Count)
            : 0;

    [Fact]
    public async Task ChildListChanged_IsRelisted_AndForwardedToClients()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("dyn", "--list-changed")));
        var changed = new TaskCompletionSource();
        await using var client = await gateway.ConnectStreamableAsync();
        await using var registration = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; });
        await client.CallToolAsync("dyn__add_tool");
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("dyn__added_0", (await client.ListToolsAsync()).Select(t => t.Name));
    }

    [Fact]
    public async Task StdoutGarbage_IsIgnoredWithAWarning()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("noisy", "--stdout-garbage")));
        Assert.Equal(ServerState.Ready, gateway.Status("noisy").State);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("[noisy] wrote a line on stdout that is not usable JSON-RPC"));
    }

    [Fact]
    public async Task InvalidServer_IsNotStarted_HealthSaysWhy_ValidOnesStart()
    {
        var config = """
            {"servers":[
              {"name":"needs-var","command":"dotnet","env":{"K":"${MCPROXY_TEST_UNSET_VARIABLE}"}},
              {"name":"off","command":"dotnet","enabled":false}
            """ + "," + TestServers.Entry("good").ToJsonString() + "]}";
        await using var gateway = await GatewayFixture.StartAsync(config);
        var health = await gateway.HealthAsync();
        var servers = health["servers"]!.AsArray();
        var invalid = servers.Single(s => (string)s!["name"]! == "needs-var")!;
        Assert.Equal("invalid", (string)invalid["state"]!);
        Assert.Contains("MCPROXY_TEST_UNSET_VARIABLE", invalid["configErrors"]!.ToJsonString());
        Assert.Equal("disabled", (string)servers.Single(s => (string)s!["name"]! == "off")!["state"]!);
        Assert.Equal("ready", (string)servers.Single(s => (string)s!["name"]! == "good")!["state"]!);
    }

    [Fact]
    public async Task SecretEnvValues_NeverReachTheLog()
    {
        const string secret = "s3cr3t-token-value-4711";
        var entry = TestServers.Entry("withsecret", "--exit-at-start", "2");
        entry["env"] = new JsonObject { ["API_TOKEN"] = "${MY_TOKEN}", ["OTHER"] = "${MISSING_TOKEN}" };
        var second = TestServers.Entry("secret-ok");
        second["env"] = new JsonObject { ["API_TOKEN"] = "${MY_TOKEN}" };
        var env = new Dictionary<string, string> { ["MY_TOKEN"] = secret, ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(entry, second), processEnv: env);
        var echo = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "secret-ok__env", ["arguments"] = new JsonObject { ["name"] = "API_TOKEN" },
        });
        Assert.Equal(secret, (string)echo["result"]!["content"]![0]!["text"]!); // the child does get it
        var all = string.Join("\n", gateway.Logs.Lines) + await gateway.Http.GetStringAsync("/health");
        Assert.Contains("MISSING_TOKEN", all);
        Assert.DoesNotContain(secret, all);
    }
}
