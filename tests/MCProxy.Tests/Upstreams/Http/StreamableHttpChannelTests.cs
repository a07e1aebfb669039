using MCProxy.Configuration;
using MCProxy.Protocol;
using MCProxy.Upstreams;
using MCProxy.Upstreams.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Upstreams.Http;

/// <summary><see cref="StreamableHttpChannel"/> against a scripted server on a real Kestrel (loopback, port 0).</summary>
public sealed class StreamableHttpChannelTests : IAsyncLifetime
{
    /// <summary>A bound on each wait, so a broken channel fails the test instead of hanging it; never a sleep.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly byte[] InitializeParams =
        """{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"unit","version":"1"}}"""u8.ToArray();
    private static readonly byte[] CallParams = """{"name":"echo","arguments":{"message":"once"}}"""u8.ToArray();
    private ScriptedMcpServer _server = null!;
    private UpstreamHttpClient _client = null!;
    private StreamableHttpChannel _channel = null!;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notifications = new();
    private readonly TaskCompletionSource<JsonRpcMessage> _serverRequest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task InitializeAsync()
    {
        _server = await ScriptedMcpServer.StartAsync();
        var remote = new RemoteServer(_server.Url, RemoteTransport.Http, new Dictionary<string, string>(), null, null, false);
        _client = new UpstreamHttpClient(remote, TimeProvider.System);
        _channel = new StreamableHttpChannel("remote", _client, TimeProvider.System, NullLogger.Instance,
            onNotification: n => _notifications.Enqueue(n.Method!),
            onRequest: request =>
            {
                _serverRequest.TrySetResult(request);
                return Task.FromResult(JsonRpcWriter.Response(request.Id.Span, """{"model":"edge","role":"assistant","content":{"type":"text","text":"sampled"}}"""u8));
            },
            maxMessageBytes: 1 << 20);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>initialize, then notifications/initialized, as the handshake does; returns when the server has both.</summary>
    private async Task ConnectAsync()
    {
        var answer = await _channel.RequestAsync("initialize", InitializeParams, Bound, CancellationToken.None);
        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        _channel.Notify("notifications/initialized", default);
        await _server.Initialized.WaitAsync(Bound);
    }

    private Task<JsonRpcMessage> CallAsync() => _channel.RequestAsync("tools/call", CallParams, Bound, CancellationToken.None);

    private IEnumerable<ScriptedPost> PostsOf(string method) => _server.Posts.Where(p => p.Method == method);

    [Fact]
    public async Task RequestAsync_Answered_ResponseAndSessionHeaderOnLaterPosts()
    {
        await ConnectAsync();

        var answer = await CallAsync();

        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        Assert.Equal(1, _server.Executions("tools/call"));
        Assert.Null(Assert.Single(PostsOf("initialize")).Session);
        Assert.Equal("s1", Assert.Single(PostsOf("notifications/initialized")).Session);
        Assert.Equal("s1", Assert.Single(PostsOf("tools/call")).Session);
        Assert.Equal(0, _channel.Reinitializations);
    }

    [Fact]
    public async Task RequestAsync_SessionAnswered404Once_ReinitializesAndTheRequestRunsOnce()
    {
        var lost = 0;
        _server.Script = (context, post) =>
        {
            if (post is { Method: "tools/call", Session: "s1" } && Interlocked.Exchange(ref lost, 1) == 0)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // the server forgot s1: it never ran this
                return Task.FromResult(true);
            }
            return Task.FromResult(false);
        };
        await ConnectAsync();

        var answer = await CallAsync();

        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        Assert.Equal(1, _server.Executions("tools/call"));
        Assert.Equal(1, _channel.Reinitializations);
        Assert.Equal(
        [
            new ScriptedPost("initialize", "1", null),
            new ScriptedPost("notifications/initialized", null, "s1"),
            new ScriptedPost("tools/call", "2", "s1"),
            new ScriptedPost("initialize", "1", null), // a new session, without the lost one's header
            new ScriptedPost("notifications/initialized", null, "s2"),
            new ScriptedPost("tools/call", "2", "s2"),
        ], _server.Posts);
    }

    [Fact]
    public async Task RequestAsync_NewSessionLostAtOnceToo_FailsWithoutAThirdTry()
    {
        _server.Script = (context, post) =>
        {
            if (post.Method == "tools/call")
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.FromResult(true);
            }
            return Task.FromResult(false);
        };
        await ConnectAsync();

        var ex = await Assert.ThrowsAsync<UpstreamHttpException>(CallAsync);

