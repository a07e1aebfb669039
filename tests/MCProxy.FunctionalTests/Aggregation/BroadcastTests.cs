using System.Diagnostics;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Aggregation;

/// <summary>"broadcast": true — one call to a tool every server (or every server with a tag) exposes, all at once.</summary>
public sealed class BroadcastTests
{
    [Fact]
    public async Task BroadcastTools_CallEveryServerInParallel_ByTagToo_AndListEachResultOrError()
    {
        var a = TestServers.Entry("a", 2.0);
        a["tags"] = new JsonArray("prod");
        var b = TestServers.Entry("b", 2.0);
        b["tags"] = new JsonArray("prod");
        var c = TestServers.Entry("c", 2.0);
        c["tools"] = JsonNode.Parse("""{"deny": ["slow"]}""");
        var config = new JsonObject { ["servers"] = new JsonArray(a, b, c), ["broadcast"] = true }.ToJsonString();
        await using var gateway = await GatewayFixture.StartAsync(config);
        var names = (await gateway.RpcAsync("tools/list"))["result"]!["tools"]!.AsArray().Select(t => (string)t!["name"]!).ToArray();
        Assert.Contains("broadcast__echo", names);
        Assert.Contains("broadcast__by_tag__prod__echo", names);
        Assert.Contains("broadcast__slow", names); // a and b; c hides it

        var all = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "broadcast__pid", ["arguments"] = new JsonObject() });
        var results = all["result"]!["structuredContent"]!["results"]!.AsArray();
        Assert.Equal(["a", "b", "c"], results.Select(r => (string)r!["server"]!));
        Assert.Equal(new[] { "a", "b", "c" }.Select(s => gateway.Status(s).Pid.ToString()),
            results.Select(r => (string)r!["result"]!["content"]![0]!["text"]!)); // each server answered itself
        Assert.Contains("[c] ", (string)all["result"]!["content"]![2]!["text"]!);

        var tagged = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "broadcast__by_tag__prod__echo", ["arguments"] = new JsonObject { ["message"] = "prod only" } });
        Assert.Equal(["a", "b"], tagged["result"]!["structuredContent"]!["results"]!.AsArray().Select(r => (string)r!["server"]!));

        // In parallel: two 1.5 s calls take about 1.5 s, not 3; a server past its timeout is an error in the list, not a hang.
        var watch = Stopwatch.StartNew();
        var slow = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "broadcast__slow", ["arguments"] = new JsonObject { ["ms"] = 1500 } });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.9), $"took {watch.Elapsed}");
        Assert.Equal(2, slow["result"]!["structuredContent"]!["results"]!.AsArray().Count);
        var late = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "broadcast__slow", ["arguments"] = new JsonObject { ["ms"] = 5000 } });
        Assert.True((bool)late["result"]!["isError"]!); // every server timed out (2 s each)
        Assert.All(late["result"]!["structuredContent"]!["results"]!.AsArray(), r => Assert.Contains("did not answer", r!.ToJsonString()));
    }
}
