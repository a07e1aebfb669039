using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Gateway;

namespace MCProxy.FunctionalTests.Hostile;

/// <summary>
/// Clients that lie, forge, stall or send bytes no client should. After each case the gateway still serves another
/// session normally and no session saw another's messages.
/// </summary>
public sealed class HostileClientTests
{
    private static async Task AssertAnotherSessionServedAsync(GatewayFixture gateway)
    {
        await using var client = await gateway.ConnectStreamableAsync();
        var result = await client.CallToolAsync("a__echo", new Dictionary<string, object?> { ["message"] = "normal" });
        Assert.Equal("normal", ((ModelContextProtocol.Protocol.TextContentBlock)result.Content[0]).Text);
    }

    private static async Task<RawSseSession> InitializedSseAsync(GatewayFixture gateway, bool sampling)
    {
        var session = await RawSseSession.OpenAsync(gateway);
        var capabilities = sampling ? new JsonObject { ["sampling"] = new JsonObject() } : new JsonObject();
        await session.RequestAsync("initialize", new JsonObject
        {
            ["protocolVersion"] = "2024-11-05", ["capabilities"] = capabilities,
            ["clientInfo"] = new JsonObject { ["name"] = "raw", ["version"] = "1" },
        }, "init");
        await session.SendAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        return session;
    }

    [Fact]
    public async Task ForgedAnswerToARelayedRequest_FromAnotherSessionOrASessionlessPost_IsRefused()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        await using var asker = await InitializedSseAsync(gateway, sampling: true);
        await using var other = await InitializedSseAsync(gateway, sampling: true);

        await asker.SendAsync("""{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"a__ask","arguments":{"what":"sampling"}}}""");
        var relayed = await asker.NextAsync(m => (string?)m["method"] == "sampling/createMessage");
        var id = relayed["id"]!.ToJsonString();
        Assert.True(((string)relayed["id"]!).Length >= 36, $"relayed id {id} looks guessable");

        var forged = $$$"""{"jsonrpc":"2.0","id":{{{id}}},"result":{"role":"assistant","content":{"type":"text","text":"FORGED"},"model":"evil"}}""";
        Assert.Equal(202, (await gateway.PostAsync("/sse", forged)).Status);
        await other.SendAsync(forged);
        await gateway.WaitUntilAsync(() => gateway.Logs.Lines.Count(l => l.Contains("answered a request the gateway relayed to session")) >= 2,
            "both forged answers refused");

