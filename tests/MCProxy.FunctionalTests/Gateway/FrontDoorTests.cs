using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>The HTTP doors as curl and raw clients see them: plain JSON-RPC, Streamable HTTP rules, bad input.</summary>
public sealed class FrontDoorTests : IAsyncLifetime
{
    private const string BothAccepted = "application/json, text/event-stream";
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("test")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task PostSse_ToolsListWithoutSessionOrInitialize_AnswersApplicationJson()
    {
        // Exactly the operator's curl: no Accept header beyond curl's default, no session, no initialize.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation("Accept", "*/*");
        using var response = await _gateway.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, (int)body["id"]!);
        Assert.Contains(body["result"]!["tools"]!.AsArray(), t => (string?)t!["name"] == "test__echo");
    }

    [Fact]
    public async Task PostSse_ToolsCall_RunsOnTheChild()
    {
        var response = await _gateway.RpcAsync("tools/call",
            new JsonObject { ["name"] = "test__echo", ["arguments"] = new JsonObject { ["message"] = "curl" } }, id: "abc");
        Assert.Equal("abc", (string)response["id"]!);
        Assert.Equal("curl", (string)response["result"]!["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task PostSse_Batch_AnswersAnArrayWithoutNotifications()
    {
        var (status, _, body) = await _gateway.PostAsync("/sse", """
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","method":"notifications/initialized"},
             {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"test__echo","arguments":{"message":"b"}}}]
            """);
        Assert.Equal(200, status);
        var answers = JsonNode.Parse(body)!.AsArray();
        Assert.Equal([1, 2], answers.Select(a => (int)a!["id"]!).Order());
    }

    [Fact]
    public async Task PostSse_NotificationOnly_Is202WithNoBody()
    {
        var (status, _, body) = await _gateway.PostAsync("/sse", """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        Assert.Equal(202, status);
        Assert.Empty(body);
    }

    [Theory]
    [InlineData("{not json", 400, -32700)]
    [InlineData("", 400, -32700)]
    [InlineData("[]", 400, -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"no/such"}""", 200, -32601)]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"ping"}""", 200, -32600)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}""", 200, -32602)]
    public async Task PostSse_BadInput_GetsAJsonRpcError(string body, int status, int code)
    {
        var (actualStatus, type, text) = await _gateway.PostAsync("/sse", body);
        Assert.Equal(status, actualStatus);
        Assert.Equal("application/json", type);
        Assert.Equal(code, (int)JsonNode.Parse(text)!["error"]!["code"]!);
    }

    [Theory]
    [InlineData("/sse")]
    [InlineData("/mcp")]
    public async Task Post_OversizedBody_Is413AndTheGatewayKeepsServing(string path)
    {
        // A raw socket: announce 5 MiB and read the answer before sending it, as a well-behaved client would.
        var uri = new Uri(_gateway.BaseUrl);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/json\r\n" +
                   $"Accept: {BothAccepted}\r\nContent-Length: {5 * 1024 * 1024}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream);
        Assert.StartsWith("HTTP/1.1 413", await reader.ReadLineAsync());
        Assert.Equal("2.0", (string)(await _gateway.RpcAsync("ping"))["jsonrpc"]!);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheLimit_Is413()
    {
        // No Content-Length: the limit is enforced while reading.
        var huge = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"" + new string('a', 4 * 1024 * 1024) + "\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sse") { Content = new ChunkedContent(huge) };
        try
        {
            using var response = await _gateway.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The server may close the connection before the client finished sending; that also refuses the body.
        }
        Assert.Equal("2.0", (string)(await _gateway.RpcAsync("ping"))["jsonrpc"]!);
    }

    private sealed class ChunkedContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public async Task Mcp_SessionLifecycle_InitializeUseDelete()
    {
        var (status, _, body) = await PostMcpAsync(Initialize, null);
        Assert.Equal(200, status.Status);
        var session = status.SessionId;
        Assert.False(string.IsNullOrEmpty(session));
        Assert.Equal("2025-11-25", (string)JsonNode.Parse(body)!["result"]!["protocolVersion"]!);
        Assert.True((bool)JsonNode.Parse(body)!["result"]!["capabilities"]!["tools"]!["listChanged"]!);

        var (initialized, _, _) = await PostMcpAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", session);
        Assert.Equal(202, initialized.Status);
        var (listed, _, list) = await PostMcpAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", session);
        Assert.Equal(200, listed.Status);
        Assert.Equal(session, listed.SessionId);
        Assert.Contains("test__echo", list);

        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/mcp");
        delete.Headers.Add("Mcp-Session-Id", session);
        Assert.Equal(HttpStatusCode.OK, (await _gateway.Http.SendAsync(delete)).StatusCode);
        var (gone, _, goneBody) = await PostMcpAsync("""{"jsonrpc":"2.0","id":3,"method":"tools/list"}""", session);
        Assert.Equal(404, gone.Status);
        Assert.Equal(-32001, (int)JsonNode.Parse(goneBody)!["error"]!["code"]!);
    }

    [Fact]
    public async Task Mcp_OlderProtocolVersion_IsNegotiated()
    {
        var (_, _, body) = await PostMcpAsync(Initialize.Replace("2025-11-25", "2025-03-26"), null);
        Assert.Equal("2025-03-26", (string)JsonNode.Parse(body)!["result"]!["protocolVersion"]!);
        var (_, _, unknown) = await PostMcpAsync(Initialize.Replace("2025-11-25", "1999-01-01"), null);
        Assert.Equal("2025-11-25", (string)JsonNode.Parse(unknown)!["result"]!["protocolVersion"]!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("text/event-stream")]
    public async Task Mcp_PostWithoutBothAcceptTypes_Is406(string? accept)
    {
        var (status, _, _) = await _gateway.PostAsync("/mcp", Initialize, accept ?? "");
        Assert.Equal(406, status);
    }

    [Fact]
    public async Task Mcp_RequestWithoutSession_Is400_UnknownSession_Is404_BadVersion_Is400()
    {
        var (noSession, _, _) = await PostMcpAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", null);
        Assert.Equal(400, noSession.Status);
        var (unknown, _, _) = await PostMcpAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", "nope");
        Assert.Equal(404, unknown.Status);
        var (init, _, _) = await PostMcpAsync(Initialize, null);
        var (badVersion, _, _) = await PostMcpAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", init.SessionId,
            new Dictionary<string, string> { ["MCP-Protocol-Version"] = "1999-01-01" });
        Assert.Equal(400, badVersion.Status);
    }

    [Fact]
    public async Task Mcp_GetStream_OnePerSessionAndNeedsEventStreamAccept()
    {
        var (init, _, _) = await PostMcpAsync(Initialize, null);
        using var wrongAccept = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        wrongAccept.Headers.Add("Mcp-Session-Id", init.SessionId);
        wrongAccept.Headers.TryAddWithoutValidation("Accept", "application/json");
        Assert.Equal(HttpStatusCode.NotAcceptable, (await _gateway.Http.SendAsync(wrongAccept)).StatusCode);

        using var first = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        first.Headers.Add("Mcp-Session-Id", init.SessionId);
        first.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        using var stream = await _gateway.Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);

        using var second = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        second.Headers.Add("Mcp-Session-Id", init.SessionId);
        second.Headers.TryAddWithoutValidation("Accept", "text/event-stream");
        Assert.Equal(HttpStatusCode.Conflict, (await _gateway.Http.SendAsync(second)).StatusCode);
    }

    [Fact]
    public async Task LegacySse_UnknownSession_Is404_MissingSession_Is400()
    {
        var (unknown, _, _) = await _gateway.PostAsync("/messages?sessionId=nope", """{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        Assert.Equal(404, unknown);
        var (missing, _, _) = await _gateway.PostAsync("/messages", """{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        Assert.Equal(400, missing);
    }

    [Fact]
    public async Task LegacySse_EndpointEventFirst_ThenResponsesOnTheStream()
    {
        using var stream = await _gateway.Http.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal("event: endpoint", await reader.ReadLineAsync());
        var data = (await reader.ReadLineAsync())!;
        Assert.StartsWith("data: /messages?sessionId=", data);
        var endpoint = data["data: ".Length..];
        var (status, _, _) = await _gateway.PostAsync(endpoint, """{"jsonrpc":"2.0","id":"p1","method":"ping"}""");
        Assert.Equal(202, status);
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null && !line.StartsWith("data: {", StringComparison.Ordinal))
        {
        }
        Assert.Equal("""data: {"jsonrpc":"2.0","id":"p1","result":{}}""", line);
    }

    [Theory]
    [InlineData("/sse", "evil.example", null, 403)]
    [InlineData("/mcp", "evil.example:12010", null, 403)]
    [InlineData("/sse", null, "http://evil.example", 403)]
    [InlineData("/mcp", null, "https://attacker.test:8443", 403)]
    [InlineData("/sse", "localhost:12010", "http://localhost:5173", 200)]
    [InlineData("/sse", "[::1]:12010", "http://127.0.0.1:6274", 200)]
    public async Task DnsRebinding_ForeignHostOrOrigin_IsRefused(string path, string? host, string? origin, int expected)
    {
        var headers = new Dictionary<string, string>();
        if (host is not null) headers["Host"] = host;
        if (origin is not null) headers["Origin"] = origin;
        var body = path == "/mcp" ? Initialize : """{"jsonrpc":"2.0","id":1,"method":"ping"}""";
        var (status, _, text) = await _gateway.PostAsync(path, body, BothAccepted, headers);
        Assert.Equal(expected, status);
        if (expected == 403)
        {
            Assert.Contains("DNS-rebinding", text);
        }
    }

    [Fact]
    public async Task Mcp_ClientWithoutPinnedVersion_Speaks2026AtOnce()
    {
        // The C# SDK 2.4 client with no pinned version first probes server/discover (2026-07-28, no initialize);
        // the gateway answers it, so the client stays on 2026-07-28 without a session (StatelessFrontDoorTests).
        var started = DateTime.UtcNow;
        await using var client = await _gateway.ConnectStreamableAsync(o => o.ProtocolVersion = null);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), $"connect took {DateTime.UtcNow - started}");
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        Assert.Contains("test__echo", (await client.ListToolsAsync()).Select(t => t.Name));
    }

    [Fact]
    public async Task Health_ReportsEachServer()
    {
        var health = await _gateway.HealthAsync();
        Assert.Equal("ok", (string)health["status"]!);
        Assert.True((bool)health["ready"]!);
        var server = health["servers"]![0]!;
        Assert.Equal("test", (string)server["name"]!);
        Assert.Equal("ready", (string)server["state"]!);
        Assert.Equal(_gateway.Status("test").Pid, (int)server["pid"]!);
        Assert.Equal(9, (int)server["tools"]!);
    }

    private const string Initialize = """
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}
        """;

    private async Task<((int Status, string? SessionId), string? Type, string Body)> PostMcpAsync(string body, string? session,
        Dictionary<string, string>? extra = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Accept", BothAccepted);
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }
        foreach (var (k, v) in extra ?? [])
        {
            request.Headers.Add(k, v);
        }
        using var response = await _gateway.Http.SendAsync(request);
        var id = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        return (((int)response.StatusCode, id), response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }
}
