using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Upstreams;

/// <summary>
/// A child that speaks only the 2026-07-28 revision (the test server's <c>--revision-2026</c>, built on the C# SDK
/// 2.4.0: it answers server/discover and refuses initialize) beside a 2025 child, relayed to clients of both eras.
/// </summary>
public sealed class Revision2026ChildTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("modern", "--revision-2026"), TestServers.Entry("classic", "--meta")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private Task<McpClient> Connect2026Async() => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(_gateway.BaseUrl + "/mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
    }), new McpClientOptions { ProtocolVersion = null });

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    [Fact]
    public void The2026Child_IsDrivenWithoutInitialize_AndReady()
    {
        var status = _gateway.Status("modern");
        Assert.Equal(ServerState.Ready, status.State);
        Assert.Equal("2026-07-28", status.Info?.ProtocolVersion);
        Assert.Equal("mcproxy-testserver-2026", status.Info?.ServerName);
        Assert.Equal("2025-11-25", _gateway.Status("classic").Info?.ProtocolVersion);
        Assert.Contains(status.Tools, t => t.Name == "confirm");
    }

    [Fact]
    public async Task A2025Client_Calls_The2026Child_ItsRequestsCarryTheGatewaysPerRequestMeta()
    {
        await using var client = await _gateway.ConnectStreamableAsync(); // pinned 2025-11-25: a session
        Assert.Equal("2025-11-25", client.NegotiatedProtocolVersion);
        Assert.Equal("hello 2026", Text(await client.CallToolAsync("modern__echo", new Dictionary<string, object?> { ["message"] = "hello 2026" })));
        var meta = JsonNode.Parse(Text(await client.CallToolAsync("modern__meta")))!.AsObject();
        Assert.Equal("2026-07-28", (string?)meta["io.modelcontextprotocol/protocolVersion"]);
        Assert.Equal("mcproxy", (string?)meta["io.modelcontextprotocol/clientInfo"]?["name"]);
        Assert.NotNull(meta["io.modelcontextprotocol/clientCapabilities"]?["elicitation"]);
        // The 2025 child on the same gateway still gets no per-request keys.
        Assert.DoesNotContain("io.modelcontextprotocol", Text(await client.CallToolAsync("classic__meta")));
    }

    [Fact]
    public async Task A2026Client_Calls_BothChildren_AndSeesTheGatewayAsTheServer()
    {
        await using var client = await Connect2026Async();
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        var names = (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        Assert.Contains("modern__echo", names);
        Assert.Contains("classic__echo", names);
        Assert.Equal("x", Text(await client.CallToolAsync("modern__echo", new Dictionary<string, object?> { ["message"] = "x" })));
        Assert.Equal("y", Text(await client.CallToolAsync("classic__echo", new Dictionary<string, object?> { ["message"] = "y" })));
        // The client's own _meta keys describe its hop to the gateway; the child sees the gateway's.
        var meta = JsonNode.Parse(Text(await client.CallToolAsync("modern__meta")))!.AsObject();
        Assert.Equal("mcproxy", (string?)meta["io.modelcontextprotocol/clientInfo"]?["name"]);
    }

    [Fact]
    public async Task The2026Childs_ListChanged_ComesOnItsListenStream_AndReachesA2025Session()
    {
        await using var client = await _gateway.ConnectStreamableAsync();
        var changed = new TaskCompletionSource();
        await using var registration = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; });
        var added = Text(await client.CallToolAsync("modern__add_tool"));
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _gateway.WaitUntilAsync(() => _gateway.Status("modern").Tools.Any(t => t.Name == added), "the added tool listed");
        Assert.Contains("modern__" + added, (await client.ListToolsAsync()).Select(t => t.Name));
        Assert.Equal(added, Text(await client.CallToolAsync("modern__" + added)));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("subscriptions/acknowledged"));
    }

    [Fact]
    public async Task PlainJsonPost_ReachesThe2026Child()
    {
        var answer = await _gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "modern__echo", ["arguments"] = new JsonObject { ["message"] = "curl" },
        });
        Assert.Equal("curl", (string?)answer["result"]?["content"]?[0]?["text"]);
    }
}
