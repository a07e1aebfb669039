using System.Buffers.Text;
using System.Collections.Concurrent;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Upstreams;

/// <summary>
/// The JSON-RPC client side of one child over newline-delimited stdio. Requests get the gateway's own numeric ids
/// and are correlated here; results come back as raw JSON so the relay never re-serialises them.
/// NOTE 1: one dedicated thread reads stdout (a blocking pipe read, kept off the thread pool so twenty children
/// cannot starve request handling). Writes go straight to the non-blocking stdin pipe on the caller's thread.
/// NOTE 2: a hung child never blocks a caller: what its pipe cannot take is queued, and every request has a deadline.
/// NOTE 3: responses complete their waiter inline on the reader thread: the relay's continuation only frames and
/// hands the bytes to Kestrel (async), and skipping a thread-pool hop is most of the gateway's added latency.
/// NOTE 4: nothing a child writes can throw on the reader thread: every line is handled inside a last-resort catch
/// (logged, rate-limited, dropped), a line longer than the message cap drops the connection (the child restarts),
/// and the read buffer shrinks back to its initial size after a large message.
/// </summary>
internal sealed partial class UpstreamConnection : IUpstreamChannel
{
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;
    private const int InitialBufferBytes = 64 * 1024;
    private const long MaxQueuedBytes = 16 * 1024 * 1024;

    private readonly string _server;
    private readonly StdinWriter _stdin;
    private readonly Stream _stdout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<JsonRpcMessage> _onNotification;
    private readonly Func<JsonRpcMessage, Task<byte[]>> _onRequest;
    private readonly int _maxMessageBytes;
    private readonly LogThrottle _badMessages;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonRpcMessage>> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextId;

    /// <param name="onNotification">Notifications from the child (list_changed, progress, logging …). Called on the
    /// reader thread: keep it short.</param>
    /// <param name="onRequest">Answers a request the child sent to us (ping, roots/list …); returns the whole response.</param>
    public UpstreamConnection(string server, Microsoft.Win32.SafeHandles.SafeFileHandle stdin, Stream stdout, TimeProvider time, ILogger logger,
        Action<JsonRpcMessage> onNotification, Func<JsonRpcMessage, Task<byte[]>> onRequest, int maxMessageBytes = DefaultMaxMessageBytes)
    {
        _server = server;
        _stdin = new StdinWriter(stdin) { Broken = Fail };
        _stdout = stdout;
        _time = time;
        _logger = logger;
        _onNotification = onNotification;
        _onRequest = onRequest;
        _maxMessageBytes = maxMessageBytes;
        _badMessages = new LogThrottle(time, 10, TimeSpan.FromSeconds(10));
    }

    /// <summary>Completes, with the reason, when the connection can no longer be used.</summary>
    public Task<string> Closed => _closed.Task;

    public int PendingCount => _pending.Count;

    public void Start()
    {
        new Thread(ReadLoop) { IsBackground = true, Name = $"mcp-read {_server}" }.Start();
    }

