using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// The 2026-07-28 revision on <c>/mcp</c>: the C# SDK 2.4.0 client in its default (2026) mode, raw requests as curl
/// sends them, and a 2025 client on the same gateway at the same time.
/// </summary>
public sealed class StatelessFrontDoorTests : IAsyncLifetime
{
    private const string BothAccepted = "application/json, text/event-stream";
    private const string Meta = """
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"curl","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}
        """;

    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("a", "--meta"), TestServers.Entry("b")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    /// <summary>The SDK client as it comes: no pinned version, so it prefers 2026-07-28 and probes server/discover.</summary>
    private Task<McpClient> Connect2026Async() => McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(_gateway.BaseUrl + "/mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
    }), new McpClientOptions { ProtocolVersion = null });

    private static Dictionary<string, string> Headers(string method, string? name = null, string version = "2026-07-28")
    {
        var headers = new Dictionary<string, string> { ["MCP-Protocol-Version"] = version, ["Mcp-Method"] = method };
        if (name is not null)
        {
            headers["Mcp-Name"] = name;
        }
        return headers;
    }

    [Fact]
    public async Task SdkClient2026_DiscoversListsAndCallsTools_WithoutASession()
    {
        await using var client = await Connect2026Async();
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        Assert.Equal("mcproxy", client.ServerInfo?.Name);
        Assert.NotNull(client.ServerCapabilities.Tools);
        var names = (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        Assert.Contains("a__echo", names);
        Assert.Contains("b__echo", names);
        var echo = await client.CallToolAsync("b__echo", new Dictionary<string, object?> { ["message"] = "stateless" });
        Assert.Equal("stateless", Assert.IsType<TextContentBlock>(Assert.Single(echo.Content)).Text);
        Assert.Equal(_gateway.Status("a").Pid.ToString(),
            Assert.IsType<TextContentBlock>(Assert.Single((await client.CallToolAsync("a__pid")).Content)).Text);
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All); // no session was made
    }

    [Fact]
    public async Task SdkClient2026_PromptsAndResources()
    {
        await using var client = await Connect2026Async();
        var prompts = await client.ListPromptsAsync();
        Assert.Equal(["a__greet", "b__greet"], prompts.Select(p => p.Name).Order());
        var prompt = await client.GetPromptAsync("b__greet", new Dictionary<string, object?> { ["who"] = "Ada" });
        Assert.Equal("Hello Ada from greet", ((TextContentBlock)prompt.Messages[0].Content).Text);
        var resources = await client.ListResourcesAsync();
        Assert.Contains(resources, r => r.Uri == "mcproxy://b/test%3A%2F%2Finfo");
        var read = await client.ReadResourceAsync("mcproxy://b/test%3A%2F%2Finfo");
        Assert.Contains($"from pid {_gateway.Status("b").Pid}", ((TextResourceContents)read.Contents[0]).Text);
    }

    [Fact]
    public async Task SdkClient2026_ProgressRidesThePostsEventStream()
    {
        await using var client = await Connect2026Async();
        var delivered = new List<bool>();
        var router = _gateway.Services.GetRequiredService<MCProxy.Gateway.ProgressRouter>();
        void OnDelivered(string token, bool sent)
        {
            lock (delivered) delivered.Add(sent);
        }
        router.Delivered += OnDelivered;
        try
        {
            var result = await client.CallToolAsync("a__progress", progress: new Progress<ProgressNotificationValue>());
            Assert.Equal("progressed", ((TextContentBlock)result.Content[0]).Text);
            // All three reached this POST's stream before the answer. The C# SDK drops the ones it processes after the
            // answer (see FullRelayTests.Progress_OfficialClientCall_IsRelayedOntoItsStream); the raw test below reads them.
            lock (delivered) Assert.Equal([true, true, true], delivered);
        }
        finally
        {
            router.Delivered -= OnDelivered;
        }
        Assert.Empty(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All);
    }

    [Fact]
    public async Task Raw_ProgressToken_AnswersAsEventStreamWithTheClientsToken()
    {
        var meta = """
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p-1"}
            """;
        var (status, type, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"a__progress","arguments":{},""" + meta + "}}",
            BothAccepted, Headers("tools/call", "a__progress"));
        Assert.Equal(200, status);
        Assert.Equal("text/event-stream", type);
        var events = body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l[6..])!).ToList();
        Assert.Equal(4, events.Count);
        Assert.All(events.Take(3), e => Assert.Equal("p-1", (string)e["params"]!["progressToken"]!));
        Assert.Equal("complete", (string)events[3]["result"]!["resultType"]!);
    }

    [Fact]
    public async Task Client2025_AlongsideA2026Client_KeepsItsSession()
    {
        await using var modern = await Connect2026Async();
        await using var legacy = await _gateway.ConnectStreamableAsync();
        Assert.Equal("2025-11-25", legacy.NegotiatedProtocolVersion);
        Assert.NotNull(legacy.SessionId);
        Assert.Null(modern.SessionId);
        var fromLegacy = await legacy.CallToolAsync("a__echo", new Dictionary<string, object?> { ["message"] = "old" });
        var fromModern = await modern.CallToolAsync("a__echo", new Dictionary<string, object?> { ["message"] = "new" });
        Assert.Equal("old", ((TextContentBlock)fromLegacy.Content[0]).Text);
        Assert.Equal("new", ((TextContentBlock)fromModern.Content[0]).Text);
        Assert.Single(_gateway.Services.GetRequiredService<MCProxy.Gateway.SessionRegistry>().All);
    }

    [Fact]
    public async Task Raw_ServerDiscover_AnswersVersionsCapabilitiesAndServerInfo()
    {
        var (status, type, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{""" + Meta + "}}", BothAccepted, Headers("server/discover"));
        Assert.Equal(200, status);
        Assert.Equal("application/json", type);
        var result = JsonNode.Parse(body)!["result"]!;
        Assert.Equal(["2026-07-28"], result["supportedVersions"]!.AsArray().Select(v => (string)v!));
        Assert.NotNull(result["capabilities"]!["tools"]);
        Assert.NotNull(result["capabilities"]!["prompts"]);
        Assert.True((bool)result["capabilities"]!["tools"]!["listChanged"]!); // delivered on subscriptions/listen
        Assert.True((bool)result["capabilities"]!["resources"]!["subscribe"]!);
        Assert.Equal("complete", (string)result["resultType"]!);
        Assert.Equal("mcproxy", (string)result["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]!);
        Assert.Equal(0, (int)result["ttlMs"]!);
        Assert.Equal("private", (string)result["cacheScope"]!);
    }

    [Theory]
    [InlineData("tools/list")]
    [InlineData("prompts/list")]
    [InlineData("resources/list")]
    [InlineData("resources/templates/list")]
    public async Task Raw_Lists_AreNeverCachedForOthers(string method)
    {
        // An absent cacheScope means public: a shared cache could hand one identity's policy-filtered list to another.
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{" + Meta + "}}", BothAccepted, Headers(method));
        Assert.Equal(200, status);
        var result = JsonNode.Parse(body)!["result"]!;
        Assert.Equal("private", (string)result["cacheScope"]!);
        Assert.Equal(0, (int)result["ttlMs"]!);
        Assert.Equal("complete", (string)result["resultType"]!);
    }

    [Fact]
    public async Task Raw_AClientThatHangsUp_CancelsTheCallAtTheChild()
    {
        // A 2026-07-28 client has no session to send notifications/cancelled on: it cancels by closing the request.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"b__slow","arguments":{"ms":60000},""" + Meta + "}}",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Accept", BothAccepted);
        foreach (var (k, v) in Headers("tools/call", "b__slow"))
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }
        using var hangUp = new CancellationTokenSource();
        var call = _gateway.Http.SendAsync(request, hangUp.Token);
        bool Saw(string line) => _gateway.Servers.TryGet("b", out var e) && e.Supervisor!.StderrTail.Any(l => l.Contains(line));
        await _gateway.WaitUntilAsync(() => Saw("slow call started"), "the call reached the child");
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await _gateway.WaitUntilAsync(() => Saw("cancelled request"), "the child was told to cancel");
    }

    [Fact]
    public async Task Raw_ToolsCall_ResultIsMarkedComplete()
    {
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"a__echo","arguments":{"message":"hi"},""" + Meta + "}}",
            BothAccepted, Headers("tools/call", "a__echo"));
        Assert.Equal(200, status);
        var result = JsonNode.Parse(body)!["result"]!;
        Assert.Equal("hi", (string)result["content"]![0]!["text"]!);
        Assert.Equal("complete", (string)result["resultType"]!);
    }

    [Fact]
    public async Task Raw_ToolsCall_TheChildSeesOnlyTheKeysThatAreNotAboutTheClientsHop()
    {
        var meta = """
            "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"vendor/x":1}
            """;
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a__meta",""" + meta + "}}", BothAccepted, Headers("tools/call", "a__meta"));
        Assert.Equal(200, status);
        var result = JsonNode.Parse(body)!["result"]!;
        var seen = JsonNode.Parse((string)result["content"]![0]!["text"]!)!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"vendor/x":1}"""), seen), seen.ToJsonString());
        Assert.Equal("mcproxy", (string)result["_meta"]!["io.modelcontextprotocol/serverInfo"]!["name"]!);
    }

    [Fact]
    public async Task Raw_UnknownResource_IsInvalidParams()
    {
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"nope://x",""" + Meta + "}}", BothAccepted,
            Headers("resources/read", "nope://x"));
        Assert.Equal(200, status);
        Assert.Equal(-32602, (int)JsonNode.Parse(body)!["error"]!["code"]!);
    }

    [Fact]
    public async Task Raw_VersionHeaderWithoutMeta_IsInvalidParams()
    {
        var (status, type, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""", BothAccepted, Headers("tools/list"));
        Assert.Equal(400, status);
        Assert.Equal("application/json", type);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal(-32602, (int)error["code"]!);
        Assert.Contains("io.modelcontextprotocol/protocolVersion", (string)error["message"]!);
        Assert.Equal(1, (int)JsonNode.Parse(body)!["id"]!);
    }

    [Fact]
    public async Task Raw_MissingClientCapabilities_IsInvalidParams()
    {
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""",
            BothAccepted, Headers("tools/list"));
        Assert.Equal(400, status);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal(-32602, (int)error["code"]!);
        Assert.Contains("clientCapabilities", (string)error["message"]!);
    }

    [Fact]
    public async Task Raw_UnsupportedVersion_ListsWhatIsSupported()
    {
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2027-01-01","io.modelcontextprotocol/clientCapabilities":{}}}}""",
            BothAccepted, Headers("tools/list", version: "2027-01-01"));
        Assert.Equal(400, status);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal(-32022, (int)error["code"]!);
        Assert.Equal("2027-01-01", (string)error["data"]!["requested"]!);
        Assert.Equal(["2026-07-28"], error["data"]!["supported"]!.AsArray().Select(v => (string)v!));
    }

    [Theory]
    [InlineData("tools/call", null, "2026-07-28")]        // Mcp-Name missing
    [InlineData("tools/call", "b__echo", "2026-07-28")]   // Mcp-Name differs from params.name
    [InlineData("tools/list", null, "2026-07-28")]        // Mcp-Method differs from the body
    [InlineData("tools/call", "a__echo", "2025-11-25")]   // MCP-Protocol-Version differs from _meta
    [InlineData(null, null, "2026-07-28")]                // Mcp-Method missing
    public async Task Raw_RoutingHeadersThatDisagreeWithTheBody_AreHeaderMismatch(string? method, string? name, string version)
    {
        var headers = new Dictionary<string, string> { ["MCP-Protocol-Version"] = version };
        if (method is not null)
        {
            headers["Mcp-Method"] = method;
        }
        if (name is not null)
        {
            headers["Mcp-Name"] = name;
        }
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__echo","arguments":{"message":"x"},""" + Meta + "}}",
            BothAccepted, headers);
        Assert.Equal(400, status);
        Assert.Equal(-32020, (int)JsonNode.Parse(body)!["error"]!["code"]!);
    }

    [Fact]
    public async Task Raw_McpNameInBase64_IsDecodedBeforeTheComparison()
    {
        const string uri = "nope://caf\u00e9";
        var encoded = "=?base64?" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(uri)) + "?=";
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"nope://caf\u00e9",""" + Meta + "}}", BothAccepted,
            Headers("resources/read", encoded));
        Assert.Equal(200, status);
        Assert.Equal(-32602, (int)JsonNode.Parse(body)!["error"]!["code"]!); // past the header check, to the (unknown) resource
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Raw_SessionVerbsWithoutASession_Are405For2026(string verb)
    {
        using var request = new HttpRequestMessage(new HttpMethod(verb), "/mcp");
        request.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2026-07-28");
        using var response = await _gateway.Http.SendAsync(request);
        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal("POST", string.Join(",", response.Content.Headers.Allow));
    }

    [Fact]
    public async Task Raw_NoSessionAndNo2026Meta_StillAsksFor2025Initialize()
    {
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", BothAccepted);
        Assert.Equal(400, status);
        Assert.Contains("Mcp-Session-Id", (string)JsonNode.Parse(body)!["error"]!["message"]!);
    }
}
