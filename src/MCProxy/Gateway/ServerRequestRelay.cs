using System.Collections.Concurrent;
using MCProxy.Protocol;
using MCProxy.Supervision;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// Relays a child's server→client requests (sampling/createMessage, elicitation/create, roots/list) to the
/// downstream client whose call caused them, and the answer back.
/// Rule (stdio carries nothing that links a child's request to the call that caused it):
/// - exactly one client has calls in flight to that child → that client is asked;
/// - several clients do → sampling and elicitation are refused with an error (a user's model or a user's prompt is
///   never handed to another user's session); roots/list answers an empty list;
/// - none does → an error for sampling/elicitation; roots/list (children ask it at start and after a
///   roots/list_changed) goes to the client that last announced a roots change, else to the only connected client
///   that has roots, else answers an empty list;
/// - the chosen client did not declare the capability at initialize → an error that says so.
/// Requests go out on the client's stream (legacy SSE, or the Streamable HTTP GET stream) with a gateway id;
/// the client's answer arrives as a POST and is matched here.
/// </summary>
internal sealed partial class ServerRequestRelay
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<DownstreamSession, int>> _callers = new(StringComparer.Ordinal);
    // Our raw id text → the one session that was asked and the waiter; ids are 128-bit random, never sequential.
    private readonly ConcurrentDictionary<string, (DownstreamSession Session, TaskCompletionSource<JsonRpcMessage> Answer)> _pending = new(StringComparer.Ordinal);
    // (server, the child's raw request id) → (session, our raw id), so a child's cancel reaches the client it asked.
    private readonly ConcurrentDictionary<(string, string), (DownstreamSession Session, byte[] Id)> _relayed = new();
    private readonly ILogger<ServerRequestRelay> _logger;
    private readonly SessionRegistry _sessions;
    private readonly TimeProvider _time;
    private DownstreamSession? _rootsAnnouncer;
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Func<string, ReadOnlyMemory<byte>, Task<JsonRpcMessage>>, byte>> _statelessCallers =
        new(StringComparer.Ordinal);

    public ServerRequestRelay(SessionRegistry sessions, TimeProvider time, ILogger<ServerRequestRelay> logger)
    {
        _sessions = sessions;
        _time = time;
        _logger = logger;
    }

    /// <summary>Marks a session as calling a server until the returned scope ends.</summary>
    public IDisposable Calling(string server, DownstreamSession? session)
    {
        if (session is null)
        {
            return NoScope.Instance;
        }
        var callers = _callers.GetOrAdd(server, _ => new ConcurrentDictionary<DownstreamSession, int>());
        callers.AddOrUpdate(session, 1, (_, n) => n + 1);
        return new Scope(callers, session);
    }

    /// <summary>
    /// Marks a 2026-07-28 client's call (no session to ask on) as calling a server until the returned scope ends: a
    /// question the child asks meanwhile goes to <paramref name="ask"/> (see <see cref="ParkedCalls"/>).
    /// </summary>
    public IDisposable CallingStateless(string server, Func<string, ReadOnlyMemory<byte>, Task<JsonRpcMessage>> ask)
    {
        var callers = _statelessCallers.GetOrAdd(server, _ => new ConcurrentDictionary<Func<string, ReadOnlyMemory<byte>, Task<JsonRpcMessage>>, byte>());
        callers[ask] = 0;
        return new StatelessScope(callers, ask);
    }

    private sealed class StatelessScope(ConcurrentDictionary<Func<string, ReadOnlyMemory<byte>, Task<JsonRpcMessage>>, byte> callers,
        Func<string, ReadOnlyMemory<byte>, Task<JsonRpcMessage>> ask) : IDisposable
    {
        public void Dispose() => callers.TryRemove(ask, out _);
    }

    /// <summary>Remembers the client whose notifications/roots/list_changed made the children ask for roots again.</summary>
    public void RootsChanged(DownstreamSession session) => Volatile.Write(ref _rootsAnnouncer, session);

    /// <summary>
    /// A client's response to a request we relayed. Only the session that was asked may answer: an answer from any
    /// other session, or from a session-less POST, is refused and logged, and the real client's answer still counts.
    /// </summary>
    public bool Complete(JsonRpcMessage response, DownstreamSession? from)
    {
        var key = JsonRpcWriter.IdText(response.Id.Span);
        if (!_pending.TryGetValue(key, out var pending))
        {
            return false;
        }
        if (!ReferenceEquals(pending.Session, from))
        {
            LogForeignAnswer(_logger, from?.Id ?? "(no session)", pending.Session.Id);
            return false;
        }
        return _pending.TryRemove(new KeyValuePair<string, (DownstreamSession, TaskCompletionSource<JsonRpcMessage>)>(key, pending)) &&
               pending.Answer.TrySetResult(response);
    }

    /// <summary>Answers a child's server→client request (sampling, elicitation, roots, ping).</summary>
    public async Task<byte[]> HandleAsync(ServerSupervisor server, JsonRpcMessage request)
    {
        var capability = McpProtocol.ClientCapabilityFor(request.Method);
        if (capability is null)
        {
            return request.Method == "ping"
                ? JsonRpcWriter.Response(request.Id.Span, "{}"u8)
                : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.MethodNotFound, $"the gateway does not relay {request.Method}");
        }
        // A 2026-07-28 client's call (its call-scoped progress session aside) is asked through its parked call.
        var candidates = _callers.TryGetValue(server.Name, out var callers) ? callers.Keys.Where(s => s is not StatelessCall).ToArray() : [];
        var stateless = _statelessCallers.TryGetValue(server.Name, out var waiting) ? waiting.Keys.ToArray() : [];
        if (stateless.Length == 1 && candidates.Length == 0)
        {
            var given = await stateless[0](request.Method!, request.Params).ConfigureAwait(false);
            return given.Kind == JsonRpcKind.Response
                ? JsonRpcWriter.Response(request.Id.Span, given.Result.Span)
                : JsonRpcWriter.RawError(request.Id.Span, given.Error.Span);
        }
        if (candidates.Length == 0 && stateless.Length == 0 && capability == "roots" && RootsOwner() is { } owner)
        {
            // Children ask for roots outside any call (at start, after roots/list_changed): ask the client that
            // announced a change, or the only connected client that has roots.
            candidates = [owner];
        }
        var count = candidates.Length + stateless.Length;
        if (count != 1)
        {
            LogNoTarget(_logger, server.Name, request.Method!, count);
            return capability == "roots"
                ? JsonRpcWriter.Response(request.Id.Span, "{\"roots\":[]}"u8)
                : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.InternalError, count == 0
                    ? $"no client is calling server '{server.Name}', so there is nobody to ask for {capability}"
                    : $"{count} clients are calling server '{server.Name}' at once; the gateway cannot tell which one asked for {capability}");
        }
        var session = candidates[0];
        if (!session.ClientCapabilities.Contains(capability))
        {
            return capability == "roots"
                ? JsonRpcWriter.Response(request.Id.Span, "{\"roots\":[]}"u8)
                : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.MethodNotFound, $"the calling client does not support {capability}");
        }
        var answer = await AskAsync(session, request.Method!, request.Params, server.Config.Timeout, (server.Name, JsonRpcWriter.IdText(request.Id.Span)),
            CancellationToken.None).ConfigureAwait(false);
        return answer.Kind == JsonRpcKind.Response
            ? JsonRpcWriter.Response(request.Id.Span, answer.Result.Span)
            : JsonRpcWriter.RawError(request.Id.Span, answer.Error.Span);
    }

    /// <summary>
    /// Sends one server→client request to one session and waits for its answer (a Response or Error message; an
    /// error of our own when the client has no stream, does not answer within <paramref name="timeout"/>, or the
    /// request is cancelled). Used for a 2025 child's own requests and for the input requests of a 2026 child's
    /// input-required result (see <see cref="InputRequests"/>).
    /// </summary>
    /// <param name="childKey">(server, the child's request id) when a child asked, so its cancel reaches the client.</param>
    public async Task<JsonRpcMessage> AskAsync(DownstreamSession session, string method, ReadOnlyMemory<byte> prms, TimeSpan timeout,
        (string, string)? childKey, CancellationToken ct)
    {
        // NOTE 1: unguessable, so no other client can forge the answer even if the session check were bypassed.
        var id = "gws-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var rawId = JsonRpcWriter.Quote(id);
        var key = JsonRpcWriter.IdText(rawId); // keyed by the raw id text, as the answer's id is read
        var tcs = new TaskCompletionSource<JsonRpcMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[key] = (session, tcs);
        if (childKey is { } k)
        {
            _relayed[k] = (session, rawId);
        }
        try
        {
            if (!session.TrySendRelated(JsonRpcWriter.Request(rawId, method, prms.Span)))
            {
                return JsonRpcMessage.LocalError(JsonRpcErrorCodes.InternalError,
                    "the calling client has no open stream to receive the request (Streamable HTTP needs its GET stream)");
            }
            return await tcs.Task.WaitAsync(timeout, _time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            session.TrySendRelated(Cancelled(rawId, "the server's timeout elapsed"));
            return JsonRpcMessage.LocalError(JsonRpcErrorCodes.InternalError, $"the client did not answer {method} in time");
        }
        catch (OperationCanceledException)
        {
            if (ct.IsCancellationRequested)
            {
                session.TrySendRelated(Cancelled(rawId, "the call was cancelled"));
            }
            return JsonRpcMessage.LocalError(-32800, "Request cancelled");
        }
        finally
        {
            _pending.TryRemove(key, out _);
            if (childKey is { } done)
            {
                _relayed.TryRemove(done, out _);
            }
        }
    }

    private DownstreamSession? RootsOwner()
    {
        if (Volatile.Read(ref _rootsAnnouncer) is { } announcer && _sessions.TryGet(announcer.Id, out _) &&
            announcer.ClientCapabilities.Contains("roots"))
        {
            return announcer;
        }
        var withRoots = _sessions.All.Where(s => s.ClientCapabilities.Contains("roots")).Take(2).ToArray();
        return withRoots.Length == 1 ? withRoots[0] : null;
    }

    /// <summary>A child cancelled a request it had sent us: pass the cancel to the client that was asked.</summary>
    public void ChildCancelled(string server, JsonRpcMessage notification)
    {
        if (JsonSlice.TryGetProperty(notification.Params, "requestId"u8, out var requestId) &&
            _relayed.TryRemove((server, JsonRpcWriter.IdText(requestId.Span)), out var target))
        {
            target.Session.TrySendRelated(Cancelled(target.Id, JsonSlice.GetString(notification.Params, "reason"u8) ?? "cancelled by the server"));
            if (_pending.TryRemove(JsonRpcWriter.IdText(target.Id), out var pending))
            {
                pending.Answer.TrySetCanceled();
            }
        }
    }

    private static byte[] Cancelled(byte[] rawId, string reason) =>
        JsonRpcWriter.Notification("notifications/cancelled", JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("requestId"u8);
            w.WriteRawValue(rawId, skipInputValidation: true);
            w.WriteString("reason"u8, reason);
            w.WriteEndObject();
        }));

    private sealed class Scope(ConcurrentDictionary<DownstreamSession, int> callers, DownstreamSession session) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            while (callers.TryGetValue(session, out var n))
            {
                if (n <= 1 ? callers.TryRemove(new KeyValuePair<DownstreamSession, int>(session, n)) : callers.TryUpdate(session, n - 1, n))
                {
                    return;
                }
            }
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }

    [LoggerMessage(EventId = 504, Level = LogLevel.Warning, Message = "session {SessionId} answered a request the gateway relayed to session {AskedSessionId}; refused")]
    private static partial void LogForeignAnswer(ILogger logger, string sessionId, string askedSessionId);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "[{Server}] asked for {Method} while {Callers} clients were calling it; not relayed")]
    private static partial void LogNoTarget(ILogger logger, string server, string method, int callers);
}
