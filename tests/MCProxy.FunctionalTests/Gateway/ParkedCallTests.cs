using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.FunctionalTests.Upstreams;
using MCProxy.Gateway;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>
/// A 2025 child asks a question (sampling, elicitation) during a 2026-07-28 client's call: the call is parked and the
/// client gets an input-required result; its retry answers the child, which then finishes.
/// </summary>
public sealed class ParkedCallTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(
        TestServers.Entry("classic"), TestServers.Entry("brief", 2, "--meta")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    [Fact]
    public async Task A2026Client_AnswersA2025ChildsElicitationAndSampling_ThroughInputRequired()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(_gateway.BaseUrl + "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions
        {
            ProtocolVersion = null,
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = (request, _) => ValueTask.FromResult(new ElicitResult
                {
                    Action = "accept",
                    Content = new Dictionary<string, System.Text.Json.JsonElement> { ["name"] = System.Text.Json.JsonSerializer.SerializeToElement("Ada") },
                }),
                SamplingHandler = (request, _, _) => ValueTask.FromResult(new CreateMessageResult
                {
                    Model = "m", Role = Role.Assistant, Content = [new TextContentBlock { Text = "hi from the model" }],
                }),
            },
        });
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);
        var elicited = JsonNode.Parse(Text(await client.CallToolAsync("classic__ask", new Dictionary<string, object?> { ["what"] = "elicitation" })))!;
        Assert.Equal("accept", (string?)elicited["result"]?["action"]);
        Assert.Equal("Ada", (string?)elicited["result"]?["content"]?["name"]);
        var sampled = JsonNode.Parse(Text(await client.CallToolAsync("classic__ask", new Dictionary<string, object?> { ["what"] = "sampling" })))!;
        Assert.Equal("hi from the model", (string?)sampled["result"]?["content"]?["text"]);
        Assert.Equal(0, _gateway.Services.GetRequiredService<ParkedCalls>().Count);
    }

    [Fact]
    public async Task A2026Client_WithoutTheCapability_LetsTheChildKnow()
    {
        var answer = await Revision2026ChildTests.CallRawAsync(_gateway, "classic__ask", """ "arguments":{"what":"sampling"} """);
        // Revision2026ChildTests' raw calls declare elicitation only.
        Assert.Contains("does not support sampling/createMessage", (string?)answer["result"]?["content"]?[0]?["text"]);
    }

    [Fact]
    public async Task AParkedCall_NotContinued_IsCancelledAfterTheServersTimeout_AndItsStateNoLongerWorks()
    {
        var asked = await Revision2026ChildTests.CallRawAsync(_gateway, "brief__ask", """ "arguments":{"what":"elicitation"} """);
        Assert.Equal("input_required", (string?)asked["result"]?["resultType"]);
        Assert.Equal("elicitation/create", (string?)asked["result"]?["inputRequests"]?["input"]?["method"]);
        Assert.Equal("Your name?", (string?)asked["result"]?["inputRequests"]?["input"]?["params"]?["message"]);
        var parked = _gateway.Services.GetRequiredService<ParkedCalls>();
        await _gateway.WaitUntilAsync(() => parked.Count == 0, "the parked call expired", 10);
        var handle = (string)asked["result"]!["requestState"]!;
        var late = await Revision2026ChildTests.CallRawAsync(_gateway, "brief__ask",
            """ "arguments":{"what":"elicitation"},"inputResponses":{"input":{"action":"decline"}},"requestState":" """.TrimEnd() + handle + "\"");
        Assert.Equal(-32602, (int?)late["error"]?["code"]);
        Assert.Contains("not waiting here", (string?)late["error"]?["message"]);
        Assert.Contains(_gateway.Logs.Lines, l => l.Contains("was not continued within the server's timeout"));
    }
}
