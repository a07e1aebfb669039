using System.Collections.Concurrent;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Upstreams.Http;

/// <summary>
/// What both remote transports share: the gateway's own request ids and their correlation, dispatch of what the
/// upstream sends (responses, notifications, its own requests, answered through <c>onRequest</c> and posted back),
/// deadlines and cancellation, and the rule for failures.
/// NOTE 1: a transport failure (connection refused or reset, TLS, an oversized event) or a refused credential
/// closes the channel, so supervision reconnects with its 1/2/4 s backoff; an HTTP error status fails only the
/// request it answered.
/// NOTE 2: a request that may have reached the upstream is never sent again: the caller gets a clear error instead.
/// Only a request the upstream provably did not take (a 404 for its session) is retried once, by the transport.
/// </summary>
internal abstract partial class HttpChannel : IUpstreamChannel
{
    private readonly Action<JsonRpcMessage> _onNotification;
    private readonly Func<JsonRpcMessage, Task<byte[]>> _onRequest;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonRpcMessage>> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LogThrottle _badMessages;
    private long _nextId;
    private int _lastStatus;

    protected HttpChannel(string server, UpstreamHttpClient client, TimeProvider time, ILogger logger,
        Action<JsonRpcMessage> onNotification, Func<JsonRpcMessage, Task<byte[]>> onRequest, int maxMessageBytes)
    {
        Server = server;
        Client = client;
        Time = time;
        Logger = logger;
        _onNotification = onNotification;
        _onRequest = onRequest;
        MaxMessageBytes = maxMessageBytes;
        _badMessages = new LogThrottle(time, 10, TimeSpan.FromSeconds(10));
    }

    protected string Server { get; }

