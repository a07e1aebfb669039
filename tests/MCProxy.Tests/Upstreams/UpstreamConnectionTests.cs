using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MCProxy.Protocol;
using MCProxy.Tests.Infrastructure;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging.Abstractions;

namespace MCProxy.Tests.Upstreams;

/// <summary>
/// <see cref="UpstreamConnection"/> over two real pipes; the test plays the child: it reads the gateway's lines from
/// the child's stdin and writes its own lines to the child's stdout.
/// </summary>
public sealed class UpstreamConnectionTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10); // a deadline that never fires on the fake clock

    private readonly TestPipe _stdin = TestPipe.Create(nonBlockingWrite: true);
    private readonly TestPipe _stdout = TestPipe.Create(nonBlockingWrite: false);
    private readonly StreamReader _childIn;
    private readonly Stream _childOut;
    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentQueue<string?> _notifications = new();
    private UpstreamConnection? _connection;

    public UpstreamConnectionTests()
    {
        _childIn = new StreamReader(_stdin.OpenReader(), new UTF8Encoding(false));
        _childOut = _stdout.OpenWriter();
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _childOut.Dispose();
        _childIn.Dispose();
        _stdin.Dispose();
        _stdout.Dispose();
    }

    private UpstreamConnection Connect(Func<JsonRpcMessage, Task<byte[]>>? onRequest = null, int maxMessageBytes = UpstreamConnection.DefaultMaxMessageBytes)
    {
        _connection = new UpstreamConnection("child", _stdin.WriteEnd, _stdout.OpenReader(), _time, NullLogger.Instance,
            message =>
            {
                _notifications.Enqueue(message.Method);
                if (message.Method == "boom")
                {
                    throw new InvalidOperationException("a handler failed");
                }
            },
            onRequest ?? (request => Task.FromResult(JsonRpcWriter.Response(request.Id.Span, "{}"u8))), maxMessageBytes);
        _connection.Start();
        return _connection;
    }

    private void ChildWrites(string line) => ChildWrites(Encoding.UTF8.GetBytes(line));

    private void ChildWrites(byte[] line)
    {
        _childOut.Write(line);
        _childOut.Write("\n"u8);
    }

    private async Task<JsonElement> ChildReadsAsync()
    {
        var line = await _childIn.ReadLineAsync().WaitAsync(Bound);
        Assert.NotNull(line);
        return JsonDocument.Parse(line).RootElement;
    }

    private static string Answer(string rawId, string member, string rawValue) =>
        "{\"jsonrpc\":\"2.0\",\"id\":" + rawId + ",\"" + member + "\":" + rawValue + "}";

    private static string Id(JsonElement request) => request.GetProperty("id").GetRawText();

    /// <summary>Reads the next request the gateway sent and answers it with <c>{"echo":&lt;method&gt;}</c>.</summary>
    private async Task ChildAnswersNextAsync()
    {
        var request = await ChildReadsAsync();
        ChildWrites(Answer(Id(request), "result", "{\"echo\":\"" + request.GetProperty("method").GetString() + "\"}"));
    }

    private static string Result(JsonRpcMessage message) => Encoding.UTF8.GetString(message.Result.Span);

    [Fact]
    public async Task RequestAsync_ChildAnswers_ReturnsItsResult()
    {
        var connection = Connect();
        var call = connection.RequestAsync("tools/list", """{"cursor":"c"}"""u8.ToArray(), Long, CancellationToken.None);
        var request = await ChildReadsAsync();
        Assert.Equal("2.0", request.GetProperty("jsonrpc").GetString());
        Assert.Equal("tools/list", request.GetProperty("method").GetString());
        Assert.Equal("c", request.GetProperty("params").GetProperty("cursor").GetString());
        ChildWrites(Answer(Id(request), "result", """{"tools":[]}"""));
        var response = await call.WaitAsync(Bound);
        Assert.Equal(JsonRpcKind.Response, response.Kind);
        Assert.Equal("""{"tools":[]}""", Result(response));
        Assert.Equal(0, connection.PendingCount);
    }

    [Fact]
    public async Task RequestAsync_AnswersOutOfOrder_EachGoesToItsCaller()
    {
        var connection = Connect();
        var first = connection.RequestAsync("first", default, Long, CancellationToken.None);
        var second = connection.RequestAsync("second", default, Long, CancellationToken.None);
        var r1 = await ChildReadsAsync();
        var r2 = await ChildReadsAsync();
        ChildWrites(Answer(Id(r2), "result", """{"n":2}"""));
        ChildWrites(Answer($"\"{r1.GetProperty("id").GetInt64()}\"", "error", """{"code":-1,"message":"no"}""")); // id echoed as a string
        Assert.Equal("""{"n":2}""", Result(await second.WaitAsync(Bound)));
        var error = await first.WaitAsync(Bound);
        Assert.Equal(JsonRpcKind.Error, error.Kind);
        Assert.Contains("\"no\"", Encoding.UTF8.GetString(error.Error.Span));
    }

    [Fact]
    public async Task ReadLoop_ResponseToUnknownId_IsIgnored()
    {
        var connection = Connect();
        ChildWrites("""{"jsonrpc":"2.0","id":999,"result":{"stray":true}}""");
        ChildWrites("""{"jsonrpc":"2.0","id":"not-ours","result":{}}""");
        var call = connection.RequestAsync("ping", default, Long, CancellationToken.None);
        await ChildAnswersNextAsync();
        Assert.Equal("""{"echo":"ping"}""", Result(await call.WaitAsync(Bound)));
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task ReadLoop_HostileLines_DoNotKillTheReader()
    {
        var connection = Connect();
        ChildWrites("this is not json");
        ChildWrites("{\"jsonrpc\":\"2.0\",\"method\":");
        ChildWrites("""{"jsonrpc":"2.0","method":"n/null","params":null}""");
        ChildWrites("""{"jsonrpc":"2.0","method":"n/array","params":[1,{"a":2}]}""");
        ChildWrites("""{"jsonrpc":"2.0","method":"n/string","params":"text"}""");
        ChildWrites("""{"jsonrpc":"2.0","method":"boom","params":{}}""");
        ChildWrites([.. """{"jsonrpc":"2.0","method":"bad"""u8, 0xff, 0xfe, .. "\"}"u8]);
        ChildWrites(new string('[', 100_000) + new string(']', 100_000));
        ChildWrites("   \r");
        var call = connection.RequestAsync("after", default, Long, CancellationToken.None);
        await ChildAnswersNextAsync();

        Assert.Equal("""{"echo":"after"}""", Result(await call.WaitAsync(Bound)));
        Assert.False(connection.Closed.IsCompleted);
        Assert.Equal(["n/null", "n/array", "n/string", "boom"], _notifications);
    }

    [Fact]
    public async Task ReadLoop_InvalidUtf8AnswerToPendingRequest_FailsItAtOnce()
    {
        var connection = Connect();
        var call = connection.RequestAsync("tools/call", default, Long, CancellationToken.None);
        var request = await ChildReadsAsync();
        ChildWrites([.. Encoding.UTF8.GetBytes(Answer(Id(request), "result", "{\"text\":\"\u0001\"}")).Select(b => b == 1 ? (byte)0xff : b)]);

        var answer = await call.WaitAsync(Bound); // the fake clock never reaches the deadline: only the prompt path ends this
        Assert.Equal(JsonRpcKind.Error, answer.Kind);
        Assert.Contains("unusable answer", Encoding.UTF8.GetString(answer.Error.Span));
        Assert.Equal(0, connection.PendingCount);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task ReadLoop_LineLongerThanReadBuffer_ClosesWithSizeInReason()
    {
        var connection = Connect(maxMessageBytes: 1024);
        var pending = connection.RequestAsync("x", default, Long, CancellationToken.None);
        _ = Task.Run(() => ChildWrites(new string('x', 200_000))); // may block once the connection stops reading
        var reason = await connection.Closed.WaitAsync(Bound);
        Assert.Contains("1024", reason);
        var failure = await Assert.ThrowsAsync<UpstreamUnavailableException>(() => pending.WaitAsync(Bound));
        Assert.Contains("1024", failure.Message);
    }

    [Theory]
    [InlineData(3_000, true)]      // inside the 64 KiB read buffer, still over a small cap
    [InlineData(1_024, false)]     // exactly at the cap: accepted
    public async Task ReadLoop_LineOverASmallCap_ClosesEvenWithinOneRead(int length, bool closes)
    {
        var connection = Connect(maxMessageBytes: 1024);
        var padding = length - "{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"p\":\"\"}}".Length;
        ChildWrites("{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":{\"p\":\"" + new string('x', padding) + "\"}}");
        if (closes)
        {
            Assert.Contains("1024", await connection.Closed.WaitAsync(Bound));
            return;
        }
        var answered = connection.RequestAsync("ping", default, Long, CancellationToken.None);
        await ChildAnswersNextAsync();
        await answered.WaitAsync(Bound);
        Assert.False(connection.Closed.IsCompleted);
    }

    [Fact]
    public async Task ReadLoop_StdoutClosed_CompletesClosedAndFailsPending()
    {
        var connection = Connect();
        var pending = connection.RequestAsync("x", default, Long, CancellationToken.None);
        await ChildReadsAsync();
        _childOut.Dispose();
        Assert.Equal("stdout closed", await connection.Closed.WaitAsync(Bound));
        await Assert.ThrowsAsync<UpstreamUnavailableException>(() => pending.WaitAsync(Bound));
        Assert.Throws<UpstreamUnavailableException>(() => connection.Notify("notifications/initialized", default));
    }

    [Fact]
    public async Task RequestAsync_NoAnswer_TimesOutAndCancelsUpstream()
    {
        var connection = Connect();
        var call = connection.RequestAsync("tools/call", default, TimeSpan.FromSeconds(5), CancellationToken.None);
        var request = await ChildReadsAsync();
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(call.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(0.1));

        var timeout = await Assert.ThrowsAsync<UpstreamTimeoutException>(() => call.WaitAsync(Bound));
        Assert.Contains("'child'", timeout.Message);
        var cancel = await ChildReadsAsync();
        Assert.Equal("notifications/cancelled", cancel.GetProperty("method").GetString());
        Assert.Equal(request.GetProperty("id").GetInt64(), cancel.GetProperty("params").GetProperty("requestId").GetInt64());
        Assert.False(cancel.TryGetProperty("id", out _));
        Assert.Equal(0, connection.PendingCount);
    }

    [Fact]
    public async Task RequestAsync_CallerCancels_ThrowsAndCancelsUpstream()
    {
        var connection = Connect();
        using var cts = new CancellationTokenSource();
        var call = connection.RequestAsync("slow", default, Long, cts.Token);
        var request = await ChildReadsAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Bound));
        var cancel = await ChildReadsAsync();
        Assert.Equal("notifications/cancelled", cancel.GetProperty("method").GetString());
        Assert.Equal(request.GetProperty("id").GetInt64(), cancel.GetProperty("params").GetProperty("requestId").GetInt64());
    }

    [Fact]
    public async Task ReadLoop_RequestFromChild_IsAnsweredThroughOnRequest()
    {
        var asked = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Connect(request =>
        {
            asked.TrySetResult(request.Method);
            return Task.FromResult(JsonRpcWriter.Response(request.Id.Span, """{"roots":[{"uri":"file:///w"}]}"""u8));
        });
        ChildWrites("""{"jsonrpc":"2.0","id":"s-1","method":"roots/list","params":{}}""");

        Assert.Equal("roots/list", await asked.Task.WaitAsync(Bound));
        var answer = await ChildReadsAsync();
        Assert.Equal("s-1", answer.GetProperty("id").GetString());
        Assert.Equal("file:///w", answer.GetProperty("result").GetProperty("roots")[0].GetProperty("uri").GetString());
    }

    [Fact]
    public async Task ReadLoop_OnRequestThrows_ChildGetsAnErrorAnswer()
    {
        Connect(_ => throw new InvalidOperationException("relay broke"));
        ChildWrites("""{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage","params":{}}""");

        var answer = await ChildReadsAsync();
        Assert.Equal(7, answer.GetProperty("id").GetInt32());
        Assert.Equal("relay broke", answer.GetProperty("error").GetProperty("message").GetString());
    }
}