        await asker.SendAsync($$$"""{"jsonrpc":"2.0","id":{{{id}}},"result":{"role":"assistant","content":{"type":"text","text":"REAL"},"model":"m"}}""");
        var answer = await asker.NextAsync(m => (string?)m["id"] == "call-1");
        var text = (string)answer["result"]!["content"]![0]!["text"]!;
        Assert.Contains("REAL", text);
        Assert.DoesNotContain("FORGED", text);
        await AssertAnotherSessionServedAsync(gateway);
        // The other session never saw the asker's request.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => other.NextAsync(m => (string?)m["method"] == "sampling/createMessage", seconds: 0.3));
    }

    public static TheoryData<string, string> InvalidUtf8Bodies => new()
    {
        { "/sse", """{"jsonrpc":"2.0","id":1,"method":"tools/liXst"}""" },
        { "/sse", """{"jsonrpc":"2.X0","id":1,"method":"tools/list"}""" },
        { "/sse", """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a__echXo"}}""" },
        { "/mcp", """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-X11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}""" },
        { "/mcp", """[{"jsonrpc":"2.0","id":1,"method":"pXing"}]""" },
        { "messages", """{"jsonrpc":"2.0","id":1,"method":"tools/liXst"}""" },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8Bodies))]
    public async Task InvalidUtf8_AnywhereInTheBody_Gets400AndAParseError(string door, string template)
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        await using var sse = await InitializedSseAsync(gateway, sampling: false);
        var bytes = Encoding.UTF8.GetBytes(template).ToList();
        var at = bytes.IndexOf((byte)'X');
        bytes.RemoveAt(at);
        bytes.InsertRange(at, new byte[] { 0xFF, 0xC3, 0x28 });
        var path = door == "messages" ? sse.Endpoint : door;
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes.ToArray()) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(-32700, (int)error["code"]!);
        Assert.Contains("UTF-8", (string)error["message"]!);
        await AssertAnotherSessionServedAsync(gateway);
    }

    [Fact]
    public async Task MalformedChunkedBody_Gets400AndAJsonRpcError()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        var uri = new Uri(gateway.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "POST /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "FFFFFFFFFFFFFFFFFFFFFF\r\n{\"jsonrpc\":\"2.0\"\r\n"));
        var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 400", status);
        var rest = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10))) > 0 && !rest.ToString().Contains('}'))
        {
            rest.Append(buffer, 0, n);
            if (rest.ToString().Contains("\"error\"") && rest.ToString().TrimEnd().EndsWith('}')) break;
        }
        Assert.Contains("-32700", rest.ToString());
        await AssertAnotherSessionServedAsync(gateway);
    }

    [Fact]
    public async Task Health_IsBehindTheDnsRebindingGuard_AndShowsDetailsOnLoopback()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        foreach (var (name, value) in new[] { ("Host", "evil.example"), ("Origin", "http://evil.example") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
            if (name == "Host") request.Headers.Host = value; else request.Headers.TryAddWithoutValidation(name, value);
            using var response = await gateway.Http.SendAsync(request);
            Assert.Equal(403, (int)response.StatusCode);
            Assert.DoesNotContain("stderr", await response.Content.ReadAsStringAsync());
        }
        var health = await gateway.HealthAsync();
        Assert.Contains("testserver: started", health["servers"]![0]!["stderr"]!.ToJsonString());
        Assert.NotNull(health["config"]!["path"]);
    }

    [Fact]
    public async Task BatchLargerThanMaxBatch_IsRefusedWhole_ABatchAtTheLimitIsAnswered()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")),
            options: o => o with { Limits = o.Limits with { MaxBatch = 5 } });
        string Batch(int n) => "[" + string.Join(",", Enumerable.Range(1, n).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}""")) + "]";

        var (status, _, body) = await gateway.PostAsync("/sse", Batch(6));
        Assert.Equal(400, status);
        Assert.Equal(-32600, (int)JsonNode.Parse(body)!["error"]!["code"]!);
        Assert.Contains("--max-batch", body);

        var ok = await gateway.PostAsync("/sse", Batch(5));
        Assert.Equal(200, ok.Status);
        Assert.Equal(5, JsonNode.Parse(ok.Body)!.AsArray().Count);
    }

    [Fact]
    public async Task SessionsBeyondMaxSessions_Get503WithRetryAfter_OnBothTransports()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")),
            options: o => o with { Limits = o.Limits with { MaxSessions = 2 } });
        await using var first = await gateway.ConnectStreamableAsync();
        await using var second = await InitializedSseAsync(gateway, sampling: false);

        using var init = new HttpRequestMessage(HttpMethod.Post, "/mcp")
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}""",
                Encoding.UTF8, "application/json"),
        };
        init.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        using var refused = await gateway.Http.SendAsync(init);
        Assert.Equal(503, (int)refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("--max-sessions", await refused.Content.ReadAsStringAsync());
        using var sse = await gateway.Http.GetAsync("/sse", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(503, (int)sse.StatusCode);

        // The sessions already open are untouched.
        var echo = await first.CallToolAsync("a__echo", new Dictionary<string, object?> { ["message"] = "first" });
        Assert.Equal("first", ((ModelContextProtocol.Protocol.TextContentBlock)echo.Content[0]).Text);
    }

    [Fact]
    public async Task LegacySseClientThatStopsReading_IsDisconnectedAtItsByteBudget_OthersCarryOn()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a", "--hostile")),
            options: o => o with { Limits = o.Limits with { SessionQueueBytes = 1024 * 1024 } });
        var sessions = (SessionRegistry)gateway.Services.GetService(typeof(SessionRegistry))!;
        var uri = new Uri(gateway.BaseUrl);
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stalled.ConnectAsync(uri.Host, uri.Port);
        await stalled.SendAsync(Encoding.ASCII.GetBytes("GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
        await gateway.WaitUntilAsync(() => sessions.Count == 1, "the stalled session is open");

        // 400 log messages of 64 KiB = 25 MiB for a client that reads nothing.
        var flood = await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "a__flood", ["arguments"] = new JsonObject { ["kind"] = "log", ["count"] = 400, ["bytes"] = 64 * 1024 },
        });
        Assert.Equal("flooded 400", (string)flood["result"]!["content"]![0]!["text"]!);

        await gateway.WaitUntilAsync(() => gateway.Logs.Lines.Any(l => l.Contains("stopped reading its stream")), "the stalled client dropped");
        await gateway.WaitUntilAsync(() => sessions.Count == 0, "the stalled session forgotten");
        await AssertAnotherSessionServedAsync(gateway);
    }
}
