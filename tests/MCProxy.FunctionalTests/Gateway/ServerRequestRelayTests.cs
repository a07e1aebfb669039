using System.Text.Json;
using MCProxy.FunctionalTests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Gateway;

/// <summary>A child's sampling, elicitation and roots requests reach the client that is calling it.</summary>
public sealed class ServerRequestRelayTests : IAsyncLifetime
{
    private GatewayFixture _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private static void WithHandlers(McpClientOptions options) => options.Handlers = new McpClientHandlers
    {
        SamplingHandler = (request, _, _) => ValueTask.FromResult(new CreateMessageResult
        {
            Content = [new TextContentBlock { Text = "hi from the client model" }],
            Model = "test-model",
            Role = Role.Assistant,
        }),
        ElicitationHandler = (request, _) => ValueTask.FromResult(new ElicitResult
        {
            Action = "accept",
            Content = new Dictionary<string, JsonElement> { ["name"] = JsonSerializer.SerializeToElement("Ada") },
        }),
        RootsHandler = (request, _) => ValueTask.FromResult(new ListRootsResult
        {
            Roots = [new Root { Uri = "file:///home/ada/project", Name = "project" }],
        }),
    };

    private static string Text(CallToolResult result) => ((TextContentBlock)result.Content[0]).Text;

    [Theory]
    [InlineData("streamable")]
    [InlineData("sse")]
    public async Task Sampling_ElicitationAndRoots_ReachTheCallingClient(string transport)
    {
        await using var client = transport == "sse" ? await _gateway.ConnectSseAsync(WithHandlers) : await _gateway.ConnectStreamableAsync(WithHandlers);
        var sampled = Text(await client.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "sampling" }));
        Assert.Contains("hi from the client model", sampled);
        Assert.Contains("test-model", sampled);
        var elicited = Text(await client.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "elicitation" }));
        Assert.Contains("\"action\":\"accept\"", elicited);
        Assert.Contains("Ada", elicited);
        var roots = Text(await client.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "roots" }));
        Assert.Contains("file:///home/ada/project", roots);
    }

    [Fact]
    public async Task ClientWithoutSampling_TheChildGetsAClearError()
    {
        await using var client = await _gateway.ConnectStreamableAsync();
        var answer = Text(await client.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "sampling" }));
        Assert.Contains("does not support sampling", answer);
    }

    [Fact]
    public async Task TwoClientsCallingAtOnce_SamplingIsRefusedNotMisdelivered()
    {
        var otherAsked = 0;
        await using var busy = await _gateway.ConnectStreamableAsync(o =>
        {
            WithHandlers(o);
            o.Handlers.SamplingHandler = (_, _, _) =>
            {
                Interlocked.Increment(ref otherAsked);
                return ValueTask.FromResult(new CreateMessageResult { Content = [new TextContentBlock { Text = "wrong user" }], Model = "m", Role = Role.Assistant });
            };
        });
        await using var asker = await _gateway.ConnectSseAsync(WithHandlers);
        var slow = busy.CallToolAsync("a__slow", new Dictionary<string, object?> { ["ms"] = 3000 });
        await _gateway.WaitUntilAsync(() => _gateway.Services.GetService(typeof(MCProxy.Gateway.SessionRegistry)) is MCProxy.Gateway.SessionRegistry s &&
                                            s.All.Sum(x => x.InFlight.Count) > 0, "the slow call is in flight");
        var answer = Text(await asker.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "sampling" }));
        Assert.True(answer.Contains("2 clients are calling server"), answer);
        Assert.Equal(0, otherAsked);
        await slow;
    }

    [Fact]
    public async Task ChildCancelsItsRequest_TheClientIsToldAndTheChildIsAnswered()
    {
        var handlerCancelled = new TaskCompletionSource();
        await using var client = await _gateway.ConnectStreamableAsync(o =>
        {
            WithHandlers(o);
            o.Handlers.SamplingHandler = async (_, _, ct) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    handlerCancelled.TrySetResult();
                    throw;
                }
                return new CreateMessageResult { Content = [new TextContentBlock { Text = "too late" }], Model = "m", Role = Role.Assistant };
            };
        });
        var answer = Text(await client.CallToolAsync("a__ask", new Dictionary<string, object?> { ["what"] = "cancelled-sampling" }));
        Assert.Contains("Request cancelled", answer);
        await handlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
