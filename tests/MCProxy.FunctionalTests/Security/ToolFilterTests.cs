using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Security;

/// <summary>A server's "tools" filter hides tools from everyone, by the child's own names, and edits apply live.</summary>
public sealed class ToolFilterTests
{
    private static string Config(string filter)
    {
        var entry = TestServers.Entry("a");
        entry["tools"] = JsonNode.Parse(filter);
        return TestServers.Config(entry, TestServers.Entry("b"));
    }

    private static async Task<string[]> ToolsAsync(GatewayFixture gateway) =>
        (await gateway.RpcAsync("tools/list"))["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();

    [Fact]
    public async Task HiddenTools_AreNotListedNorCallable_AndAnEditReFiltersWithoutARestart()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config("""{"deny": ["crash", "b*"]}"""));
        var pid = gateway.Status("a").Pid;
        var tools = await ToolsAsync(gateway);
        Assert.Contains("a__echo", tools);
        Assert.DoesNotContain("a__crash", tools);
        Assert.DoesNotContain("a__big", tools);
        Assert.Contains("b__crash", tools); // only server a's filter
        var call = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "a__crash" });
        Assert.Contains("Unknown tool", (string)call["error"]!["message"]!);
        Assert.Equal(pid, gateway.Status("a").Pid); // the hidden crash tool never ran

        await using var client = await gateway.ConnectStreamableAsync();
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = client.RegisterNotificationHandler("notifications/tools/list_changed",
            (_, _) => { changed.TrySetResult(); return ValueTask.CompletedTask; });
        var outcome = await gateway.WriteConfigAsync(Config("""{"allow": ["echo", "pid"]}"""));
        Assert.True(outcome.Applied);
        Assert.Empty(outcome.Plan!.Restart);
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["a__echo", "a__pid"], (await ToolsAsync(gateway)).Where(t => t.StartsWith("a__")).Order());
        Assert.Equal(pid, gateway.Status("a").Pid);
    }
}
