using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Disclosure;

/// <summary>discover mode: search, describe and call meta tools instead of the whole catalogue; ?tools= per connection; auto.</summary>
public sealed class ProgressiveDisclosureTests
{
    private static string Config(string? disclosure = null, string? auth = null)
    {
        var config = new JsonObject { ["servers"] = new JsonArray(TestServers.Entry("a"), TestServers.Entry("b", "--counting")) };
        if (disclosure is not null) config["disclosure"] = JsonNode.Parse(disclosure);
        if (auth is not null) config["auth"] = JsonNode.Parse(auth);
        return config.ToJsonString();
    }

    private static async Task<string[]> NamesAsync(GatewayFixture gateway, string path = "/sse", IDictionary<string, string>? headers = null)
    {
        var (_, _, body) = await gateway.PostAsync(path, """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", headers: headers);
        return JsonNode.Parse(body)!["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();
    }

    private static async Task<JsonNode> CallAsync(GatewayFixture gateway, string tool, JsonObject arguments, string path = "/sse", IDictionary<string, string>? headers = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 7, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = arguments } };
        var (_, _, body) = await gateway.PostAsync(path, request.ToJsonString(), headers: headers);
        return JsonNode.Parse(body)!;
    }

    [Fact]
    public async Task Discover_ListsOnlyTheMetaToolsAndPinned_SearchFinds_DescribeIsByteIdentical_CallIsTheDirectCall()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config("""{"mode": "discover", "pinned": ["a__pid"]}"""));
        Assert.Equal(["mcproxy__search_tools", "mcproxy__describe_tool", "mcproxy__call_tool", "a__pid"], await NamesAsync(gateway));
        // The full list, as ?tools=full shows it: every tool's exact bytes.
        var (_, _, full) = await gateway.PostAsync("/sse?tools=full", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        var fullTools = JsonNode.Parse(full)!["result"]!["tools"]!.AsArray();
        Assert.Contains(fullTools, t => (string)t!["name"]! == "b__echo");

        var search = await CallAsync(gateway, "mcproxy__search_tools", new JsonObject { ["query"] = "echo a message back", ["limit"] = 3 });
        var cards = search["result"]!["structuredContent"]!["tools"]!.AsArray();
        Assert.Contains(cards.Take(2), c => ((string)c!["name"]!).EndsWith("__echo", StringComparison.Ordinal));
        Assert.All(cards, c => Assert.True(System.Text.Encoding.UTF8.GetByteCount(c!.ToJsonString()) <= 400));
        var status = await CallAsync(gateway, "mcproxy__search_tools", new JsonObject { ["query"] = "state and restart count of the servers", ["limit"] = 3 });
        Assert.Contains(status["result"]!["structuredContent"]!["tools"]!.AsArray(), c => (string)c!["name"]! == "mcproxy__status"); // the gateway's own tool too
        var onlyB = await CallAsync(gateway, "mcproxy__search_tools", new JsonObject { ["query"] = "echo", ["server"] = "b" });
        Assert.All(onlyB["result"]!["structuredContent"]!["tools"]!.AsArray(), c => Assert.StartsWith("b__", (string)c!["name"]!));

        var described = await CallAsync(gateway, "mcproxy__describe_tool", new JsonObject { ["name"] = "b__echo" });
        var exact = fullTools.Single(t => (string)t!["name"]! == "b__echo")!.ToJsonString();
        Assert.Equal(JsonNode.Parse((string)described["result"]!["content"]![0]!["text"]!)!.ToJsonString(), exact);

        // The call through the meta tool answers with exactly the bytes of the direct call (same id, same result).
        var (_, _, direct) = await gateway.PostAsync("/sse?tools=full",
            """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"b__echo","arguments":{"message":"same bytes"}}}""");
        var (_, _, viaMeta) = await gateway.PostAsync("/sse",
            """{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"mcproxy__call_tool","arguments":{"name":"b__echo","arguments":{"message":"same bytes"}}}}""");
        Assert.Equal(direct, viaMeta);
    }

    [Fact]
    public async Task ThePolicyHolds_ThroughSearchDescribeAndCall_AndADeniedCallNeverReachesTheChild()
    {
        const string token = "disclosure-token-0123456789abcdef";
        await using var gateway = await GatewayFixture.StartAsync(Config("\"discover\"",
            $$"""{"tokens": [{"name": "limited", "token": "{{token}}", "allow": ["a__*"]}, {"name": "ops", "token": "{{token}}-ops", "allow": ["*"]}]}"""));
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token };
        var search = await CallAsync(gateway, "mcproxy__search_tools", new JsonObject { ["query"] = "echo" }, headers: headers);
        Assert.All(search["result"]!["structuredContent"]!["tools"]!.AsArray(), c => Assert.StartsWith("a__", (string)c!["name"]!));
        var describe = await CallAsync(gateway, "mcproxy__describe_tool", new JsonObject { ["name"] = "b__echo" }, headers: headers);
        Assert.True((bool)describe["result"]!["isError"]!);
        var call = await CallAsync(gateway, "mcproxy__call_tool", new JsonObject { ["name"] = "b__echo", ["arguments"] = new JsonObject { ["message"] = "no" } }, headers: headers);
        Assert.Equal(-32003, (int)call["error"]!["code"]!);
        // The child's own counter: nothing reached it (asked by an identity that may).
        var calls = await CallAsync(gateway, "b__calls", new JsonObject(), headers: new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}-ops" });
        Assert.Equal("1", (string)calls["result"]!["content"]![0]!["text"]!); // this very call, and nothing before it
        var unauthenticated = await gateway.PostAsync("/sse", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        Assert.Equal(401, unauthenticated.Status);
    }

    [Fact]
    public async Task AnIdentityOrItsRole_SetsItsOwnMode_OverTheGateways()
    {
        const string token = "agent-token-0123456789abcdef";
        await using var gateway = await GatewayFixture.StartAsync(Config(null,
            "{\"tokens\": [{\"name\": \"agent\", \"token\": \"" + token + "\", \"roles\": [\"agents\"]}, {\"name\": \"ops\", \"token\": \"" + token + "-ops\", \"allow\": [\"*\"]}], " +
            "\"roles\": {\"agents\": {\"allow\": [\"*\"], \"disclosure\": {\"mode\": \"discover\", \"pinned\": [\"b__echo\"]}}}}"));
        Assert.Equal(["mcproxy__search_tools", "mcproxy__describe_tool", "mcproxy__call_tool", "b__echo"],
            await NamesAsync(gateway, headers: new Dictionary<string, string> { ["Authorization"] = "Bearer " + token }));
        Assert.Contains("a__echo", await NamesAsync(gateway, headers: new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}-ops" }));
    }

    [Fact]
    public async Task QueryParameter_OnTheSdkClientsUrl_AndAuto_SwitchPerConnection()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config("""{"mode": "auto", "auto": {"maxTools": 5}}"""));
        Assert.Equal(3, (await NamesAsync(gateway)).Length); // 20 tools > 5: auto discovers
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseUrl + "/mcp?tools=full"), TransportMode = HttpTransportMode.StreamableHttp,
        }));
        Assert.Contains((await client.ListToolsAsync()).Select(t => t.Name), n => n == "a__echo");
        await using var legacy = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseUrl + "/sse?tools=discover"), TransportMode = HttpTransportMode.Sse,
        }), new McpClientOptions { ProtocolVersion = "2024-11-05" });
        Assert.Equal(["mcproxy__search_tools", "mcproxy__describe_tool", "mcproxy__call_tool"], (await legacy.ListToolsAsync()).Select(t => t.Name));
        var echoed = await legacy.CallToolAsync("mcproxy__call_tool", new Dictionary<string, object?>
        {
            ["name"] = "a__echo", ["arguments"] = new Dictionary<string, object?> { ["message"] = "through discover" },
        });
        Assert.Equal("through discover", ((TextContentBlock)echoed.Content[0]).Text);
        Assert.Equal(400, (await gateway.PostAsync("/sse?tools=everything", """{"jsonrpc":"2.0","id":1,"method":"tools/list"}""")).Status);
    }
}
