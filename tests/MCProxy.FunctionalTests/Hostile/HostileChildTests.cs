using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;

namespace MCProxy.FunctionalTests.Hostile;

/// <summary>
/// A child that writes what no well-behaved server would. After each case: the gateway still runs, the hostile
/// child's own reader survived (it still answers), another server still answers, and a client saw nothing foreign.
/// </summary>
public sealed class HostileChildTests
{
    private static JsonObject Emit(string stdout, bool newline = true) => new()
    {
        ["name"] = "bad__emit",
        ["arguments"] = new JsonObject { ["stdout"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(stdout)), ["newline"] = newline },
    };

    private static JsonObject EmitBytes(byte[] stdout) => new()
    {
        ["name"] = "bad__emit",
        ["arguments"] = new JsonObject { ["stdout"] = Convert.ToBase64String(stdout) },
    };

    private static async Task AssertStillServingAsync(GatewayFixture gateway, int badPid)
    {
        Assert.Equal(ServerState.Ready, gateway.Status("bad").State);
        Assert.Equal(badPid, gateway.Status("bad").Pid); // the reader survived: no restart
        foreach (var server in new[] { "bad", "good" })
        {
            var echo = await gateway.RpcAsync("tools/call", new JsonObject
            {
                ["name"] = $"{server}__echo", ["arguments"] = new JsonObject { ["message"] = "still here" },
            });
            Assert.Equal("still here", (string)echo["result"]!["content"]![0]!["text"]!);
        }
    }

    public static TheoryData<string, string> Shapes => new()
    {
        { "log params null", """{"jsonrpc":"2.0","method":"notifications/message","params":null}""" },
        { "log params array", """{"jsonrpc":"2.0","method":"notifications/message","params":[{"level":"info"}]}""" },
        { "log params string", """{"jsonrpc":"2.0","method":"notifications/message","params":"x"}""" },
        { "log params number", """{"jsonrpc":"2.0","method":"notifications/message","params":42}""" },
        { "progress params array", """{"jsonrpc":"2.0","method":"notifications/progress","params":[1,2]}""" },
        { "updated params null", """{"jsonrpc":"2.0","method":"notifications/resources/updated","params":null}""" },
        { "cancelled params string", """{"jsonrpc":"2.0","method":"notifications/cancelled","params":"all"}""" },
        { "unknown method", """{"jsonrpc":"2.0","method":"x/y","params":{}}""" },
        { "id object", """{"jsonrpc":"2.0","id":{"a":1},"result":{}}""" },
        { "id null error", """{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}""" },
        { "response to nothing", """{"jsonrpc":"2.0","id":999999,"result":{}}""" },
        { "request with array params", """{"jsonrpc":"2.0","id":"r1","method":"roots/list","params":[]}""" },
        { "absurd nesting", new string('[', 100_000) + new string(']', 100_000) },
        { "not json", "}{ definitely not json" },
        { "top-level array", """[{"jsonrpc":"2.0","method":"notifications/message","params":{}}]""" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ChildMessage_OfAnyShape_IsDroppedOrAnswered_NeverFatal(string shape, string line)
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("bad", "--hostile"), TestServers.Entry("good")));
        await using var sse = await RawSseSession.OpenAsync(gateway);
        var pid = gateway.Status("bad").Pid!.Value;

        var emitted = await gateway.RpcAsync("tools/call", Emit(line));
        Assert.Equal("emitted", (string)emitted["result"]!["content"]![0]!["text"]!);

        await AssertStillServingAsync(gateway, pid);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains("Critical") || l.Contains("Unhandled"));
        Assert.False(string.IsNullOrEmpty(shape));
    }

    [Theory]
    [InlineData("method")]
    [InlineData("progressToken")]
    [InlineData("log data")]
    public async Task ChildMessage_WithInvalidUtf8_IsDropped_NeverFatal(string where)
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("bad", "--hostile"), TestServers.Entry("good")));
        var pid = gateway.Status("bad").Pid!.Value;
        var line = where switch
        {
            "method" => """{"jsonrpc":"2.0","method":"notifications/X","params":{}}""",
            "progressToken" => """{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"X","progress":1}}""",
            _ => """{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"X"}}""",
        };
        var bytes = Encoding.UTF8.GetBytes(line).ToList();
        var at = bytes.IndexOf((byte)'X');
        bytes.RemoveAt(at);
        bytes.InsertRange(at, new byte[] { 0xC3, 0x28, 0xFF, 0xFE }); // an invalid sequence and two bytes UTF-8 never uses

        await gateway.RpcAsync("tools/call", EmitBytes(bytes.ToArray()));

        await AssertStillServingAsync(gateway, pid);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("[bad] wrote a line on stdout that is not usable JSON-RPC") && l.Contains("UTF-8"));
    }

    [Fact]
    public async Task ChildStderr_HugeLineWithoutNewline_IsCutAndBoundedInTheTail()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(
            TestServers.Entry("bad", "--hostile"), TestServers.Entry("good")));
        var pid = gateway.Status("bad").Pid!.Value;

        // 8 MiB on one line (the out-of-process memory test sends 48 MiB), then a newline so the line ends.
        await gateway.RpcAsync("tools/call", new JsonObject
        {
            ["name"] = "bad__flood",
            ["arguments"] = new JsonObject { ["kind"] = "stderr", ["bytes"] = 8 * 1024 * 1024, ["newline"] = true },
        });
        await gateway.WaitUntilAsync(() => gateway.Servers.TryGet("bad", out var e) &&
            e.Supervisor!.StderrTail.Any(l => l.Contains("more bytes cut")), "the cut stderr line in the tail");

        var tail = gateway.Servers.TryGet("bad", out var entry) ? entry.Supervisor!.StderrTail : [];
        Assert.All(tail, l => Assert.True(l.Length <= StderrDrain.MaxLineBytes + 64, $"a tail line of {l.Length} chars"));
        Assert.Contains(tail, l => l.Contains($"[{8 * 1024 * 1024 - StderrDrain.MaxLineBytes} more bytes cut]"));
        await AssertStillServingAsync(gateway, pid);
    }

    [Fact]
    public async Task EscapedGrandchild_HoldingThePipes_DoesNotStallRemoval_AndIsKilled()
    {
        var config = TestServers.Config(TestServers.Entry("bad", "--hostile"), TestServers.Entry("good"));
        await using var gateway = await GatewayFixture.StartAsync(config);
        var escaped = await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "bad__escape" });
        var grandchild = int.Parse((string)escaped["result"]!["content"]![0]!["text"]!);
        Assert.True(ProcessProbe.IsAlive(grandchild));

        var started = DateTime.UtcNow;
        var outcome = await gateway.WriteConfigAsync(TestServers.Config(TestServers.Entry("good")));
        Assert.True(outcome.Applied);
        // The reload does not wait for the stop: the tools are gone as soon as it applied.
        var listed = await gateway.RpcAsync("tools/list");
        Assert.DoesNotContain(listed["result"]!["tools"]!.AsArray(), t => ((string)t!["name"]!).StartsWith("bad__"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), $"removal took {DateTime.UtcNow - started}");
        Assert.True(await ProcessProbe.AllGoneAsync([grandchild], TimeSpan.FromSeconds(10)), "the escaped grandchild outlived its server");

        // A later reload is not held up either.
        var again = await gateway.WriteConfigAsync(TestServers.Config(TestServers.Entry("good"), TestServers.Entry("more")));
        Assert.True(again.Applied);
        Assert.Equal(ServerState.Ready, gateway.Status("more").State);
    }
}
