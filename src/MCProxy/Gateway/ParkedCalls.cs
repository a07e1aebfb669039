using System.Collections.Concurrent;
using MCProxy.Protocol;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// A 2025-era child's own question (sampling/createMessage, elicitation/create, roots/list) during a 2026-07-28
/// client's tools/call. That client takes no server→client requests, so the call is parked: the child's request waits
/// here, the client gets an input-required result naming it (sealed by <see cref="InputRequests"/> like any), and its
/// retry with <c>inputResponses</c> answers the child and waits for what the child does next — its result, or another
/// question. The child's call runs in this process, so only this replica can continue it: a retry that reaches
/// another replica is refused with an error that says so (a 2026-07-28 child keeps no state, and its calls continue
/// anywhere). A parked call left waiting longer than the server's timeout is cancelled at the child.
/// </summary>
internal sealed partial class ParkedCalls
{
    /// <summary>The child state a parked call's input-required result carries (sealed before the client sees it).</summary>
    public const string StatePrefix = "mcproxy-parked:";
    public const string InputKey = "input";

    private readonly ConcurrentDictionary<string, Parked> _parked = new(StringComparer.Ordinal);
    private readonly ServerRequestRelay _relay;
    private readonly TimeProvider _time;
    private readonly ILogger<ParkedCalls> _logger;

    public ParkedCalls(ServerRequestRelay relay, TimeProvider time, ILogger<ParkedCalls> logger)
    {
        _relay = relay;
        _time = time;
        _logger = logger;
    }

    public int Count => _parked.Count;

    /// <summary>
    /// A 2026 client's tools/call to <paramref name="supervisor"/>: a new call, or (its params' requestState names a
    /// parked call) the answer to a parked call's question. Returns the child's reply, or an input-required result
    /// when the child asks something, or an error reply when the parked call is not here.
    /// </summary>
    public async Task<JsonRpcMessage> CallAsync(ServerSupervisor supervisor, byte[] upstreamParams, string identity, CancellationToken ct)
    {
        var tool = JsonSlice.GetString(upstreamParams, "name"u8) ?? "";
        if (JsonSlice.GetString(upstreamParams, "requestState"u8) is { } state && state.StartsWith(StatePrefix, StringComparison.Ordinal))
        {
            return await ResumeAsync(state[StatePrefix.Length..], supervisor.Name, tool, identity, upstreamParams, ct).ConfigureAwait(false);
        }
        var call = new Parked(supervisor, tool, identity, InputRequests.ClientCapabilities.ToArray());
        call.Registration = _relay.CallingStateless(supervisor.Name, call.AskAsync);
        call.Reply = StartAsync(call, supervisor, upstreamParams);
        return await WaitAsync(call, ct).ConfigureAwait(false);
    }

    private static async Task<JsonRpcMessage> StartAsync(Parked call, ServerSupervisor supervisor, byte[] upstreamParams)
    {
        try
        {
            return await supervisor.RequestAsync("tools/call", upstreamParams, call.Life.Token).ConfigureAwait(false);
        }
        finally
        {
            call.Registration?.Dispose();
        }
    }

    private async Task<JsonRpcMessage> ResumeAsync(string key, string server, string tool, string identity, byte[] upstreamParams, CancellationToken ct)
    {
        if (!_parked.TryRemove(key, out var call) || call.Server.Name != server || call.Tool != tool || call.Identity != identity)
        {
            return JsonRpcMessage.LocalError(JsonRpcErrorCodes.InvalidParams,
                "Invalid params: the call this requestState continues is not waiting here: it timed out, or it runs on another replica " +
                "(a 2025-era server's question can only be answered on the replica where its call runs); call the tool again");
        }
        call.StopExpiry();
        if (!JsonSlice.TryGetProperty(upstreamParams, "inputResponses"u8, out var responses) ||
            !JsonSlice.TryGetProperty(responses, "input"u8, out var answer) || !JsonSlice.IsObject(answer.Span))
        {
            call.Answer(JsonRpcMessage.LocalError(JsonRpcErrorCodes.InternalError, "the client gave no answer"));
        }
        else
        {
            call.Answer(JsonRpcMessage.LocalResult(answer.Span));
        }
        return await WaitAsync(call, ct).ConfigureAwait(false);
    }

