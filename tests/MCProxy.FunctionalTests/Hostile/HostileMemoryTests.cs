using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Hostile;

/// <summary>
/// The memory and process cases, against the gateway as its own process with the quadlet's heap hard limit
/// (384 MiB): a peer that hits a bound hurts only itself, the gateway's RSS stays within a stated bound, and
/// another session still gets a normal answer.
/// </summary>
public sealed class HostileMemoryTests
{
    /// <summary>How far the gateway's RSS may grow over its own idle figure in any case below.</summary>
    private const double RssGrowthBoundMiB = 64;

    private static string Config(params string[] names) =>
        TestServers.Config(names.Select(n => TestServers.Entry(n, "--hostile")).ToArray());

    private static void AssertRssBounded(ExternalGateway gateway, double baseline, string what)
    {
        var rss = gateway.RssMiB();
        Assert.True(rss - baseline < RssGrowthBoundMiB,
            $"{what}: RSS grew from {baseline:0} to {rss:0} MiB (bound +{RssGrowthBoundMiB} MiB)");
    }

    [Fact]
    public async Task SlowBodiesDeclaringTheMaximum_CostWhatArrives_ThenALargeChildNotificationIsRelayed()
    {
        await using var gateway = await ExternalGateway.StartAsync(Config("a"));
        var baseline = gateway.RssMiB();
        var uri = new Uri(gateway.BaseUrl);
        var sockets = new List<Socket>();
        try
        {
            // 120 connections each declare a 4 MiB body and send a few bytes of it.
            for (var i = 0; i < 120; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(uri.Host, uri.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes(
                    $"POST /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {4 * 1024 * 1024}\r\n\r\n{{\"jsonrpc\""));
                sockets.Add(socket);
            }
            await gateway.AssertEchoAsync("a");
            AssertRssBounded(gateway, baseline, "120 slow 4 MiB bodies");

            // A 3 MB log message from the child reaches a listening session; nothing dies.
            using var stream = await gateway.Http.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
            var flood = await gateway.RpcAsync("tools/call", new JsonObject
            {
                ["name"] = "a__flood", ["arguments"] = new JsonObject { ["kind"] = "log", ["count"] = 1, ["bytes"] = 3_000_000 },
            });
            Assert.Equal("flooded 1", (string)flood["result"]!["content"]![0]!["text"]!);
            await gateway.AssertEchoAsync("a");
            Assert.False(gateway.HasExited);
            AssertRssBounded(gateway, baseline, "a 3 MB notification");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task ChildStderrLineOf48MiB_WithoutNewline_IsCut_MemoryStaysBounded()
    {
        await using var gateway = await ExternalGateway.StartAsync(Config("a", "b"));
        var baseline = gateway.RssMiB();
        var flood = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "a__flood", ["arguments"] = new JsonObject { ["kind"] = "stderr", ["bytes"] = 48 * 1024 * 1024 },
        });
        Assert.Equal("flooded stderr", (string)flood["result"]!["content"]![0]!["text"]!);
        await gateway.AssertEchoAsync("a");
        await gateway.AssertEchoAsync("b");
        AssertRssBounded(gateway, baseline, "a 48 MiB stderr line");
        var tail = (await gateway.HealthAsync())["servers"]![0]!["stderr"]!.AsArray();
        Assert.All(tail, l => Assert.True(((string)l!).Length <= 9 * 1024, "a stderr tail line over 9 KiB"));
    }

