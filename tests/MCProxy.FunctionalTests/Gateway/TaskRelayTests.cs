using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// The Tasks extension relayed: a child that offers it runs a 2026-07-28 client's call as a task (when the client
/// declared the extension); the client polls and cancels it through the gateway with a sealed task id.
/// </summary>
public sealed class TaskRelayTests : IAsyncLifetime
{
    private const string Tasks = """
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}}}
        """;
    private const string NoTasks = """
        "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}
        """;

    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("worker", "--tasks"), TestServers.Entry("plain")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<JsonObject> PostAsync(string method, string paramsBody, string meta, string? name = null)
    {
        var headers = new Dictionary<string, string> { ["MCP-Protocol-Version"] = "2026-07-28", ["Mcp-Method"] = method };
        if (name is not null)
        {
            headers["Mcp-Name"] = name;
        }
        var (status, _, body) = await _gateway.PostAsync("/mcp",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":{" + paramsBody + (paramsBody.Length > 0 ? "," : "") + meta + "}}",
            "application/json, text/event-stream", headers);
        Assert.Equal(200, status);
        return JsonNode.Parse(body)!.AsObject();
    }

    [Fact]
    public async Task Discover_OffersTheExtension_WhenAChildDoes()
    {
        Assert.Equal("2026-07-28", _gateway.Status("worker").Info?.ProtocolVersion);
        var discover = await PostAsync("server/discover", "", Tasks);
        Assert.NotNull(discover["result"]?["capabilities"]?["extensions"]?["io.modelcontextprotocol/tasks"]);
        // A 2025 client is never offered it.
        var init = await _gateway.RpcAsync("initialize", new JsonObject
        {
            ["protocolVersion"] = "2025-11-25", ["capabilities"] = new JsonObject(), ["clientInfo"] = new JsonObject { ["name"] = "t", ["version"] = "1" },
        });
        Assert.Null(init["result"]?["capabilities"]?["extensions"]);
    }

    [Fact]
    public async Task ATask_IsPolledToItsResult_ThroughASealedId()
    {
        var started = await PostAsync("tools/call", """ "name":"worker__long","arguments":{"ms":300} """, Tasks, "worker__long");
        Assert.Equal("task", (string?)started["result"]?["resultType"]);
        var taskId = (string)started["result"]!["taskId"]!;
        Assert.StartsWith("mcpx1.", taskId);
        Assert.DoesNotContain("task-", taskId); // the server's own id is inside, sealed
        var poll = new TaskCompletionSource<JsonObject>();
        for (var i = 0; i < 200; i++)
        {
            var got = await PostAsync("tasks/get", $$""" "taskId":"{{taskId}}" """, Tasks, taskId);
            Assert.Equal(taskId, (string?)got["result"]?["taskId"]);
            if ((string?)got["result"]?["status"] == "completed")
            {
                poll.SetResult(got);
                break;
            }
            Assert.Equal("working", (string?)got["result"]?["status"]);
            await Task.Delay((int?)got["result"]?["pollIntervalMs"] ?? 50); // the server's own poll interval
        }
        var done = await poll.Task.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.StartsWith("long done (task-", (string?)done["result"]?["result"]?["content"]?[0]?["text"]);
    }

    [Fact]
    public async Task ATask_CanBeCancelled_AndAForgedIdIsRefused()
    {
        var started = await PostAsync("tools/call", """ "name":"worker__long","arguments":{"ms":60000} """, Tasks, "worker__long");
        var taskId = (string)started["result"]!["taskId"]!;
        var cancelled = await PostAsync("tasks/cancel", $$""" "taskId":"{{taskId}}" """, Tasks, taskId);
        Assert.Equal("cancelled", (string?)cancelled["result"]?["status"]);
        Assert.Equal(taskId, (string?)cancelled["result"]?["taskId"]);
        var forged = await PostAsync("tasks/get", """ "taskId":"task-1-1" """, Tasks, "task-1-1");
        Assert.Equal(-32602, (int?)forged["error"]?["code"]);
        Assert.Contains("taskId is not one this gateway issued", (string?)forged["error"]?["message"]);
        var after = await PostAsync("tools/call", """ "name":"worker__long","arguments":{"ms":1} """, NoTasks, "worker__long");
        Assert.Equal("long done", (string?)after["result"]?["content"]?[0]?["text"]);
    }

    [Fact]
    public async Task AClientThatDidNotDeclareTasks_GetsTheResult()
    {
        var answer = await PostAsync("tools/call", """ "name":"worker__long","arguments":{"ms":10} """, NoTasks, "worker__long");
        Assert.Equal("complete", (string?)answer["result"]?["resultType"]);
        Assert.Equal("long done", (string?)answer["result"]?["content"]?[0]?["text"]);
        await using var client = await _gateway.ConnectStreamableAsync(); // 2025: never a task
        var result = await client.CallToolAsync("worker__long", new Dictionary<string, object?> { ["ms"] = 10 });
        Assert.Equal("long done", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
    }
}
