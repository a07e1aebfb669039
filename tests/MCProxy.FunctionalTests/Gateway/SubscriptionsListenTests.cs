using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MCProxy.FunctionalTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// <c>subscriptions/listen</c> on the 2026-07-28 door: the acknowledgement first, then only what the client opted
/// into, tagged with the listen request's id; the children's subscriptions held while a stream needs them; the bounds;
/// the graceful end at shutdown. Read raw (as curl -N reads it) and with the C# SDK 2.4.0 client.
/// </summary>
public sealed class SubscriptionsListenTests : IAsyncLifetime
{
    private const string SubscriptionId = "io.modelcontextprotocol/subscriptionId";
    private const string Meta = """
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}
        """;

    private GatewayFixture _gateway = null!;

    private static string Config(params string[] extra) => TestServers.Config(
        [TestServers.Entry("a", "--list-changed"), TestServers.Entry("b"), .. extra.Select(name => TestServers.Entry(name))]);

    // Debug, for the "listen stream … closed" line that says a stream's clean-up is over.
    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(Config(),
        options: o => o with { LogLevel = Serilog.Events.LogEventLevel.Debug });

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static string? IdOf(JsonObject message) => message["params"]?["_meta"]?[SubscriptionId]?.ToJsonString();

    private Task<(int Status, string? ContentType, string Body)> CallAsync(string tool, string arguments = "{}") =>
        _gateway.PostAsync("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":\"call\",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "," + Meta + "}}",
            "application/json, text/event-stream",
            new Dictionary<string, string> { ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "tools/call", ["Mcp-Name"] = tool });

    [Theory]
    [InlineData("42")]
    [InlineData("\"L-1\"")]
    public async Task Raw_Listen_AcknowledgesFirst_TheGrantedSubset_TaggedWithTheRequestId(string rawId)
    {
        await using var stream = await RawListenStream.OpenAsync(_gateway, rawId, """
            {"toolsListChanged":true,"promptsListChanged":true,"resourcesListChanged":false,
             "resourceSubscriptions":["test://info","nope://x","mcproxy://b/test%3A%2F%2Finfo","test://info"],"futureKind":true}
            """);
        Assert.Equal(200, stream.Status);
        Assert.Equal("text/event-stream", stream.ContentType);
        var ack = await stream.NextAsync();
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)ack["method"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"toolsListChanged":true,"promptsListChanged":true,"resourceSubscriptions":["test://info","mcproxy://b/test%3A%2F%2Finfo"]}
            """), ack["params"]!["notifications"]), ack.ToJsonString());
        Assert.Equal(rawId, IdOf(ack)); // the same JSON value: a number stays a number
        // Each child announces an update as soon as it is subscribed (the test server does): both reach the stream, tagged.
        var updates = new[] { await stream.NextAsync("notifications/resources/updated"), await stream.NextAsync("notifications/resources/updated") };
        Assert.Equal(["mcproxy://b/test%3A%2F%2Finfo", "test://info"], updates.Select(u => (string)u["params"]!["uri"]!).Order());
        Assert.All(updates, u => Assert.Equal(rawId, IdOf(u)));
    }

    [Fact]
    public async Task Raw_ListChanges_ReachOnlyTheStreamsThatAskedForThatKind()
    {
        await using var tools = await RawListenStream.OpenAsync(_gateway, "\"T\"", """{"toolsListChanged":true}""");
        await using var prompts = await RawListenStream.OpenAsync(_gateway, "\"P\"", """{"promptsListChanged":true}""");
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await tools.NextAsync())["method"]);
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await prompts.NextAsync())["method"]);

        // A child's own list_changed (add_tool): the tools stream hears it.
        var (status, _, _) = await CallAsync("a__add_tool");
        Assert.Equal(200, status);
        var changed = await tools.NextAsync();
        Assert.Equal("notifications/tools/list_changed", (string?)changed["method"]);
        Assert.Equal("\"T\"", IdOf(changed));

        // A config edit adds a server with a prompt (and tools): each stream hears its own kind. The prompts stream's
        // first message is the prompts change, so the tools change before it never reached it.
        await _gateway.WriteConfigAsync(Config("c"));
        var promptsChanged = await prompts.NextAsync(seconds: 30);
        Assert.Equal("notifications/prompts/list_changed", (string?)promptsChanged["method"]);
        Assert.Equal("\"P\"", IdOf(promptsChanged));
        var toolsChanged = await tools.NextAsync(seconds: 30);
        Assert.Equal("notifications/tools/list_changed", (string?)toolsChanged["method"]);
        Assert.Equal("\"T\"", IdOf(toolsChanged));
    }

    [Fact]
    public async Task Raw_ResourceSubscription_IsHeldAtTheChildWhileAStreamNeedsIt()
    {
        var first = await RawListenStream.OpenAsync(_gateway, "1", """{"resourceSubscriptions":["test://info"]}""");
        await using var second = await RawListenStream.OpenAsync(_gateway, "2", """{"resourceSubscriptions":["test://info"]}""");
        foreach (var stream in new[] { first, second })
        {
            Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await stream.NextAsync())["method"]);
            var updated = await stream.NextAsync("notifications/resources/updated");
            Assert.Equal("test://info", (string)updated["params"]!["uri"]!);
        }

        // The first client goes away: the second still holds the URI, so the child keeps its subscription. Its
        // stderr is ordered: a marker written after the first stream's clean-up comes after any unsubscribe.
        await first.DisposeAsync();
        await _gateway.Logs.WaitForAsync(l => l.Contains("[533]"));
        await CallAsync("a__echo", """{"message":"marker-after-first-close","stderr":true}""");
        await _gateway.Logs.WaitForAsync(l => l.Contains("marker-after-first-close"));
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("testserver: unsubscribed"));

        // The last holder goes away: the child is unsubscribed, and the streams are gone from the registry.
        await second.DisposeAsync();
        await _gateway.Logs.WaitForAsync(l => l.Contains("testserver: unsubscribed test://info"));
        await _gateway.Logs.WaitForAsync(l => l.Contains("[533]"), count: 2);
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All);
    }

    [Fact]
    public async Task SdkClient2026_Listen_GetsTheAckThenToolsListChanged_WithTheSameSubscriptionId()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(_gateway.BaseUrl + "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = null });
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        Assert.True(client.ServerCapabilities.Tools?.ListChanged); // discover advertises what listen delivers
        var acks = Channel.CreateUnbounded<JsonRpcNotification>();
        var changes = Channel.CreateUnbounded<JsonRpcNotification>();
        await using var onAck = client.RegisterNotificationHandler(NotificationMethods.SubscriptionsAcknowledgedNotification,
            (n, _) => { acks.Writer.TryWrite(n); return default; });
        await using var onChange = client.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification,
            (n, _) => { changes.Writer.TryWrite(n); return default; });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var listening = new CancellationTokenSource();
        var listen = client.SendRequestAsync(new JsonRpcRequest
        {
            Method = RequestMethods.SubscriptionsListen,
            Params = JsonSerializer.SerializeToNode(new SubscriptionsListenRequestParams
            {
                Notifications = new SubscriptionsListenNotifications { ToolsListChanged = true, PromptsListChanged = true },
            }, McpJsonUtilities.DefaultOptions),
        }, listening.Token);

        var ack = await acks.Reader.ReadAsync(timeout.Token);
        var granted = JsonSerializer.Deserialize<SubscriptionsAcknowledgedNotificationParams>(ack.Params, McpJsonUtilities.DefaultOptions)!;
        Assert.True(granted.Notifications.ToolsListChanged);
        Assert.True(granted.Notifications.PromptsListChanged);
        Assert.Null(granted.Notifications.ResourcesListChanged);
        var id = ack.Params!["_meta"]![SubscriptionId]!.ToJsonString();

        await client.CallToolAsync("a__add_tool", cancellationToken: timeout.Token);
        var changed = await changes.Reader.ReadAsync(timeout.Token);
        Assert.Equal(id, changed.Params!["_meta"]![SubscriptionId]!.ToJsonString());
        Assert.Contains("a__added_0", (await client.ListToolsAsync(cancellationToken: timeout.Token)).Select(t => t.Name));

        await listening.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listen);
    }

    [Fact]
    public async Task Raw_GatewayShutdown_EndsTheStreamWithTheEmptyListenResult()
    {
        await using var stream = await RawListenStream.OpenAsync(_gateway, "\"bye\"", """{"toolsListChanged":true}""");
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await stream.NextAsync())["method"]);
        var stopping = _gateway.StopAsync();
        var last = await stream.NextAsync(seconds: 30);
        Assert.Equal("\"bye\"", last["id"]!.ToJsonString());
        var result = last["result"]!;
        Assert.Equal("complete", (string?)result["resultType"]);
        Assert.Equal("\"bye\"", result["_meta"]![SubscriptionId]!.ToJsonString());
        Assert.Equal("mcproxy", (string?)result["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]);
        Assert.True(await stream.EndedAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData("", "params.notifications")]
    [InlineData("\"notifications\":{\"toolsListChanged\":\"yes\"},", "boolean")]
    [InlineData("\"notifications\":{\"resourceSubscriptions\":\"test://info\"},", "array")]
    public async Task Raw_Listen_MalformedNotifications_IsInvalidParams(string notifications, string hint)
    {
        var (status, type, answer) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":5,"method":"subscriptions/listen","params":{""" + notifications + Meta + "}}",
            "application/json, text/event-stream",
            new Dictionary<string, string> { ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "subscriptions/listen" });
        Assert.Equal(200, status);
        Assert.Equal("application/json", type);
        var error = JsonNode.Parse(answer)!["error"]!;
        Assert.Equal(-32602, (int)error["code"]!);
        Assert.Contains(hint, (string)error["message"]!);
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All);
    }

    [Fact]
    public async Task Raw_Listen_MoreResourcesThanOneStreamTakes_IsInvalidParams_AndNothingIsSubscribed()
    {
        var uris = string.Join(",", Enumerable.Range(0, MCProxy.Protocol.ListenFilter.MaxUris + 1).Select(i => $"\"test://item/{i}\""));
        await using var stream = await RawListenStream.OpenAsync(_gateway, "9", $$"""{"resourceSubscriptions":[{{uris}}]}""");
        Assert.Equal(200, stream.Status);
        var error = (await stream.BodyAsync())["error"]!;
        Assert.Equal(-32602, (int)error["code"]!);
        Assert.Contains($"at most {MCProxy.Protocol.ListenFilter.MaxUris}", (string)error["message"]!);
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All);
    }

    [Fact]
    public async Task Raw_Listen_BeyondMaxSessions_Is503WithAJsonRpcError()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")),
            options: o => o with { Limits = o.Limits with { MaxSessions = 1 } });
        await using var open = await RawListenStream.OpenAsync(gateway, "1", """{"toolsListChanged":true}""");
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await open.NextAsync())["method"]);
        await using var refused = await RawListenStream.OpenAsync(gateway, "\"second\"", """{"toolsListChanged":true}""");
        Assert.Equal(503, refused.Status);
        Assert.NotNull(refused.Headers.RetryAfter);
        var body = await refused.BodyAsync();
        Assert.Equal("second", (string?)body["id"]);
        Assert.Equal(-32000, (int)body["error"]!["code"]!);
        Assert.Contains("--max-sessions", (string)body["error"]!["message"]!);
    }

    [Fact]
    public async Task Raw_Listen_ResourceTheIdentityMayNotRead_IsForbidden_ListChangesAreNot()
    {
        const string token = "listen-bot-token-0123456789abcdef";
        var config = JsonNode.Parse(TestServers.Config(TestServers.Entry("a")))!.AsObject();
        config["auth"] = JsonNode.Parse($$"""{"tokens":[{"name":"bot","token":"{{token}}","allow":["a__*"]}]}""");
        await using var gateway = await GatewayFixture.StartAsync(config.ToJsonString());
        await using var anonymous = await RawListenStream.OpenAsync(gateway, "1", """{"toolsListChanged":true}""");
        Assert.Equal(401, anonymous.Status);
        await using var denied = await RawListenStream.OpenAsync(gateway, "2", """{"toolsListChanged":true,"resourceSubscriptions":["test://info"]}""", token);
        Assert.Equal(200, denied.Status);
        var error = (await denied.BodyAsync())["error"]!;
        Assert.Equal(-32003, (int)error["code"]!);
        Assert.Contains("test://info", (string)error["message"]!);
        await using var allowed = await RawListenStream.OpenAsync(gateway, "3", """{"toolsListChanged":true}""", token);
        var ack = await allowed.NextAsync();
        Assert.True((bool)ack["params"]!["notifications"]!["toolsListChanged"]!);
    }

    [Fact]
    public async Task Raw_Listen_CountsAgainstTheIdentitysRateLimit()
    {
        const string token = "listen-rate-token-0123456789abcdef";
        var config = JsonNode.Parse(TestServers.Config(TestServers.Entry("a")))!.AsObject();
        config["auth"] = JsonNode.Parse("{\"tokens\":[{\"name\":\"bot\",\"token\":\"" + token + "\",\"allow\":[\"*\"]}],\"rateLimit\":{\"perIdentityPerMinute\":1}}");
        await using var gateway = await GatewayFixture.StartAsync(config.ToJsonString());
        await using var first = await RawListenStream.OpenAsync(gateway, "1", """{"resourceSubscriptions":["test://info"]}""", token);
        Assert.Equal("notifications/subscriptions/acknowledged", (string?)(await first.NextAsync())["method"]);
        await using var second = await RawListenStream.OpenAsync(gateway, "2", """{"resourceSubscriptions":["test://info"]}""", token);
        Assert.Equal(429, second.Status);
        Assert.Equal(-32029, (int)(await second.BodyAsync())["error"]!["code"]!);
    }
}
