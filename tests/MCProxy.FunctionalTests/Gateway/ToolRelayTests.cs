using System.Text.Json;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>Two real test-server children behind one gateway; an official C# client on each front door.</summary>
public sealed class ToolRelayTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("alpha"),
        TestServers.Entry("beta", "--tool-count", "25", "--page-size", "10")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public static TheoryData<string> Transports => new() { "streamable", "sse" };

    private Task<McpClient> ConnectAsync(string transport) =>
        transport == "sse" ? _gateway.ConnectSseAsync() : _gateway.ConnectStreamableAsync();

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ListTools_EveryToolOfEveryServer_IsPrefixed(string transport)
    {
        await using var client = await ConnectAsync(transport);
        var names = (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();
        Assert.Contains("mcproxy__status", names);
        Assert.Contains("alpha__echo", names);
        Assert.Contains("beta__echo", names);
        // beta pages its 34 tools 10 at a time: every page was fetched.
        Assert.Equal(34, names.Count(n => n.StartsWith("beta__", StringComparison.Ordinal)));
        Assert.Contains("beta__t24", names);
        Assert.DoesNotContain(names, n => !n.StartsWith("alpha__") && !n.StartsWith("beta__") && n != "mcproxy__status");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task CallTool_RoutesToTheRightChild(string transport)
    {
        await using var client = await ConnectAsync(transport);
        var echo = await client.CallToolAsync("alpha__echo", new Dictionary<string, object?> { ["message"] = "hello " + transport });
        Assert.Equal("hello " + transport, Assert.IsType<TextContentBlock>(Assert.Single(echo.Content)).Text);
        var alphaPid = Text(await client.CallToolAsync("alpha__pid"));
        var betaPid = Text(await client.CallToolAsync("beta__pid"));
        Assert.Equal(_gateway.Status("alpha").Pid.ToString(), alphaPid);
        Assert.Equal(_gateway.Status("beta").Pid.ToString(), betaPid);
        Assert.NotEqual(alphaPid, betaPid);
    }

    [Fact]
    public async Task ListTools_RichTool_PassesEveryFieldThroughUnchangedButTheName()
    {
        var response = await _gateway.RpcAsync("tools/list");
        var rich = response["result"]!["tools"]!.AsArray().Single(t => (string?)t!["name"] == "alpha__rich")!.AsObject();
        var expected = JsonNode.Parse("""
            {"name":"alpha__rich","title":"Rich tool","description":"Has every optional field",
             "inputSchema":{"type":"object","properties":{"q":{"type":"string","description":"query"}},"required":["q"]},
             "outputSchema":{"type":"object","properties":{"answer":{"type":"number"}}},
             "annotations":{"title":"Rich","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false},
             "icons":[{"src":"data:image/png;base64,iVBORw0KGgo=","mimeType":"image/png","sizes":["16x16"]}],
             "execution":{"taskSupport":"optional"},
             "_meta":{"vendor/key":{"nested":[1,2,3]}},
             "x-unknown-field":{"kept":true}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, rich), rich.ToJsonString());
    }

    [Fact]
    public async Task CallTool_RichResult_PassesThroughByteForByte()
    {
        var response = await _gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "alpha__rich", ["arguments"] = new JsonObject { ["q"] = "x" } });
        var expected = JsonNode.Parse("""
            {"content":[{"type":"text","text":"rich answer","annotations":{"audience":["user"],"priority":0.5}},
                        {"type":"image","data":"iVBORw0KGgo=","mimeType":"image/png"},
                        {"type":"audio","data":"UklGRg==","mimeType":"audio/wav"},
                        {"type":"resource_link","uri":"file:///tmp/x.txt","name":"x.txt","mimeType":"text/plain"},
                        {"type":"resource","resource":{"uri":"file:///tmp/y.txt","mimeType":"text/plain","text":"embedded"}}],
             "structuredContent":{"answer":42},"isError":false,"_meta":{"vendor/trace":"abc"},"x-extra":[1,{"deep":null}]}
            """);
        Assert.True(JsonNode.DeepEquals(expected, response["result"]), response.ToJsonString());
    }

    [Fact]
    public async Task CallTool_FiftyConcurrentCallsFromFiveSessions_EachGetsItsOwnAnswer()
    {
        var clients = new List<McpClient>();
        for (var i = 0; i < 5; i++)
        {
            clients.Add(i % 2 == 0 ? await _gateway.ConnectStreamableAsync() : await _gateway.ConnectSseAsync());
        }
        try
        {
            var calls = Enumerable.Range(0, 50).Select(async n =>
            {
                var client = clients[n % 5];
                var server = n % 2 == 0 ? "alpha" : "beta";
                var message = $"session {n % 5} call {n}";
                var result = await client.CallToolAsync($"{server}__echo", new Dictionary<string, object?> { ["message"] = message });
                return (message, answer: Text(result));
            }).ToArray();
            foreach (var (message, answer) in await Task.WhenAll(calls))
            {
                Assert.Equal(message, answer);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task CallTool_BigOutput_ArrivesWhole()
    {
        var response = await _gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "alpha__big", ["arguments"] = new JsonObject { ["bytes"] = 3_000_000 },
        });
        Assert.Equal(3_000_000, ((string)response["result"]!["content"]![0]!["text"]!).Length);
    }

    [Fact]
    public async Task StatusTool_ListsEveryServerWithPidAndTools()
    {
        await using var client = await _gateway.ConnectStreamableAsync();
        var result = await client.CallToolAsync("mcproxy__status");
        var status = JsonSerializer.Deserialize<JsonObject>(Text(result))!;
        var servers = status["servers"]!.AsArray();
        Assert.Equal(["alpha", "beta"], servers.Select(s => (string)s!["name"]!));
        Assert.All(servers, s => Assert.Equal("ready", (string)s!["state"]!));
        Assert.Equal(_gateway.Status("alpha").Pid, (int)servers[0]!["pid"]!);
        Assert.Equal(34, (int)servers[1]!["tools"]!);
    }

    [Fact]
    public async Task CallTool_UnknownTool_IsAClearError()
    {
        var response = await _gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "nope__tool" });
        Assert.Equal(-32602, (int)response["error"]!["code"]!);
        Assert.Contains("Unknown tool: 'nope__tool'", (string)response["error"]!["message"]!);
        var onLiveServer = await _gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "alpha__missing" });
        Assert.Equal(-32602, (int)onLiveServer["error"]!["code"]!);
    }

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(result.Content[0]).Text;
}
