using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.FunctionalTests.Upstreams;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// A multi-round-trip call started on one replica continues on another that shares MCPROXY_STATE_KEY (as replicas
/// behind a round-robin balancer do), and not on one that does not.
/// </summary>
public sealed class InputRequiredAcrossReplicasTests
{
    [Fact]
    public async Task TheRetry_ContinuesOnAnyReplicaWithTheSameKey_AndOnNoOther()
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        Evidence.Secret(key);
        var config = TestServers.Config(TestServers.Entry("modern", "--revision-2026"), TestServers.Entry("classic"));
        GatewayFixture first, second, stranger;
        Environment.SetEnvironmentVariable("MCPROXY_STATE_KEY", key);
        try
        {
            first = await GatewayFixture.StartAsync(config);
            second = await GatewayFixture.StartAsync(config);
            // Resolve the dispatcher (and its key) while the variable is set.
            await Revision2026ChildTests.CallRawAsync(first, "modern__echo", """ "arguments":{"message":"warm"} """);
            await Revision2026ChildTests.CallRawAsync(second, "modern__echo", """ "arguments":{"message":"warm"} """);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MCPROXY_STATE_KEY", null);
        }
        await using var a = first;
        await using var b = second;
        await using var c = stranger = await GatewayFixture.StartAsync(config);

        var asked = await Revision2026ChildTests.CallRawAsync(a, "modern__confirm", """ "arguments":{"question":"Q"} """);
        var handle = (string)asked["result"]!["requestState"]!;
        var retry = """ "arguments":{"question":"Q"},"inputResponses":{"answer":{"action":"accept","content":{"answer":"B"}}},"requestState":" """.TrimEnd() + handle + "\"";

        var continued = await Revision2026ChildTests.CallRawAsync(b, "modern__confirm", retry);
        Assert.Equal("answer: B (accept; state asked:Q)", (string?)continued["result"]?["content"]?[0]?["text"]);
        Assert.NotEqual(a.Status("modern").Pid, b.Status("modern").Pid); // another replica's own child finished it

        var refused = await Revision2026ChildTests.CallRawAsync(c, "modern__confirm", retry);
        Assert.Equal(-32602, (int?)refused["error"]?["code"]);
        // A 2025 child's question parks the call in the replica that runs it: only that replica can continue it.
        var parked = await Revision2026ChildTests.CallRawAsync(a, "classic__ask", """ "arguments":{"what":"elicitation"} """);
        var answer = """ "arguments":{"what":"elicitation"},"inputResponses":{"input":{"action":"accept","content":{"name":"Ada"}}},"requestState":" """
            .TrimEnd() + (string)parked["result"]!["requestState"]! + "\"";
        var elsewhere = await Revision2026ChildTests.CallRawAsync(b, "classic__ask", answer);
        Assert.Contains("runs on another replica", (string?)elsewhere["error"]?["message"]);
        var home = await Revision2026ChildTests.CallRawAsync(a, "classic__ask", answer);
        Assert.Contains("Ada", (string?)home["result"]?["content"]?[0]?["text"]);

        // The key stays with the gateway: the child's environment never has it.
        Assert.DoesNotContain(key, File.ReadAllText($"/proc/{b.Status("modern").Pid}/environ"));
    }
}