        Assert.Equal(404, ex.Status);
        Assert.Contains("not sent again", ex.Message);
        Assert.Equal(["s1", "s2"], PostsOf("tools/call").Select(p => p.Session));
        Assert.Equal(0, _server.Executions("tools/call"));
    }

    [Theory]
    [InlineData("before the headers")]
    [InlineData("in a JSON answer")]
    [InlineData("in an SSE answer")]
    public async Task RequestAsync_ConnectionClosedMidAnswer_MayOrMayNotHaveRunAndNotSentAgain(string where)
    {
        _server.Script = async (context, post) =>
        {
            if (post.Method != "tools/call")
            {
                return false;
            }
            if (where == "in a JSON answer")
            {
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 200;
                await context.Response.WriteAsync("""{"jsonrpc":"2.0","id":""");
                await context.Response.Body.FlushAsync();
            }
            else if (where == "in an SSE answer")
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: {\"jsonrpc\":\"2.0\",");
                await context.Response.Body.FlushAsync();
            }
            context.Abort();
            return true;
        };
        await ConnectAsync();

        var ex = await Assert.ThrowsAsync<UpstreamUnavailableException>(CallAsync);

        Assert.Contains("may or may not have run", ex.Message);
        Assert.Contains("tools/call", ex.Message);
        await _channel.Closed.WaitAsync(Bound); // a broken connection closes the channel: supervision reconnects
        Assert.Single(PostsOf("tools/call"));
        Assert.Throws<UpstreamUnavailableException>(() => _channel.Notify("notifications/cancelled", default));
    }

    [Fact]
    public async Task RequestAsync_BadRequestNotAboutTheSession_FailsWithStatusAndTextAndNotRetried()
    {
        _server.Script = async (context, post) =>
        {
            if (post.Method != "tools/call")
            {
                return false;
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("unknown tool: echo");
            return true;
        };
        await ConnectAsync();

        var ex = await Assert.ThrowsAsync<UpstreamHttpException>(CallAsync);

        Assert.Equal(400, ex.Status);
        Assert.Contains("HTTP 400", ex.Message);
        Assert.Contains("unknown tool: echo", ex.Message);
        Assert.Single(PostsOf("tools/call"));
        Assert.Equal(0, _channel.Reinitializations);
        Assert.False(_channel.Closed.IsCompleted); // an HTTP status fails only its request
    }
    [Fact]
    public async Task RequestAsync_BadRequestNamingTheSession_ReinitializesAndTheRequestRunsOnce()
    {
        // server-everything answers a session it does not know with a 400 that says so.
        _server.Script = async (context, post) =>
        {
            if (post is not { Method: "tools/call", Session: "s1" })
            {
                return false;
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("""{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}""");
            return true;
        };
        await ConnectAsync();

        var answer = await CallAsync();

        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        Assert.Equal(1, _server.Executions("tools/call"));
        Assert.Equal(1, _channel.Reinitializations);
        Assert.Equal(["s1", "s2"], PostsOf("tools/call").Select(p => p.Session));
    }
    [Fact]
    public async Task RequestAsync_NewSessionRefusedOnce_TheNextRequestTriesAgainOnTheLostSession()
    {
        var initializes = 0;
        _server.Script = (context, post) =>
        {
            if (post is { Method: "tools/call", Session: "s1" })
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound; // s1 stays lost
                return Task.FromResult(true);
            }
            if (post.Method == "initialize" && Interlocked.Increment(ref initializes) == 2)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable; // the first new session is refused
                return Task.FromResult(true);
            }
            return Task.FromResult(false);
        };
        await ConnectAsync();

        var refused = await Assert.ThrowsAsync<UpstreamHttpException>(CallAsync);
        Assert.Equal(503, refused.Status);
        Assert.False(_channel.Closed.IsCompleted);

        // The channel still knows it lost s1, so this request finds out again and starts a session (not a request
        // without any session, which no server would take).
        var answer = await CallAsync();

        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        Assert.Equal(1, _server.Executions("tools/call"));
        Assert.Equal(["s1", "s1", "s2"], PostsOf("tools/call").Select(p => p.Session));
    }
    [Fact]
    public async Task RequestAsync_StartedWhileANewSessionIsOpening_WaitsForItAndRunsOnce()
    {
        var reinitializing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var initializes = 0;
        _server.Script = async (context, post) =>
        {
            if (post is { Method: "tools/call", Id: "3" })
            {
                secondArrived.TrySetResult();
            }
            if (post is { Method: "tools/call", Session: "s1" })
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return true;
            }
            if (post.Method == "initialize" && Interlocked.Increment(ref initializes) == 2)
            {
                reinitializing.TrySetResult();
                await secondArrived.Task.WaitAsync(Bound); // the new session is not known until the second call is out
            }
            return false;
        };
        await ConnectAsync();

        var first = CallAsync();
        await reinitializing.Task.WaitAsync(Bound);
        var second = CallAsync();
        var answers = await Task.WhenAll(first, second);

        Assert.All(answers, a => Assert.Equal(JsonRpcKind.Response, a.Kind));
        Assert.Equal(2, _server.Executions("tools/call"));
        Assert.Equal(1, _channel.Reinitializations);
        Assert.Equal(2, PostsOf("initialize").Count());
        Assert.Equal(["s1", "s1", "s2", "s2"], PostsOf("tools/call").Select(p => p.Session).Order());
    }
    [Fact]
    public async Task RequestAsync_SseAnswer_NotificationsAndServerRequestsBeforeTheResponseAreDispatched()
    {
        var answered = new TaskCompletionSource<ScriptedPost>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Script = async (context, post) =>
        {
            if (post.Method == ScriptedMcpServer.Answer)
            {
                answered.TrySetResult(post);
                return false;
            }
            if (post.Method != "tools/call")
            {
                return false;
            }
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(
                "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":\"p1\",\"progress\":1}}\n\n" +
                ": keepalive\n\n" +
                "data: {\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"sampling/createMessage\",\"params\":{}}\n\n");
            await context.Response.Body.FlushAsync();
            await _serverRequest.Task.WaitAsync(Bound); // the channel saw the server's request before the answer came
            await context.Response.WriteAsync($"data: {{\"jsonrpc\":\"2.0\",\"id\":{post.Id},\"result\":{{\"content\":[]}}}}\n\n");
            return true;
        };
        await ConnectAsync();

        var answer = await CallAsync();

        Assert.Equal(JsonRpcKind.Response, answer.Kind);
        Assert.Contains("notifications/progress", _notifications);
        var request = await _serverRequest.Task.WaitAsync(Bound);
        Assert.Equal("sampling/createMessage", request.Method);
        var posted = await answered.Task.WaitAsync(Bound); // the gateway's answer went back to the server, on the session
        Assert.Equal(("\"srv-1\"", "s1"), (posted.Id, posted.Session));
    }
}