    /// <summary>Waits for the child's result or its next question; a question parks the call and becomes input_required.</summary>
    private async Task<JsonRpcMessage> WaitAsync(Parked call, CancellationToken ct)
    {
        // While a client waits, its cancel (or disconnect) cancels the child's call; once parked, the expiry does.
        using var cancel = ct.Register(static c => ((Parked)c!).Cancel(), call);
        var question = call.NextQuestion();
        var first = await Task.WhenAny(call.Reply!, question).ConfigureAwait(false);
        if (first == call.Reply)
        {
            call.Life.Dispose();
            return await call.Reply.ConfigureAwait(false);
        }
        var (method, prms) = await question.ConfigureAwait(false);
        call.QuestionTaken();
        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        _parked[key] = call;
        call.ExpireAfter(call.Server.Config.Timeout, _time, () =>
        {
            if (_parked.TryRemove(key, out _))
            {
                LogExpired(_logger, call.Server.Name, call.Tool);
                call.Answer(JsonRpcMessage.LocalError(JsonRpcErrorCodes.InternalError, "the client did not continue the call in time"));
                call.Cancel();
            }
        });
        LogParked(_logger, call.Server.Name, call.Tool, method);
        return JsonRpcMessage.LocalResult(JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("resultType"u8, "input_required");
            w.WriteStartObject("inputRequests"u8);
            w.WriteStartObject(InputKey);
            w.WriteString("method"u8, method);
            w.WritePropertyName("params"u8);
            w.WriteRawValue(prms.IsEmpty ? "{}"u8 : prms.Span, skipInputValidation: true);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("requestState"u8, StatePrefix + key);
            w.WriteEndObject();
        }));
    }

    /// <summary>One 2026 client's call in flight to a child: the child's questions come here instead of to a session.</summary>
    private sealed class Parked(ServerSupervisor server, string tool, string identity, byte[] capabilities)
    {
        private readonly object _gate = new();
        private TaskCompletionSource<(string, ReadOnlyMemory<byte>)> _question = New<(string, ReadOnlyMemory<byte>)>();
        private TaskCompletionSource<JsonRpcMessage>? _answer;
        private ITimer? _expiry;

        public ServerSupervisor Server { get; } = server;
        public string Tool { get; } = tool;
        public string Identity { get; } = identity;
        public CancellationTokenSource Life { get; } = new();
        public IDisposable? Registration { get; set; }
        public Task<JsonRpcMessage>? Reply { get; set; }

        private static TaskCompletionSource<T> New<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The child's next question (already asked, or still to come).</summary>
        public Task<(string Method, ReadOnlyMemory<byte> Params)> NextQuestion()
        {
            lock (_gate)
            {
                return _question.Task;
            }
        }

        /// <summary>The question was handed to the client: the one after it is awaited from now on.</summary>
        public void QuestionTaken()
        {
            lock (_gate)
            {
                if (_question.Task.IsCompleted)
                {
                    _question = New<(string, ReadOnlyMemory<byte>)>();
                }
            }
        }

        /// <summary>The child asks (through the relay): the question is handed to the waiting client, the answer awaited.</summary>
        public async Task<JsonRpcMessage> AskAsync(string method, ReadOnlyMemory<byte> prms)
        {
            if (!InputRequests.Declares(capabilities, method))
            {
                return JsonRpcMessage.LocalError(JsonRpcErrorCodes.MethodNotFound,
                    $"the calling client does not support {method} (not in its clientCapabilities)");
            }
            TaskCompletionSource<JsonRpcMessage> answer;
            lock (_gate)
            {
                if (_answer is not null)
                {
                    return JsonRpcMessage.LocalError(JsonRpcErrorCodes.InternalError,
                        "the gateway relays one question at a time per call; the client has not answered the last one");
                }
                _answer = answer = New<JsonRpcMessage>();
                _question.TrySetResult((method, prms.ToArray()));
            }
            return await answer.Task.ConfigureAwait(false);
        }

        public void Answer(JsonRpcMessage answer)
        {
            TaskCompletionSource<JsonRpcMessage>? waiting;
            lock (_gate)
            {
                waiting = _answer;
                _answer = null;
            }
            waiting?.TrySetResult(answer);
        }

        public void ExpireAfter(TimeSpan after, TimeProvider time, Action expire)
        {
            lock (_gate)
            {
                _expiry?.Dispose();
                _expiry = time.CreateTimer(_ => expire(), null, after, Timeout.InfiniteTimeSpan);
            }
        }

        public void StopExpiry()
        {
            lock (_gate)
            {
                _expiry?.Dispose();
                _expiry = null;
            }
        }

        public void Cancel()
        {
            try
            {
                Life.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call already ended.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[{Server}] asked {Method} during a 2026-07-28 client's call of {Tool}: parked, the client was sent input_required")]
    private static partial void LogParked(ILogger logger, string server, string tool, string method);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[{Server}] a parked call of {Tool} was not continued within the server's timeout; cancelled")]
    private static partial void LogExpired(ILogger logger, string server, string tool);
}