    /// <summary>Sends a request and waits for its response (a Response or Error message).</summary>
    /// <exception cref="UpstreamUnavailableException">the child is gone or its pipe broke.</exception>
    /// <exception cref="UpstreamTimeoutException">no answer within <paramref name="timeout"/>; the child is sent notifications/cancelled.</exception>
    /// <exception cref="OperationCanceledException">the caller cancelled; the child is sent notifications/cancelled.</exception>
    public async Task<JsonRpcMessage> RequestAsync(string method, ReadOnlyMemory<byte> rawParams, TimeSpan timeout, CancellationToken ct)
    {
        var id = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonRpcMessage>(); // completed inline by the reader (NOTE 3)
        _pending[id] = tcs;
        try
        {
            Send(JsonRpcWriter.Request(id, method, rawParams.Span));
            return await tcs.Task.WaitAsync(timeout, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!tcs.Task.IsCompleted)
        {
            CancelUpstream(id, "timeout");
            throw new UpstreamTimeoutException(
                $"server '{_server}' did not answer {method} within {timeout.TotalSeconds:0.###} s (its \"timeout\")");
        }
        catch (OperationCanceledException) when (!tcs.Task.IsCompleted)
        {
            CancelUpstream(id, "cancelled by the client");
            throw;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public void Notify(string method, ReadOnlySpan<byte> rawParams) => Send(JsonRpcWriter.Notification(method, rawParams));

    /// <summary>Sends an already-built message (a response to a child's request).</summary>
    public void Send(byte[] message)
    {
        if (_closed.Task.IsCompleted)
        {
            throw new UpstreamUnavailableException($"server '{_server}' is not connected: {_closed.Task.Result}");
        }
        if (_stdin.QueuedBytes > MaxQueuedBytes)
        {
            throw new UpstreamUnavailableException($"server '{_server}' is not reading its stdin (more than 16 MiB queued)");
        }
        if (!_stdin.TryWrite(message))
        {
            throw new UpstreamUnavailableException($"server '{_server}' is not connected");
        }
    }

    /// <summary>Closes the child's stdin (the polite "please exit" of the stdio transport) and fails pending requests.</summary>
    public void Close(string reason)
    {
        _stdin.Complete();
        Fail(reason);
    }

    public void Dispose() => Close("connection disposed");

    private void CancelUpstream(long id, string reason)
    {
        try
        {
            Notify("notifications/cancelled", JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteNumber("requestId"u8, id);
                w.WriteString("reason"u8, reason);
                w.WriteEndObject();
            }));
        }
        catch (UpstreamUnavailableException)
        {
            // The child is gone: nothing left to cancel.
        }
    }

    private void Fail(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var tcs))
            {
                tcs.TrySetException(new UpstreamUnavailableException($"server '{_server}' went away: {reason}"));
            }
        }
    }

    private void ReadLoop()
    {
        var initial = Math.Min(InitialBufferBytes, _maxMessageBytes + 1);
        var buffer = new byte[initial];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    if (buffer.Length > _maxMessageBytes)
                    {
                        TooLarge();
                        return;
                    }
                    Array.Resize(ref buffer, (int)Math.Min(_maxMessageBytes + 1L, buffer.Length * 2L));
                }
                var n = _stdout.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                {
                    Fail("stdout closed");
                    return;
                }
                var scanFrom = filled;
                filled += n;
                var lineStart = 0;
                int newline;
                while ((newline = Array.IndexOf(buffer, (byte)'\n', scanFrom, filled - scanFrom)) >= 0)
                {
                    if (newline - lineStart > _maxMessageBytes)
                    {
                        TooLarge();
                        return;
                    }
                    HandleLine(buffer.AsSpan(lineStart, newline - lineStart));
                    lineStart = scanFrom = newline + 1;
                }
                if (filled - lineStart > _maxMessageBytes)
                {
                    TooLarge();
                    return; // an unfinished line already past the cap
                }
                if (lineStart > 0)
                {
                    Buffer.BlockCopy(buffer, lineStart, buffer, 0, filled - lineStart);
                    filled -= lineStart;
                }
                if (buffer.Length > initial && filled <= initial / 2)
                {
                    // Shrink back after a large message, so one big answer does not pin megabytes per child.
                    var small = new byte[initial];
                    Buffer.BlockCopy(buffer, 0, small, 0, filled);
                    buffer = small;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            Fail($"stdout broke ({ex.Message})");
        }
        catch (Exception ex)
        {
            // Last resort on the reader thread (NOTE 4): drop the connection, so supervision restarts the child;
            // the gateway and every other child carry on.
            LogReaderFailed(_logger, _server, ex);
            Fail($"the gateway failed reading the server's output ({ex.GetType().Name})");
        }
    }

    private void TooLarge()
    {
        LogTooLarge(_logger, _server, _maxMessageBytes);
        Fail($"a message from the server exceeded {_maxMessageBytes} bytes (--max-message)");
    }

    private void HandleLine(ReadOnlySpan<byte> line)
    {
        line = line.Trim(" \t\r"u8);
        if (line.IsEmpty)
        {
            return;
        }
        try
        {
            // NOTE 3: the read buffer is reused, so each message gets its own copy; slices of it travel with the message.
            Dispatch(JsonRpcMessage.Parse(line.ToArray()));
        }
        catch (Exception ex)
        {
            // A handler failed on one message (NOTE 4), out of memory included: that message is lost, the
            // connection lives on.
            Warn(ex.GetType().Name + ": " + ex.Message);
        }
    }

    private void Dispatch(JsonRpcMessage message)
    {
        switch (message.Kind)
        {
            case JsonRpcKind.Response:
            case JsonRpcKind.Error:
                if (TryParseId(message.Id.Span, out var id) && _pending.TryRemove(id, out var tcs))
                {
                    tcs.TrySetResult(message);
                }
                else
                {
                    LogUnmatchedResponse(_logger, _server, JsonRpcWriter.IdText(message.Id.Span));
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
                // An unusable answer to one of our requests fails that request now instead of at its timeout.
                if (!message.Id.IsEmpty && TryParseId(message.Id.Span, out var badId) && _pending.TryRemove(badId, out var waiter))
                {
                    waiter.TrySetResult(JsonRpcMessage.Parse(JsonRpcWriter.Error(message.Id.Span, JsonRpcErrorCodes.InternalError,
                        $"server '{_server}' sent an unusable answer: {message.Problem}")));
                }
                break;
        }
    }

    private void Warn(string problem)
    {
        if (_badMessages.TryPass(out var suppressed))
        {
            LogNotJsonRpc(_logger, _server, problem, suppressed);
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
            // Supervision edge: a failing relay must answer the child, never crash the reader.
            response = JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.InternalError, ex.Message);
        }
        try
        {
            Send(response);
        }
        catch (UpstreamUnavailableException)
        {
            // The child left while we were answering it.
        }
    }

    /// <summary>The gateway's own numeric request id from an answer's raw id (a number, or that number quoted).</summary>
    internal static bool TryParseId(ReadOnlySpan<byte> raw, out long id)
    {
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }
        return Utf8Parser.TryParse(raw, out id, out var consumed) && consumed == raw.Length;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "[{Server}] wrote a line on stdout that is not usable JSON-RPC ({Problem}); dropped ({Suppressed} more dropped unlogged before it)")]
    private static partial void LogNotJsonRpc(ILogger logger, string server, string problem, int suppressed);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "[{Server}] wrote a message larger than {MaxBytes} bytes; dropping its connection")]
    private static partial void LogTooLarge(ILogger logger, string server, int maxBytes);

    [LoggerMessage(EventId = 303, Level = LogLevel.Critical, Message = "[{Server}] reading the server's output failed unexpectedly; dropping its connection")]
    private static partial void LogReaderFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "[{Server}] answered request {Id} that nobody waits for any more")]
    private static partial void LogUnmatchedResponse(ILogger logger, string server, string id);
}
