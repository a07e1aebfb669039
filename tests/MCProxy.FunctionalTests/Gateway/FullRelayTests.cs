using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>Prompts, resources, templates, subscriptions, completion, logging and progress through the gateway.</summary>
public sealed class FullRelayTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("a"), TestServers.Entry("b")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Initialize_AdvertisesTheUnionOfTheChildren()
    {
        var init = await _gateway.RpcAsync("initialize", JsonNode.Parse("""{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}""")!.AsObject());
        var caps = init["result"]!["capabilities"]!;
        Assert.True((bool)caps["tools"]!["listChanged"]!);
        Assert.True((bool)caps["prompts"]!["listChanged"]!);
        Assert.True((bool)caps["resources"]!["subscribe"]!);
        Assert.NotNull(caps["logging"]);
        Assert.NotNull(caps["completions"]);
    }

    [Theory]
    [InlineData("streamable")]
    [InlineData("sse")]
    public async Task Prompts_ListedWithPrefix_GetRoutedWithTheOriginalName(string transport)
    {
        await using var client = transport == "sse" ? await _gateway.ConnectSseAsync() : await _gateway.ConnectStreamableAsync();
        var prompts = await client.ListPromptsAsync();
        Assert.Equal(["a__greet", "b__greet"], prompts.Select(p => p.Name).Order());
        var result = await client.GetPromptAsync("b__greet", new Dictionary<string, object?> { ["who"] = "Ada" });
        Assert.Equal("Hello Ada from greet", ((TextContentBlock)result.Messages[0].Content).Text);
    }

    [Fact]
    public async Task Prompts_UnknownFieldsPassThrough()
    {
        var list = await _gateway.RpcAsync("prompts/list");
        Assert.All(list["result"]!["prompts"]!.AsArray(), p => Assert.Equal(1, (int)p!["x-extra"]!));
    }

    [Fact]
    public async Task Resources_UniqueUrisKept_CollisionsMadeUnique_EachReadRoutesToItsServer()
    {
        var list = await _gateway.RpcAsync("resources/list");
        var uris = list["result"]!["resources"]!.AsArray().Select(r => (string)r!["uri"]!).ToList();
        Assert.Contains("test://info", uris);
        Assert.Contains("mcproxy://b/test%3A%2F%2Finfo", uris);
        Assert.Contains("shared://same", uris);
        Assert.Contains("mcproxy://b/shared%3A%2F%2Fsame", uris);

        var first = await _gateway.RpcAsync("resources/read", new JsonObject { ["uri"] = "test://info" });
        var second = await _gateway.RpcAsync("resources/read", new JsonObject { ["uri"] = "mcproxy://b/test%3A%2F%2Finfo" });
        Assert.Contains($"from pid {_gateway.Status("a").Pid}", (string)first["result"]!["contents"]![0]!["text"]!);
        Assert.Contains($"from pid {_gateway.Status("b").Pid}", (string)second["result"]!["contents"]![0]!["text"]!);
        Assert.Equal("test://info", (string)second["result"]!["contents"]![0]!["uri"]!); // the child's own answer, untouched
    }

    [Fact]
    public async Task Templates_AreListed_AndATemplatedUriIsRouted()
    {
        var list = await _gateway.RpcAsync("resources/templates/list");
        Assert.Contains("test://item/{id}", list["result"]!["resourceTemplates"]!.ToJsonString());
        var read = await _gateway.RpcAsync("resources/read", new JsonObject { ["uri"] = "test://item/42" });
        Assert.Contains("content of test://item/42", (string)read["result"]!["contents"]![0]!["text"]!);
        var missing = await _gateway.RpcAsync("resources/read", new JsonObject { ["uri"] = "nope://x" });
        Assert.Equal(-32002, (int)missing["error"]!["code"]!);
    }

    [Fact]
    public async Task Subscribe_UpdatesReachTheSubscribedSessionOnly()
    {
        await using var subscriber = await RawSseSession.OpenAsync(_gateway);
        await using var bystander = await RawSseSession.OpenAsync(_gateway);
        var ok = await subscriber.RequestAsync("resources/subscribe", new JsonObject { ["uri"] = "mcproxy://b/test%3A%2F%2Finfo" }, "s1");
        Assert.NotNull(ok["result"]);
        var updated = await subscriber.NextAsync(m => (string?)m["method"] == "notifications/resources/updated");
        Assert.Equal("mcproxy://b/test%3A%2F%2Finfo", (string)updated["params"]!["uri"]!);
        var ping = await bystander.RequestAsync("ping", null, "p1");
        Assert.NotNull(ping["result"]);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            bystander.NextAsync(m => (string?)m["method"] == "notifications/resources/updated", seconds: 0.5));
    }

    [Fact]
    public async Task ASessionThatEnds_LetsGoOfItsSubscriptionsAtTheChild()
    {
        var subscriber = await RawSseSession.OpenAsync(_gateway);
        var ok = await subscriber.RequestAsync("resources/subscribe", new JsonObject { ["uri"] = "test://item/ended" }, "s1");
        Assert.NotNull(ok["result"]);
        Assert.DoesNotContain(_gateway.Logs.Lines, l => l.Contains("testserver: unsubscribed test://item/ended"));
        await subscriber.DisposeAsync(); // its SSE stream closes: the session ends without an unsubscribe
        await _gateway.Logs.WaitForAsync(l => l.Contains("testserver: unsubscribed test://item/ended"));
    }

    [Fact]
    public async Task Completion_IsRoutedByThePromptReference()
    {
        var result = await _gateway.RpcAsync("completion/complete", JsonNode.Parse("""
            {"ref":{"type":"ref/prompt","name":"a__greet"},"argument":{"name":"who","value":"A"}}
            """)!.AsObject());
        Assert.Equal("greet", (string)result["result"]!["completion"]!["values"]![0]!);
        var byTemplate = await _gateway.RpcAsync("completion/complete", JsonNode.Parse("""
            {"ref":{"type":"ref/resource","uri":"test://item/{id}"},"argument":{"name":"id","value":"4"}}
            """)!.AsObject());
        Assert.Equal("test://item/{id}", (string)byTemplate["result"]!["completion"]!["values"]![0]!);
    }

    [Fact]
    public async Task Logging_SetLevelReachesChildren_AndTheirMessagesReachClientsTaggedWithTheServer()
    {
        await using var session = await RawSseSession.OpenAsync(_gateway);
        var ok = await session.RequestAsync("logging/setLevel", new JsonObject { ["level"] = "debug" }, "l1");
        Assert.NotNull(ok["result"]);
        var loggers = new HashSet<string>();
        for (var i = 0; i < 2; i++)
        {
            var message = await session.NextAsync(m => (string?)m["method"] == "notifications/message");
            Assert.Equal("level set to debug", (string)message["params"]!["data"]!);
            loggers.Add((string)message["params"]!["logger"]!);
        }
        Assert.Equal(["a", "b"], loggers.Order());
    }

    [Theory]
    [InlineData("\"tok-1\"")]
    [InlineData("7")]
    public async Task Progress_ReachesTheCallingSessionWithItsOwnToken(string token)
    {
        await using var caller = await RawSseSession.OpenAsync(_gateway);
        await using var other = await RawSseSession.OpenAsync(_gateway);
        await caller.SendAsync("{\"jsonrpc\":\"2.0\",\"id\":\"c1\",\"method\":\"tools/call\",\"params\":{\"name\":\"a__progress\",\"arguments\":{},\"_meta\":{\"progressToken\":" + token + "}}}");
        var reply = await caller.NextAsync(m => (string?)m["id"] == "c1");
        Assert.Equal("progressed", (string)reply["result"]!["content"]![0]!["text"]!);
        for (var i = 1; i <= 3; i++)
        {
            var progress = await caller.NextAsync(m => (string?)m["method"] == "notifications/progress");
            Assert.Equal(token, progress["params"]!["progressToken"]!.ToJsonString());
            Assert.Equal(i, (int)progress["params"]!["progress"]!);
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            other.NextAsync(m => (string?)m["method"] == "notifications/progress", seconds: 0.5));
    }

    [Fact]
    public async Task Progress_OfficialClientCall_IsRelayedOntoItsStream()
    {
        await using var client = await _gateway.ConnectStreamableAsync();
        var delivered = new List<bool>();
        var router = (MCProxy.Gateway.ProgressRouter)_gateway.Services.GetService(typeof(MCProxy.Gateway.ProgressRouter))!;
        void OnDelivered(string token, bool sent)
        {
            lock (delivered) delivered.Add(sent);
        }
        router.Delivered += OnDelivered;
        try
        {
            var result = await client.CallToolAsync("a__progress", progress: new SynchronousProgress([]));
            Assert.Equal("progressed", ((TextContentBlock)result.Content[0]).Text);
            // All three reached the client's stream before the answer. Whether the C# SDK reports each to IProgress
            // is its own affair: it drops ones it processes after the answer (its per-call handler is gone by then).
            // The TypeScript client's onprogress sees them in tests/e2e.
            lock (delivered) Assert.Equal([true, true, true], delivered);
        }
        finally
        {
            router.Delivered -= OnDelivered;
        }
    }

    private sealed class SynchronousProgress(List<float> seen) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value)
        {
            lock (seen) seen.Add(value.Progress);
        }
    }

    [Fact]
    public async Task LongLists_ArePagedDownstream_AndEveryPageIsReachable()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("many", "--tool-count", "700", "--page-size", "150")));
        var names = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var prms = cursor is null ? null : new JsonObject { ["cursor"] = cursor };
            var page = await gateway.RpcAsync("tools/list", prms);
            names.AddRange(page["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!));
            cursor = (string?)page["result"]!["nextCursor"];
            pages++;
        } while (cursor is not null);
        Assert.Equal(2, pages);
        Assert.Equal(710, names.Distinct().Count()); // 700 generated + 9 named + mcproxy__status
        var bad = await gateway.RpcAsync("tools/list", new JsonObject { ["cursor"] = "not-ours" });
        Assert.Equal(-32602, (int)bad["error"]!["code"]!);
        await using var client = await gateway.ConnectStreamableAsync();
        Assert.Equal(710, (await client.ListToolsAsync()).Count); // the SDK client follows nextCursor itself
    }
}