    [Fact]
    public async Task ClientThatStopsReadingItsPostEventStream_IsDisconnected_MemoryStaysBounded()
    {
        await using var gateway = await ExternalGateway.StartAsync(Config("a"));
        var baseline = gateway.RssMiB();
        // Initialize a Streamable session, then call a progress flood and never read the answer stream.
        using var init = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"stall","version":"1"}}}""",
                Encoding.UTF8, "application/json"),
        };
        init.Headers.Accept.ParseAdd("application/json, text/event-stream");
        using var initialized = await gateway.Http.SendAsync(init);
        var session = initialized.Headers.GetValues("Mcp-Session-Id").Single();

        var uri = new Uri(gateway.BaseUrl);
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(uri.Host, uri.Port);
        var body = """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a__flood","arguments":{"kind":"progress","count":800,"bytes":131072},"_meta":{"progressToken":"p"}}}""";
        await stalled.SendAsync(Encoding.ASCII.GetBytes(
            $"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" +
            $"Mcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-11-25\r\nContent-Length: {body.Length}\r\n\r\n{body}"));

        await WaitForAsync(() => gateway.Output.Any(l => l.Contains("stopped reading its stream")), "the stalled client dropped");
        AssertRssBounded(gateway, baseline, "100 MiB of progress for a client that reads nothing");
        await gateway.AssertEchoAsync("a");
        // The dropped session is gone: its id now gets 404.
        using var probe = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent("""{"jsonrpc":"2.0","id":3,"method":"ping"}""", Encoding.UTF8, "application/json") };
        probe.Headers.Accept.ParseAdd("application/json, text/event-stream");
        probe.Headers.Add("Mcp-Session-Id", session);
        using var gone = await gateway.Http.SendAsync(probe);
        Assert.Equal(404, (int)gone.StatusCode);
    }

    [Fact]
    public async Task LegacySseClientThatStopsReading_WhileChildrenLog_IsDisconnected_MemoryStaysBounded()
    {
        await using var gateway = await ExternalGateway.StartAsync(Config("a"));
        var baseline = gateway.RssMiB();
        var uri = new Uri(gateway.BaseUrl);
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(uri.Host, uri.Port);
        await stalled.SendAsync(Encoding.ASCII.GetBytes("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
        await WaitForAsync(async () => (int)(await gateway.HealthAsync())["sessions"]! == 1, "the stalled session is open");

        // Few messages, many bytes: 400 log lines of 256 KiB (100 MiB) — a message-count cap would not notice.
        var flood = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "a__flood", ["arguments"] = new JsonObject { ["kind"] = "log", ["count"] = 400, ["bytes"] = 256 * 1024 },
        });
        Assert.Equal("flooded 400", (string)flood["result"]!["content"]![0]!["text"]!);
        await WaitForAsync(() => gateway.Output.Any(l => l.Contains("stopped reading its stream")), "the stalled client dropped");
        await WaitForAsync(async () => (int)(await gateway.HealthAsync())["sessions"]! == 0, "the stalled session forgotten");
        AssertRssBounded(gateway, baseline, "100 MiB of log lines for a client that reads nothing");
        await gateway.AssertEchoAsync("a");
    }

    [Fact]
    public async Task EscapedGrandchild_IsReparentedToTheGateway_KilledWithItsServer_AndReaped()
    {
        await using var gateway = await ExternalGateway.StartAsync(Config("a", "b"));
        var escaped = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "a__escape" });
        var grandchild = int.Parse((string)escaped["result"]!["content"]![0]!["text"]!);
        Assert.True(ProcessProbe.IsAlive(grandchild));

        // The child dies; its grandchild (own session, holding the pipes) is orphaned to the gateway, the subreaper,
        // then killed by marker and reaped: neither a live process nor a zombie remains.
        await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "a__crash" });
        await WaitForAsync(() => !File.Exists($"/proc/{grandchild}/stat") || ProcessTree(grandchild) is not { } p || p.ParentPid != gateway.Pid && !ProcessProbe.IsAlive(grandchild),
            "the escaped grandchild is gone");
        await WaitForAsync(() => gateway.ZombieChildren().Count == 0, "no zombie left under the gateway");
        await WaitForAsync(async () => (string?)(await gateway.HealthAsync())["servers"]![0]!["state"] == "ready", "a restarted");
        await gateway.AssertEchoAsync("a");
        await gateway.AssertEchoAsync("b");
    }

    [Fact]
    public async Task Children_DoNotInheritTheServiceManagersVariables()
    {
        var systemd = new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = "/run/nonexistent/notify", ["WATCHDOG_USEC"] = "600000000", ["WATCHDOG_PID"] = "1",
            ["LISTEN_FDS"] = "0", ["LISTEN_PID"] = "1", ["INVOCATION_ID"] = "abc", ["JOURNAL_STREAM"] = "8:1234",
            ["MCPROXY_TEST_KEPT"] = "kept",
        };
        await using var gateway = await ExternalGateway.StartAsync(Config("a"), systemd);
        foreach (var name in systemd.Keys)
        {
            var value = await gateway.RpcAsync("tools/call", new JsonObject
            {
                ["name"] = "a__env", ["arguments"] = new JsonObject { ["name"] = name },
            });
            var text = (string)value["result"]!["content"]![0]!["text"]!;
            Assert.Equal(name == "MCPROXY_TEST_KEPT" ? "kept" : "(unset)", text);
        }
    }

    private static MCProxy.Supervision.ProcessInfo? ProcessTree(int pid) => MCProxy.Supervision.ProcessTree.Read(pid);

    private static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    /// <summary>Polls a condition the gateway's process exposes only from outside (its output, /proc, /health).</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }
}
