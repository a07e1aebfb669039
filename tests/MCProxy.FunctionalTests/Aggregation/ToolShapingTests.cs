using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Aggregation;

/// <summary>Per-server tool shaping: rename, descriptions, a custom or empty prefix; calls route back; edits apply live.</summary>
public sealed class ToolShapingTests
{
    private static string Config(string shapeOfA, string? shapeOfB = null)
    {
        var a = TestServers.Entry("a");
        foreach (var (k, v) in JsonNode.Parse(shapeOfA)!.AsObject().ToArray())
        {
            a[k] = v?.DeepClone();
        }
        var b = TestServers.Entry("b");
        foreach (var (k, v) in JsonNode.Parse(shapeOfB ?? "{}")!.AsObject().ToArray())
        {
            b[k] = v?.DeepClone();
        }
        return TestServers.Config(a, b);
    }

    private static async Task<JsonArray> ToolsAsync(GatewayFixture gateway) => (await gateway.RpcAsync("tools/list"))["result"]!["tools"]!.AsArray();

    private static JsonObject Tool(JsonArray tools, string name) => tools.Single(t => (string)t!["name"]! == name)!.AsObject();

    [Fact]
    public async Task RenameDescriptionsAndPrefix_ShapeTheList_CallsRouteToTheOriginal_AndAnEditReshapesLiveWithOneListChanged()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(
            """{"prefix": "files", "rename": {"echo": "say"}, "descriptions": {"say": "unused: keys are original names", "p*": "Tells the process id.", "pid": "The child's process id."}, "tags": ["demo"]}"""));
        var pid = gateway.Status("a").Pid;
        var tools = await ToolsAsync(gateway);
        var names = tools.Select(t => (string)t!["name"]!).ToArray();
        Assert.Contains("files__say", names);
        Assert.DoesNotContain("a__echo", names);
        Assert.DoesNotContain("files__echo", names);
        Assert.Contains("b__echo", names); // only server a is shaped
        Assert.Equal("The child's process id.", (string)Tool(tools, "files__pid")["description"]!); // the exact key wins over p*
        Assert.Equal("Tells the process id.", (string)Tool(tools, "files__progress")["description"]!);
        Assert.Equal(Tool(tools, "b__echo")["inputSchema"]!.ToJsonString(), Tool(tools, "files__say")["inputSchema"]!.ToJsonString()); // the rest untouched

        var said = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "files__say", ["arguments"] = new JsonObject { ["message"] = "routed" } });
        Assert.Equal("routed", (string)said["result"]!["content"]![0]!["text"]!); // reached the child's "echo"
        var prompts = (await gateway.RpcAsync("prompts/list"))["result"]!["prompts"]!.AsArray().Select(p => (string)p!["name"]!).ToArray();
        Assert.Contains("files__greet", prompts); // the prefix is the server's namespace for prompts too

        await using var client = await gateway.ConnectStreamableAsync();
        var notifications = 0;
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = client.RegisterNotificationHandler("notifications/tools/list_changed",
            (_, _) => { Interlocked.Increment(ref notifications); changed.TrySetResult(); return ValueTask.CompletedTask; });
        var outcome = await gateway.WriteConfigAsync(Config("""{"prefix": "", "rename": {"echo": "shout"}}"""));
        Assert.Empty(outcome.Plan!.Restart);
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        names = (await ToolsAsync(gateway)).Select(t => (string)t!["name"]!).ToArray();
        Assert.Contains("shout", names); // bare: no prefix at all
        Assert.Contains("pid", names);
        Assert.DoesNotContain(names, n => n.StartsWith("files__", StringComparison.Ordinal));
        var shouted = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "shout", ["arguments"] = new JsonObject { ["message"] = "bare" } });
        Assert.Equal("bare", (string)shouted["result"]!["content"]![0]!["text"]!);
        Assert.Equal(pid, gateway.Status("a").Pid); // reshaped, never restarted
        // One effective change, one notification: a second identical save sends none.
        await gateway.WriteConfigAsync(Config("""{"prefix": "", "rename": {"echo": "shout"}}""") + " ");
        Assert.Equal(1, notifications);
    }

    [Fact]
    public async Task APrefixCollision_IsRejected_NamingBothServers_AndTheLastGoodConfigRuns()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config("{}"));
        var outcome = await gateway.WriteConfigAsync(Config("""{"prefix": "b"}"""));
        Assert.False(outcome.Applied);
        var error = Assert.Single(outcome.Errors);
        Assert.Contains("'a' and 'b'", error.Message);
        Assert.Contains("a__echo", (await ToolsAsync(gateway)).Select(t => (string)t!["name"]!));
    }
}
