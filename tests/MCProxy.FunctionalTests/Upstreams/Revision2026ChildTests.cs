using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;
using Microsoft.Extensions.DependencyInjection;
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

    private static McpClientHandlers Answering(string answer) => new()
    {
        ElicitationHandler = (request, _) => ValueTask.FromResult(new ElicitResult
        {
            Action = "accept",
            Content = new Dictionary<string, System.Text.Json.JsonElement>
            {
                ["answer"] = System.Text.Json.JsonSerializer.SerializeToElement(answer + " to " + request?.Message),
            },
        }),
        SamplingHandler = (request, _, _) => ValueTask.FromResult(new CreateMessageResult
        {
            Model = "test-model", Role = Role.Assistant,
            Content = [new TextContentBlock { Text = "sampled " + ((TextContentBlock)request!.Messages[0].Content[0]).Text }],
        }),
    };

    [Fact]
    public async Task InputRequired_A2026Client_AnswersAndRetries_TheChildGetsItsOwnStateBack()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(_gateway.BaseUrl + "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = null, Handlers = Answering("yes") });
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        var confirmed = Text(await client.CallToolAsync("modern__confirm", new Dictionary<string, object?> { ["question"] = "Deploy?" }));
        Assert.Equal("answer: yes to Deploy? (accept; state asked:Deploy?)", confirmed);
        Assert.Equal("model said: sampled Say hi", Text(await client.CallToolAsync("modern__sample", new Dictionary<string, object?> { ["prompt"] = "Say hi" })));
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All); // no session was made
    }

    [Fact]
    public async Task InputRequired_A2025Session_IsAskedOnItsStream_AndNeverSeesInputRequired()
    {
        await using var client = await _gateway.ConnectStreamableAsync(o => o.Handlers = Answering("ok"));
        Assert.Equal("2025-11-25", client.NegotiatedProtocolVersion);
        var confirmed = Text(await client.CallToolAsync("modern__confirm", new Dictionary<string, object?> { ["question"] = "Ship?" }));
        Assert.Equal("answer: ok to Ship? (accept; state asked:Ship?)", confirmed);
        Assert.Equal("model said: sampled Tell me", Text(await client.CallToolAsync("modern__sample", new Dictionary<string, object?> { ["prompt"] = "Tell me" })));
    }

    [Fact]
    public async Task InputRequired_ACallerThatCannotBeAsked_GetsAToolErrorSayingWhatWasNeeded()
    {
        var answer = await _gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "modern__confirm", ["arguments"] = new JsonObject { ["question"] = "?" },
        });
        Assert.True((bool?)answer["result"]?["isError"]);
        Assert.Contains("needs elicitation", (string?)answer["result"]?["content"]?[0]?["text"]);
        await using var client = await _gateway.ConnectStreamableAsync(); // no handlers: no elicitation declared
        var result = await client.CallToolAsync("modern__confirm", new Dictionary<string, object?> { ["question"] = "?" });
        Assert.True(result.IsError);
        Assert.Contains("did not declare elicitation", Text(result));
    }

    private const string Meta2026 = """
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}
        """;

    private static Dictionary<string, string> Headers(string name) => new()
    {
        ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = "tools/call", ["Mcp-Name"] = name,
    };

    internal static async Task<JsonObject> CallRawAsync(GatewayFixture gateway, string tool, string argumentsAndMore, string? token = null)
    {
        var headers = Headers(tool);
        if (token is not null)
        {
            headers["Authorization"] = "Bearer " + token;
        }
        var (status, _, body) = await gateway.PostAsync("/mcp",
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\"," + argumentsAndMore + "," + Meta2026 + "}}",
            "application/json, text/event-stream", headers);
        Assert.Equal(200, status);
        return JsonNode.Parse(body)!.AsObject();
    }

    [Fact]
    public async Task InputRequired_RawRetry_WithAForgedOrMisusedHandle_IsRefused()
    {
        var first = await CallRawAsync(_gateway, "modern__confirm", """ "arguments":{"question":"Q"} """);
        Assert.Equal("input_required", (string?)first["result"]?["resultType"]);
        Assert.Equal("elicitation/create", (string?)first["result"]?["inputRequests"]?["answer"]?["method"]);
        var handle = (string)first["result"]!["requestState"]!;
        Assert.StartsWith("mcpx1.", handle);
        Assert.Equal("mcproxy", (string?)first["result"]?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"]);
        const string responses = "\"inputResponses\":{\"answer\":{\"action\":\"accept\",\"content\":{\"answer\":\"A\"}}}";

        var ok = await CallRawAsync(_gateway, "modern__confirm", $$""" "arguments":{"question":"Q"},{{responses}},"requestState":"{{handle}}" """);
        Assert.Equal("answer: A (accept; state asked:Q)", (string?)ok["result"]?["content"]?[0]?["text"]);
        Assert.Equal("complete", (string?)ok["result"]?["resultType"]);

        var forged = handle[..^4] + (handle.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var refused = await CallRawAsync(_gateway, "modern__confirm", $$""" "arguments":{"question":"Q"},{{responses}},"requestState":"{{forged}}" """);
        Assert.Equal(-32602, (int?)refused["error"]?["code"]);
        Assert.Contains("not one this gateway issued", (string?)refused["error"]?["message"]);
        // The child's own state, sent raw, is no handle either: the child never sees a state the gateway did not seal.
        var raw = await CallRawAsync(_gateway, "modern__confirm", $$""" "arguments":{"question":"Q"},{{responses}},"requestState":"asked:Q" """);
        Assert.Equal(-32602, (int?)raw["error"]?["code"]);
        var otherTool = await CallRawAsync(_gateway, "modern__sample", $$""" "arguments":{"prompt":"p"},{{responses}},"requestState":"{{handle}}" """);
        Assert.Contains("another tool", (string?)otherTool["error"]?["message"]);
        // Refusals cost nothing: the next plain call is answered.
        var after = await CallRawAsync(_gateway, "modern__echo", """ "arguments":{"message":"still here"} """);
        Assert.Equal("still here", (string?)after["result"]?["content"]?[0]?["text"]);
    }

    [Fact]
    public async Task InputRequired_AnotherIdentity_CannotContinueTheCall()
    {
        var alice = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var mallory = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var config = JsonNode.Parse(TestServers.Config(TestServers.Entry("modern", "--revision-2026")))!.AsObject();
        config["auth"] = JsonNode.Parse($$"""
            {"tokens":[{"name":"alice","token":"{{alice}}","allow":["*"]},{"name":"mallory","token":"{{mallory}}","allow":["*"]}]}
            """);
        await using var gateway = await GatewayFixture.StartAsync(config.ToJsonString());
        var asked = await CallRawAsync(gateway, "modern__confirm", """ "arguments":{"question":"Q"} """, alice);
        var retry = """ "arguments":{"question":"Q"},"inputResponses":{"answer":{"action":"accept","content":{"answer":"M"}}},"requestState":" """
            .TrimEnd() + (string)asked["result"]!["requestState"]! + "\"";
        var stolen = await CallRawAsync(gateway, "modern__confirm", retry, mallory);
        Assert.Equal(-32602, (int?)stolen["error"]?["code"]);
        Assert.Contains("another identity", (string?)stolen["error"]?["message"]);
        var own = await CallRawAsync(gateway, "modern__confirm", retry, alice);
        Assert.Equal("answer: M (accept; state asked:Q)", (string?)own["result"]?["content"]?[0]?["text"]);
    }

    [Fact]
    public async Task APinnedProtocol_SkipsTheProbe_OrRequiresIt()
    {
        var pinned2025 = TestServers.Entry("old", "--meta");
        pinned2025["protocol"] = "2025-11-25";
        var pinned2026 = TestServers.Entry("new", "--revision-2026");
        pinned2026["protocol"] = "2026-07-28";
        var wrong = TestServers.Entry("wrong");
        wrong["protocol"] = "2026-07-28";
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(pinned2025, pinned2026, wrong, TestServers.Entry("auto")));
        Assert.Equal("2025-11-25", gateway.Status("old").Info?.ProtocolVersion);
        Assert.Equal("2026-07-28", gateway.Status("new").Info?.ProtocolVersion);
        Assert.NotEqual(ServerState.Ready, gateway.Status("wrong").State);
        Assert.Contains("its \"protocol\" requires it", gateway.Status("wrong").LastError);
        // Pinned to 2025, the child was never sent server/discover; an unpinned one was, and refused it.
        bool Probed(string server) => gateway.Servers.TryGet(server, out var e) &&
                                      e.Supervisor!.StderrTail.Any(l => l.Contains("unknown method server/discover"));
        Assert.True(Probed("auto"));
        Assert.False(Probed("old"));
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
