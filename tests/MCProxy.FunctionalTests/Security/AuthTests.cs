using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Security;

/// <summary>
/// The auth section on every door: who gets in, which session is whose, what each identity sees and may call,
/// live policy edits, rate limits, and that no token ever reaches the log.
/// </summary>
public sealed class AuthTests
{
    private const string AdminToken = "admin-token-0123456789abcdef";
    private const string BotToken = "bot-token-0123456789abcdef00";
    private const string ReaderToken = "reader-token-0123456789abcdef";

    private static string Config(string botAllow = "\"a__*\"", string? rateLimit = null, string botToken = "${BOT_TOKEN}",
        string readerAllow = "\"*__echo\", \"*__pid\"")
    {
        var servers = new JsonArray(TestServers.Entry("a", "--counting"), TestServers.Entry("b", "--counting"));
        var readerHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ReaderToken)));
        var rate = rateLimit is null ? "" : ", \"rateLimit\": {\"perIdentityPerMinute\": " + rateLimit + "}";
        return "{\"servers\": " + servers.ToJsonString() + ", \"auth\": {\"tokens\": [" +
               "{\"name\": \"admin\", \"token\": \"" + AdminToken + "\", \"roles\": [\"admin\"]}," +
               "{\"name\": \"bot\", \"token\": \"" + botToken + "\", \"allow\": [" + botAllow + "], \"deny\": [\"a__crash\"]}," +
               "{\"name\": \"reader\", \"tokenSha256\": \"" + readerHash + "\", \"roles\": [\"reader\"]}]," +
               "\"roles\": {\"admin\": {\"allow\": [\"*\"]}, \"reader\": {\"allow\": [" + readerAllow + "], \"deny\": [\"b__*\"]}}" +
               rate + "}}";
    }

    // The bot's token comes from .env beside the config, as an operator would keep it.
    private static Task<GatewayFixture> StartAsync(string config) => GatewayFixture.StartAsync(config, dotEnv: $"BOT_TOKEN={BotToken}\n");

    private static async Task<(int Status, HttpResponseMessage Response, JsonNode? Body)> SendAsync(GatewayFixture gateway, HttpMethod method, string path,
        string? token, string? body = null, string? session = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (session is not null)
        {
            request.Headers.TryAddWithoutValidation("Mcp-Session-Id", session);
        }
        var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        JsonNode? parsed = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            parsed = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        }
        return ((int)response.StatusCode, response, parsed);
    }

    private static async Task<JsonObject> RpcAsync(GatewayFixture gateway, string token, string method, JsonObject? prms = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = method };
        if (prms is not null) message["params"] = prms;
        var (status, _, body) = await SendAsync(gateway, HttpMethod.Post, "/sse", token, message.ToJsonString());
        Assert.Equal(200, status);
        return body!.AsObject();
    }

    private static async Task<string[]> ToolsAsync(GatewayFixture gateway, string token) =>
        (await RpcAsync(gateway, token, "tools/list"))["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();

    private static JsonObject Call(string tool) => new() { ["name"] = tool, ["arguments"] = new JsonObject { ["message"] = "hi" } };

    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    [Fact]
    public async Task EveryDoor_WithoutAValidToken_Gets401WithResourceMetadata_AndNoHint()
    {
        await using var gateway = await StartAsync(Config());
        var doors = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Post, "/mcp", Initialize), (HttpMethod.Get, "/mcp", null), (HttpMethod.Delete, "/mcp", null),
            (HttpMethod.Get, "/sse", null), (HttpMethod.Post, "/messages?sessionId=x", "{}"), (HttpMethod.Post, "/sse", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}"""),
        };
        foreach (var (method, path, body) in doors)
        {
            var answers = new List<string>();
            foreach (var token in new string?[] { null, "not-a-token-of-anyone-at-all", AdminToken + "x" })
            {
                var (status, response, json) = await SendAsync(gateway, method, path, token, body);
                Assert.True(status == 401, $"{method} {path} with {(token is null ? "no token" : "a wrong token")}: {status}");
                Assert.Contains("resource_metadata=", response.Headers.WwwAuthenticate.ToString());
                answers.Add(json!.ToJsonString());
            }
            Assert.Single(answers.Distinct()); // a wrong token and no token read the same: nothing tells names apart
        }
        var metadata = JsonNode.Parse(await gateway.Http.GetStringAsync("/.well-known/oauth-protected-resource"))!;
        Assert.EndsWith("/mcp", (string)metadata["resource"]!);
        Assert.Contains("header", metadata["bearer_methods_supported"]!.ToJsonString());

        Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/sse", AdminToken, """{"jsonrpc":"2.0","id":1,"method":"ping"}""")).Status);
    }

    [Fact]
    public async Task Policy_ShapesEachIdentitysList_AndADeniedCallNeverReachesTheChild()
    {
        await using var gateway = await StartAsync(Config());
        var admin = await ToolsAsync(gateway, AdminToken);
        Assert.Contains("mcproxy__status", admin);
        Assert.Contains("b__echo", admin);
        Assert.Contains("a__crash", admin);

        var bot = await ToolsAsync(gateway, BotToken);
        Assert.All(bot, t => Assert.StartsWith("a__", t));
        Assert.DoesNotContain("a__crash", bot);     // deny wins over allow
        Assert.DoesNotContain("mcproxy__status", bot); // the gateway's own tools are under policy too

        var reader = await ToolsAsync(gateway, ReaderToken);
        Assert.Equal(["a__echo", "a__pid"], reader.Order());

        var before = (string)(await RpcAsync(gateway, AdminToken, "tools/call", Call("b__calls")))["result"]!["content"]![0]!["text"]!;
        foreach (var (token, tool) in new[] { (BotToken, "b__echo"), (BotToken, "a__crash"), (ReaderToken, "b__echo"), (ReaderToken, "mcproxy__status") })
        {
            var denied = await RpcAsync(gateway, token, "tools/call", Call(tool));
            Assert.Equal(-32003, (int)denied["error"]!["code"]!);
            Assert.Contains(tool, (string)denied["error"]!["message"]!);
        }
        var after = (string)(await RpcAsync(gateway, AdminToken, "tools/call", Call("b__calls")))["result"]!["content"]![0]!["text"]!;
        Assert.Equal(int.Parse(before) + 1, int.Parse(after)); // only the admin's own second count reached b
        Assert.Equal(MCProxy.Supervision.ServerState.Ready, gateway.Status("a").State); // a__crash never ran

        var echoed = await RpcAsync(gateway, ReaderToken, "tools/call", Call("a__echo"));
        Assert.Equal("hi", (string)echoed["result"]!["content"]![0]!["text"]!);
        var prompt = await RpcAsync(gateway, ReaderToken, "prompts/get", new JsonObject { ["name"] = "b__greet", ["arguments"] = new JsonObject { ["who"] = "x" } });
        Assert.Equal(-32003, (int)prompt["error"]!["code"]!);
        Assert.Empty((await RpcAsync(gateway, ReaderToken, "prompts/list"))["result"]!["prompts"]!.AsArray());
    }

    [Fact]
    public async Task Session_OfOneIdentity_DoesNotExistForAnother()
    {
        await using var gateway = await StartAsync(Config());
        var (status, response, _) = await SendAsync(gateway, HttpMethod.Post, "/mcp", AdminToken, Initialize);
        Assert.Equal(200, status);
        var session = response.Headers.GetValues("Mcp-Session-Id").Single();
        var list = """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""";

        Assert.Equal(404, (await SendAsync(gateway, HttpMethod.Post, "/mcp", BotToken, list, session)).Status);
        Assert.Equal(404, (await SendAsync(gateway, HttpMethod.Get, "/mcp", BotToken, null, session)).Status);
        Assert.Equal(404, (await SendAsync(gateway, HttpMethod.Delete, "/mcp", BotToken, null, session)).Status);
        Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/mcp", AdminToken, list, session)).Status);

        // Legacy SSE: the admin's stream; the bot posting to its message URL finds no session.
        using var stream = new HttpRequestMessage(HttpMethod.Get, "/sse");
        stream.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var opened = await gateway.Http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await opened.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();
        var endpoint = (await reader.ReadLineAsync())!["data: ".Length..];
        Assert.Equal(404, (await SendAsync(gateway, HttpMethod.Post, endpoint, BotToken, list)).Status);
        Assert.Equal(202, (await SendAsync(gateway, HttpMethod.Post, endpoint, AdminToken, list)).Status);
    }

    [Fact]
    public async Task PolicyEdits_ApplyLive_AnInvalidAuthEditKeepsTheLastGood()
    {
        await using var gateway = await StartAsync(Config());
        Assert.DoesNotContain("b__echo", await ToolsAsync(gateway, BotToken));

        var outcome = await gateway.WriteConfigAsync(Config(botAllow: "\"a__*\", \"b__echo\""));
        Assert.True(outcome.Applied);
        Assert.Contains("b__echo", await ToolsAsync(gateway, BotToken));

        // A token whose variable is unset: the whole file is refused, the last good auth keeps running.
        var broken = await gateway.WriteConfigAsync(Config(botToken: "${NOT_SET_ANYWHERE_TOKEN}"));
        Assert.False(broken.Applied);
        Assert.Contains("b__echo", await ToolsAsync(gateway, BotToken));
        var health = await gateway.HealthAsync();
        Assert.Equal("invalid", (string)health["config"]!["status"]!);
        Assert.Contains("NOT_SET_ANYWHERE_TOKEN", health["config"]!["errors"]!.ToJsonString());
    }

    private const int RateLimitedCode = -32029;

    [Fact]
    public async Task RateLimit_PerIdentity_Answers429WithRetryAfter_OthersUnaffected()
    {
        await using var gateway = await StartAsync(Config(rateLimit: "3"));
        var call = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = "tools/call", ["params"] = Call("a__echo") }.ToJsonString();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/sse", BotToken, call)).Status);
        }
        var (status, response, body) = await SendAsync(gateway, HttpMethod.Post, "/sse", BotToken, call);
        Assert.Equal(429, status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(7, (int)body!["id"]!);
        Assert.Contains("rate limit", (string)body["error"]!["message"]!);
        // A batch gets one error per request, under each request's id.
        var batch = new JsonArray(
            new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 8, ["method"] = "tools/call", ["params"] = Call("a__echo") },
            new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 9, ["method"] = "tools/call", ["params"] = Call("a__echo") }).ToJsonString();
        var (batchStatus, _, batchBody) = await SendAsync(gateway, HttpMethod.Post, "/sse", BotToken, batch);
        Assert.Equal(429, batchStatus);
        Assert.Equal([8, 9], batchBody!.AsArray().Select(e => (int)e!["id"]!));
        Assert.All(batchBody.AsArray(), e => Assert.Equal(RateLimitedCode, (int)e!["error"]!["code"]!));
        // Listing reaches no server and is not counted; another identity has its own budget.
        Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/sse", BotToken, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""")).Status);
        Assert.Equal(200, (await SendAsync(gateway, HttpMethod.Post, "/sse", AdminToken, call)).Status);
    }

    [Fact]
    public async Task RateLimit_OnLegacySse_AnswersOnTheStreamWithAJsonRpcError_AndThePostWith429()
    {
        await using var gateway = await StartAsync(Config(rateLimit: "2"));
        await using var session = await RawSseSession.OpenAsync(gateway, BotToken);
        for (var i = 0; i < 2; i++)
        {
            var ok = await session.RequestAsync("tools/call", Call("a__echo"), $"ok-{i}");
            Assert.Null(ok["error"]);
        }
        var (status, _) = await session.PostAsync(
            new JsonObject { ["jsonrpc"] = "2.0", ["id"] = "over", ["method"] = "tools/call", ["params"] = Call("a__echo") }.ToJsonString());
        Assert.Equal(429, status);
        // A legacy client reads its answers from the stream: the refusal is there, under the request's id.
        var refused = await session.NextAsync(m => (string?)m["id"] == "over");
        Assert.Equal(RateLimitedCode, (int)refused["error"]!["code"]!);
        Assert.Contains("rate limit", (string)refused["error"]!["message"]!);
        // The session itself is intact: a request that reaches no server still answers on the stream.
        Assert.NotNull((await session.RequestAsync("tools/list", null, "list"))["result"]);
    }

    [Fact]
    public async Task Tokens_NeverReachTheLog()
    {
        await using var gateway = await StartAsync(Config(rateLimit: "2"));
        foreach (var token in new[] { AdminToken, BotToken, ReaderToken, "wrong-token-0123456789abcdef" })
        {
            await SendAsync(gateway, HttpMethod.Post, "/sse", token, """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"b__echo","arguments":{"message":"x"}}}""");
        }
        await gateway.WriteConfigAsync(Config(botToken: "${NOT_SET_ANYWHERE_TOKEN}"));
        var health = await gateway.Http.GetStringAsync("/health");
        foreach (var token in new[] { AdminToken, BotToken, ReaderToken, "wrong-token-0123456789abcdef" })
        {
            Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal));
            Assert.DoesNotContain(token, health);
        }
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("refused POST /sse"));
    }

    [Theory]
    [InlineData("streamable")]
    [InlineData("sse")]
    public async Task OfficialClient_SendingTheHeader_SeesItsOwnView_AndWithoutItCannotConnect(string transport)
    {
        await using var gateway = await StartAsync(Config());
        async Task<ModelContextProtocol.Client.McpClient> ConnectAsync(string? token) =>
            await ModelContextProtocol.Client.McpClient.CreateAsync(new ModelContextProtocol.Client.HttpClientTransport(
                new ModelContextProtocol.Client.HttpClientTransportOptions
                {
                    Endpoint = new Uri(gateway.BaseUrl + (transport == "sse" ? "/sse" : "/mcp")),
                    TransportMode = transport == "sse" ? ModelContextProtocol.Client.HttpTransportMode.Sse : ModelContextProtocol.Client.HttpTransportMode.StreamableHttp,
                    AdditionalHeaders = token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
                }), new ModelContextProtocol.Client.McpClientOptions { ProtocolVersion = transport == "sse" ? "2024-11-05" : "2025-11-25" });

        await using var reader = await ConnectAsync(ReaderToken);
        Assert.Equal(["a__echo", "a__pid"], (await reader.ListToolsAsync()).Select(t => t.Name).Order());
        var echoed = await reader.CallToolAsync("a__echo", new Dictionary<string, object?> { ["message"] = "sdk" });
        Assert.Equal("sdk", ((ModelContextProtocol.Protocol.TextContentBlock)echoed.Content[0]).Text);
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(null));
    }

    [Fact]
    public async Task ListChanged_GoesOnlyToTheSessionsWhoseViewChanged()
    {
        await using var gateway = await StartAsync(Config());
        async Task<(ModelContextProtocol.Client.McpClient Client, Func<int> Count, Func<int, Task> WaitAsync)> ConnectAsync(string token)
        {
            var count = 0;
            var signal = new SemaphoreSlim(0);
            var client = await ModelContextProtocol.Client.McpClient.CreateAsync(new ModelContextProtocol.Client.HttpClientTransport(
                new ModelContextProtocol.Client.HttpClientTransportOptions
                {
                    Endpoint = new Uri(gateway.BaseUrl + "/sse"), TransportMode = ModelContextProtocol.Client.HttpTransportMode.Sse,
                    AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
                }), new ModelContextProtocol.Client.McpClientOptions { ProtocolVersion = "2024-11-05" });
            client.RegisterNotificationHandler("notifications/tools/list_changed", (_, _) =>
            {
                Interlocked.Increment(ref count);
                signal.Release();
                return ValueTask.CompletedTask;
            });
            return (client, () => Volatile.Read(ref count), async n =>
            {
                while (Volatile.Read(ref count) < n) Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10)), "no list_changed");
            });
        }
        var bot = await ConnectAsync(BotToken);
        var reader = await ConnectAsync(ReaderToken);
        try
        {
            // 1: only the bot's view changes.
            Assert.True((await gateway.WriteConfigAsync(Config(botAllow: "\"a__*\", \"b__echo\""))).Applied);
            await bot.WaitAsync(1);
            // 2: only the reader's view changes; had 1 reached the reader, this would be its second.
            Assert.True((await gateway.WriteConfigAsync(Config(botAllow: "\"a__*\", \"b__echo\"", readerAllow: "\"*__echo\", \"*__pid\", \"*__big\""))).Applied);
            await reader.WaitAsync(1);
            // 3: only the bot's again; had 2 reached the bot, this would be its third.
            Assert.True((await gateway.WriteConfigAsync(Config(botAllow: "\"a__*\"", readerAllow: "\"*__echo\", \"*__pid\", \"*__big\""))).Applied);
            await bot.WaitAsync(2);
            Assert.Equal(2, bot.Count());
            Assert.Equal(1, reader.Count());
        }
        finally
        {
            await bot.Client.DisposeAsync();
            await reader.Client.DisposeAsync();
        }
    }

    [Fact]
    public async Task NonLoopbackBind_WithoutAuth_RefusesToStart_NamingTheFix()
    {
        var dir = Directory.CreateTempSubdirectory("mcproxy-open-").FullName;
        var config = Path.Combine(dir, "mcp-servers.json");
        await File.WriteAllTextAsync(config, TestServers.Config(TestServers.Entry("a")));
        var (file, prefix) = TestServerPaths.GatewayCommand;
        var start = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in prefix.Concat(["--config", config, "--host", "0.0.0.0", "--port", "0"]))
        {
            start.ArgumentList.Add(arg);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("without authentication", stderr);
        Assert.Contains("--allow-unauthenticated", stderr);
        Directory.Delete(dir, recursive: true);
    }
}