    protected UpstreamHttpClient Client { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    protected int MaxMessageBytes { get; }

    /// <summary>Cancelled when the channel closes: ends its streams and in-flight posts.</summary>
    protected CancellationTokenSource Lifetime { get; } = new();

    public Task<string> Closed => _closed.Task;

    /// <summary>The transport's name for /health: <c>streamable-http</c> or <c>sse</c>.</summary>
    public abstract string TransportName { get; }

    /// <summary>The last HTTP status the upstream answered (0 before any).</summary>
    public int LastHttpStatus => Volatile.Read(ref _lastStatus);

    protected void SawStatus(int status) => Volatile.Write(ref _lastStatus, status);

    /// <summary>Posts one message. For a request (<paramref name="id"/> set) the answer may come back on this
    /// response or, for legacy SSE, on the session's stream.</summary>
    protected abstract Task PostAsync(byte[] message, string method, long? id, CancellationToken ct);

    /// <summary>Transport-specific goodbye (DELETE the session); must not throw.</summary>
    protected virtual void OnClosing()
    {
    }

    public async Task<JsonRpcMessage> RequestAsync(string method, ReadOnlyMemory<byte> rawParams, TimeSpan timeout, CancellationToken ct)
    {
        ThrowIfClosed();
        var id = Interlocked.Increment(ref _nextId);
        // Completed inline by the reader of the answer (as on stdio): the relay's continuation only frames the bytes
        // and hands them to Kestrel, and skipping a thread-pool hop is a good part of the remote hop's cost.
        var tcs = new TaskCompletionSource<JsonRpcMessage>();
        _pending[id] = tcs;
        using var request = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.Token);
        try
        {
            _ = SendAsync(JsonRpcWriter.Request(id, method, rawParams.Span), method, id, request.Token);
            return await tcs.Task.WaitAsync(timeout, Time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!tcs.Task.IsCompleted)
        {
            CancelUpstream(id, "timeout");
            request.Cancel();
            throw new UpstreamTimeoutException(
                $"server '{Server}' did not answer {method} within {timeout.TotalSeconds:0.###} s (its \"timeout\")");
        }
        catch (OperationCanceledException) when (!tcs.Task.IsCompleted)
        {
            CancelUpstream(id, "cancelled by the client");
            request.Cancel();
            throw;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void Notify(string method, ReadOnlySpan<byte> rawParams)
    {
        ThrowIfClosed();
        _ = SendAsync(JsonRpcWriter.Notification(method, rawParams), method, null, Lifetime.Token);
    }

    public void Close(string reason)
    {
        if (_closed.Task.IsCompleted)
        {
            return;
        }
        OnClosing();
        Fail(reason);
    }

    public void Dispose() => Close("channel disposed");

    /// <summary>Whether a request still waits for its answer.</summary>
    protected bool IsPending(long id) => _pending.ContainsKey(id);

    /// <summary>Fails one waiting request (its answer cannot come any more).</summary>
    protected void FailRequest(long id, Exception error)
    {
        if (_pending.TryRemove(id, out var tcs))
        {
            tcs.TrySetException(error);
        }
    }

    /// <summary>Closes the channel for good (NOTE 1); every waiting request fails with the reason.</summary>
    protected void Fail(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }
        Lifetime.Cancel();
        foreach (var id in _pending.Keys)
        {
            FailRequest(id, new UpstreamUnavailableException($"server '{Server}' went away: {reason}"));
        }
    }

    /// <summary>Handles one message the upstream sent (on a POST's answer or a stream). Never throws.</summary>
    protected void Dispatch(ReadOnlySpan<byte> data)
    {
        try
        {
            var trimmed = data.Trim(" \t\r\n"u8);
            if (trimmed.IsEmpty)
            {
                return;
            }
            if (trimmed[0] == (byte)'[')
            {
                // A batch: every member on its own.
                var batch = System.Text.Json.JsonDocument.Parse(trimmed.ToArray());
                using (batch)
                {
                    foreach (var member in batch.RootElement.EnumerateArray())
                    {
                        Dispatch(JsonRpcMessage.Parse(System.Text.Encoding.UTF8.GetBytes(member.GetRawText())));
                    }
                }
                return;
            }
            Dispatch(JsonRpcMessage.Parse(trimmed.ToArray()));
        }
        catch (Exception ex)
        {
            // One unusable message is dropped and logged; the channel lives on.
            Warn(ex.GetType().Name + ": " + ex.Message);
        }
    }

    private void Dispatch(JsonRpcMessage message)
    {
        switch (message.Kind)
        {
            case JsonRpcKind.Response:
            case JsonRpcKind.Error:
                if (UpstreamConnection.TryParseId(message.Id.Span, out var id) && _pending.TryRemove(id, out var tcs))
                {
                    tcs.TrySetResult(message);
                }
                else
                {
                    LogUnmatchedResponse(Logger, Server, JsonRpcWriter.IdText(message.Id.Span));
                }
                break;
            case JsonRpcKind.Notification:
                _onNotification(message);
                break;
            case JsonRpcKind.Request:
                _ = AnswerAsync(message);
                break;
            default:
                Warn(message.Problem ?? "unknown");
                if (!message.Id.IsEmpty && UpstreamConnection.TryParseId(message.Id.Span, out var badId))
                {
                    FailRequest(badId, new UpstreamUnavailableException($"server '{Server}' sent an unusable answer: {message.Problem}"));
                }
                break;
        }
    }

    private async Task AnswerAsync(JsonRpcMessage request)
    {
        byte[] response;
        try
        {
            response = await _onRequest(request).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            response = JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.InternalError, ex.Message);
        }
        if (!_closed.Task.IsCompleted)
        {
            await SendAsync(response, "response", null, Lifetime.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Posts and maps every failure to the waiting request (if any) and, per NOTE 1, to the channel. Never throws.</summary>
    private async Task SendAsync(byte[] message, string method, long? id, CancellationToken ct)
    {
        try
        {
            await PostAsync(message, method, id, ct).ConfigureAwait(false);
        }
        catch (UpstreamHttpException ex)
        {
            SawStatus(ex.Status);
            Report(id, method, ex);
            if (ex.Status is 401 or 403)
            {
                Fail(ex.Message); // the credential is refused: reconnecting (and backing off) shows it in /health
            }
        }
        catch (UpstreamUnavailableException ex)
        {
            Report(id, method, ex);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Timed out, cancelled by the client, or the channel closed: the waiter already knows.
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or OperationCanceledException)
        {
            var reason = Client.Describe(ex);
            var reached = ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }
                ? reason
                : $"the connection broke while {method} was in flight, so it may or may not have run; it was not retried ({reason})";
            // The waiter hears this first: Fail answers every request still pending with a plain "went away".
            Report(id, method, new UpstreamUnavailableException($"server '{Server}': {reached}"));
            Fail(reason);
        }
        catch (Exception ex)
        {
            // Last resort: a bug here must not leave a caller waiting or take the gateway down.
            LogPostFailed(Logger, Server, ex);
            Report(id, method, new UpstreamUnavailableException($"server '{Server}': the gateway failed sending {method} ({ex.GetType().Name})"));
        }
    }

    private void Report(long? id, string method, UpstreamUnavailableException error)
    {
        if (id is { } requestId)
        {
            FailRequest(requestId, error);
        }
        else
        {
            LogNotificationFailed(Logger, Server, method, error.Message);
        }
    }

    private void CancelUpstream(long id, string reason)
    {
        if (_closed.Task.IsCompleted)
        {
            return;
        }
        Notify("notifications/cancelled", JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("requestId"u8, id);
            w.WriteString("reason"u8, reason);
            w.WriteEndObject();
        }));
    }

    private void ThrowIfClosed()
    {
        if (_closed.Task.IsCompleted)
        {
            throw new UpstreamUnavailableException($"server '{Server}' is not connected: {_closed.Task.Result}");
        }
    }

    private void Warn(string problem)
    {
        if (_badMessages.TryPass(out var suppressed))
        {
            LogNotJsonRpc(Logger, Server, problem, suppressed);
        }
    }


    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "[{Server}] sent a message that is not usable JSON-RPC ({Problem}); dropped ({Suppressed} more dropped unlogged before it)")]
    private static partial void LogNotJsonRpc(ILogger logger, string server, string problem, int suppressed);

    [LoggerMessage(EventId = 321, Level = LogLevel.Debug, Message = "[{Server}] answered request {Id} that nobody waits for any more")]
    private static partial void LogUnmatchedResponse(ILogger logger, string server, string id);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "[{Server}] could not deliver {Method}: {Reason}")]
    private static partial void LogNotificationFailed(ILogger logger, string server, string method, string reason);

    [LoggerMessage(EventId = 323, Level = LogLevel.Critical, Message = "[{Server}] sending to the server failed unexpectedly")]
    private static partial void LogPostFailed(ILogger logger, string server, Exception exception);
}
