using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

internal sealed partial class McpDispatcher
{
    private async ValueTask<byte[]?> CallToolAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span.ToArray();
        var name = JsonSlice.GetString(request.Params, "name"u8);
        if (string.IsNullOrEmpty(name))
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "tools/call needs params.name (a tool from tools/list)");
        }
        if (_meta.IsMeta(name))
        {
            return await MetaToolAsync(request, id, name, session, identity, ct).ConfigureAwait(false);
        }
        if (!identity.Policy.Allows(name))
        {
            LogDenied(_logger, identity.Name, "tool", name);
            Audit(request, session, identity, route: null, name, 0, AuditOutcome.Denied, 0);
            return Denied(id, identity, "tool", name);
        }
        if (!_catalog.Current.Tools.Routes.TryGetValue(name, out var route))
        {
            return UnroutableTool(id, name);
        }
        if (_catalog.Current.Broadcasts.TryGetValue(name, out var broadcast))
        {
            return await BroadcastAsync(request, id, broadcast, session, identity, ct).ConfigureAwait(false);
        }
        if (route.Server.Length == 0)
        {
            var answer = JsonRpcWriter.Response(id, _builtIn.Call(name));
            Audit(request, session, identity, route, name, 0, AuditOutcome.Ok, answer.Length);
            return answer;
        }
        if (!_servers.TryGet(route.Server, out var entry) || entry.Supervisor is not { } supervisor)
        {
            return ToolError(id, $"server '{route.Server}' is no longer configured");
        }

        var upstreamParams = JsonSlice.ReplaceProperty(request.Params.Span, "name"u8, JsonRpcWriter.Quote(route.Tool));
        if (InputRequests.PerRequestClient)
        {
            // A retry of a multi-round-trip call: the child gets back its own state from the gateway's sealed handle.
            if (_inputs.OpenRetry(upstreamParams, route.Server, route.Tool, identity.Name, out var refused) is not { } opened)
            {
                return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"Invalid params: {refused}");
            }
            upstreamParams = opened;
        }
        return await AuditedAsync(request, session, identity, route, name,
            outcome => ForwardAsync(id, "tools/call", supervisor, upstreamParams, session, toolResult: true, ct, outcome, identity)).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays one request to a child and its answer back, untouched but for the id: progress tokens are mapped,
    /// a client's cancel is passed on, and an unavailable or silent child becomes an error (an isError tool result
    /// for tools/call, a JSON-RPC error otherwise).
    /// </summary>
    private async ValueTask<byte[]?> ForwardAsync(byte[] id, string method, Supervision.ServerSupervisor supervisor, byte[] upstreamParams,
        DownstreamSession? session, bool toolResult, CancellationToken ct, CallOutcome? outcome = null, Identity? identity = null)
    {
        if (session is not null && session.InFlight.Count >= _maxInFlight)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.ServerError,
                $"this session already has {_maxInFlight} requests in flight; wait for some to finish");
        }
        var progressToken = _progress.Rewrite(session, ref upstreamParams);
        using var calling = _requests.Calling(supervisor.Name, session);
        var key = session is null ? null : JsonRpcWriter.IdText(id);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (key is not null)
        {
            session!.InFlight[key] = cts;
        }
        try
        {
            var caller = identity?.Name ?? Identity.Open.Name;
            // A 2026-07-28 client's tool call: a 2025 child's questions meanwhile park it (ParkedCalls).
            var reply = toolResult && InputRequests.PerRequestClient
                ? await _parked.CallAsync(supervisor, upstreamParams, caller, cts.Token).ConfigureAwait(false)
                : await supervisor.RequestAsync(method, upstreamParams, cts.Token).ConfigureAwait(false);
            var interim = false; // a task or an input request: not the tool's result yet, so no output cap
            if (toolResult && InputRequests.PerRequestClient && TaskRelay.IsTask(reply) &&
                JsonSlice.GetString(reply.Result, "taskId"u8) is { } childTask)
            {
                // The child runs it as a task: the client polls tasks/get with a sealed id (TaskRelay).
                reply = TaskRelay.WithTaskId(reply, _inputs.Seal(supervisor.Name, TaskRelay.SealedKind, caller, childTask, TaskRelay.Lifetime));
                interim = true;
            }
            else if (toolResult && InputRequests.IsInputRequired(reply))
            {
                // A 2026-07-28 child needs input: sealed for a 2026 client, asked of a 2025 session, or a tool error.
                reply = await _inputs.ResolveAsync(reply, supervisor, upstreamParams, session, caller, cts.Token).ConfigureAwait(false);
                interim = InputRequests.IsInputRequired(reply);
            }
            outcome?.Set(reply.Kind != JsonRpcKind.Response ? AuditOutcome.Error
                : JsonSlice.TryGetProperty(reply.Result, "isError"u8, out var isError) && isError.Span.SequenceEqual("true"u8) ? AuditOutcome.IsError
                : AuditOutcome.Ok);
            // Redaction, and for a tool result the output cap with spill, before anything leaves (Output).
            var redactions = 0;
            var answer = reply.Kind == JsonRpcKind.Response
                ? JsonRpcWriter.Response(id, (toolResult && !interim
                    ? _results.ToolResult(supervisor.Name, caller, reply.Result, ref redactions)
                    : _results.Redact(supervisor.Name, reply.Result, ref redactions)).Span)
                : JsonRpcWriter.RawError(id, _results.Redact(supervisor.Name, reply.Error, ref redactions).Span);
            outcome?.Redacted(redactions);
            return answer;
        }
        catch (UpstreamUnavailableException ex)
        {
            outcome?.Set(AuditOutcome.Error);
            var message = RedactMessage(supervisor.Name, ex.Message, outcome);
            return toolResult ? ToolError(id, message) : JsonRpcWriter.Error(id, JsonRpcErrorCodes.InternalError, message);
        }
        catch (UpstreamTimeoutException ex)
        {
            outcome?.Set(AuditOutcome.Timeout);
            LogTimeout(_logger, supervisor.Name, method);
            return toolResult ? ToolError(id, ex.Message) : JsonRpcWriter.Error(id, JsonRpcErrorCodes.InternalError, ex.Message);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // The client cancelled (or disconnected); the child was sent notifications/cancelled.
            outcome?.Set(AuditOutcome.Error);
            return JsonRpcWriter.Error(id, -32800, "Request cancelled");
        }
        finally
        {
            _progress.Release(progressToken);
            if (key is not null)
            {
                session!.InFlight.TryRemove(key, out _);
            }
        }
    }

    /// <summary>
    /// The discover-mode tools (Disclosure.MetaTools NOTE 1: exempt from policy, they reach only what it allows).
    /// mcproxy__call_tool re-enters tools/call with the inner name, arguments and _meta, under the request's own id,
    /// so its answer is byte for byte the direct call's, with the same policy, audit, caps and redaction.
    /// </summary>
    private async ValueTask<byte[]?> MetaToolAsync(JsonRpcMessage request, byte[] id, string name, DownstreamSession? session, Identity identity,
        CancellationToken ct)
    {
        JsonSlice.TryGetProperty(request.Params, "arguments"u8, out var arguments);
        var catalog = _catalog.Current.Tools;
        if (name == _meta.SearchName || name == _meta.DescribeName)
        {
            var result = name == _meta.SearchName
                ? _meta.Search(arguments, catalog, identity.Policy.Allows)
                : _meta.Describe(arguments, catalog, identity.Policy.Allows);
            var answer = JsonRpcWriter.Response(id, result);
            Audit(request, session, identity, new ToolRoute("", name), name, 0, AuditOutcome.Ok, answer.Length);
            return answer;
        }
        var inner = JsonSlice.GetString(arguments, "name"u8);
        if (string.IsNullOrEmpty(inner) || _meta.IsMeta(inner))
        {
            return ToolError(id, "mcproxy__call_tool needs \"name\": a tool's exact name from mcproxy__search_tools (not a mcproxy__ meta tool)");
        }
        var innerParams = JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("name"u8, inner);
            if (JsonSlice.TryGetProperty(arguments, "arguments"u8, out var innerArguments))
            {
                w.WritePropertyName("arguments"u8);
                w.WriteRawValue(innerArguments.Span, skipInputValidation: true);
            }
            if (JsonSlice.TryGetProperty(request.Params, "_meta"u8, out var meta))
            {
                w.WritePropertyName("_meta"u8);
                w.WriteRawValue(meta.Span, skipInputValidation: true);
            }
            w.WriteEndObject();
        });
        var direct = JsonRpcMessage.Parse(JsonRpcWriter.Request(id, "tools/call", innerParams));
        return await CallToolAsync(direct, session, identity, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A broadcast tool: the same arguments to every server it reaches, in parallel, each as a direct tools/call of
    /// that server's exposed tool (its own policy check, audit, timeout, caps and redaction); one result lists every
    /// server's answer or error. It takes as long as the slowest server, bounded by that server's timeout.
    /// </summary>
    private async ValueTask<byte[]?> BroadcastAsync(JsonRpcMessage request, byte[] id, BroadcastTools.Target target, DownstreamSession? session,
        Identity identity, CancellationToken ct)
    {
        JsonSlice.TryGetProperty(request.Params, "arguments"u8, out var arguments);
        var routes = _catalog.Current.Tools.Routes;
        async Task<(string Server, JsonNodeOrError Outcome)> CallOneAsync(string server)
        {
            var exposed = routes.FirstOrDefault(r => r.Value.Server == server && r.Value.Tool == target.Tool).Key;
            if (exposed is null)
            {
                return (server, new JsonNodeOrError(null, $"server '{server}' no longer offers '{target.Tool}'"));
            }
            var innerParams = JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("name"u8, exposed);
                if (!arguments.IsEmpty)
                {
                    w.WritePropertyName("arguments"u8);
                    w.WriteRawValue(arguments.Span, skipInputValidation: true);
                }
                w.WriteEndObject();
            });
            var answer = await CallToolAsync(JsonRpcMessage.Parse(JsonRpcWriter.Request(id, "tools/call", innerParams)), session, identity, ct).ConfigureAwait(false);
            if (answer is null)
            {
                return (server, new JsonNodeOrError(null, "no answer"));
            }
            var reply = JsonRpcMessage.Parse(answer);
            return reply.Kind == JsonRpcKind.Response
                ? (server, new JsonNodeOrError(reply.Result, null))
                : (server, new JsonNodeOrError(null, JsonSlice.GetString(reply.Error, "message"u8) ?? "error"));
        }
        var results = await Task.WhenAll(target.Servers.Select(CallOneAsync)).ConfigureAwait(false);
        var failed = results.Count(r => r.Item2.Error is not null || (r.Item2.Result is { } res && JsonSlice.TryGetProperty(res, "isError"u8, out var e) && e.Span.SequenceEqual("true"u8)));
        return JsonRpcWriter.Response(id, JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("content"u8);
            foreach (var (server, outcome) in results)
            {
                w.WriteStartObject();
                w.WriteString("type"u8, "text");
                w.WriteString("text"u8, $"[{server}] " + (outcome.Error ?? TextOf(outcome.Result!.Value)));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("structuredContent"u8);
            w.WriteStartArray("results"u8);
            foreach (var (server, outcome) in results)
            {
                w.WriteStartObject();
                w.WriteString("server"u8, server);
                if (outcome.Error is { } error)
                {
                    w.WriteString("error"u8, error);
                }
                else
                {
                    w.WritePropertyName("result"u8);
                    w.WriteRawValue(outcome.Result!.Value.Span, skipInputValidation: true);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            if (failed == results.Length)
            {
                w.WriteBoolean("isError"u8, true);
            }
            w.WriteEndObject();
        }));
    }

    private readonly record struct JsonNodeOrError(ReadOnlyMemory<byte>? Result, string? Error);

    /// <summary>The text items of a tool result, joined (other content kinds are named, not inlined).</summary>
    private static string TextOf(ReadOnlyMemory<byte> result)
    {
        if (!JsonSlice.TryGetProperty(result, "content"u8, out var content))
        {
            return "";
        }
        using var document = System.Text.Json.JsonDocument.Parse(content);
        return string.Join("\n", document.RootElement.EnumerateArray().Select(item =>
            item.TryGetProperty("type", out var type) && type.GetString() == "text" && item.TryGetProperty("text", out var text)
                ? text.GetString()
                : $"({(item.TryGetProperty("type", out var t) ? t.GetString() : "item")})"));
    }

    private string RedactMessage(string server, string message, CallOutcome? outcome)
    {
        var count = 0;
        message = _results.RedactorFor(server).Redact(message, ref count);
        outcome?.Redacted(count);
        return message;
    }

    /// <summary>A name not in the catalogue: either its server is down (say why) or it does not exist at all.</summary>
    private byte[] UnroutableTool(byte[] id, string name)
    {
        var cut = name.IndexOf(_separator, StringComparison.Ordinal);
        var prefix = cut > 0 ? name[..cut] : null;
        // The server whose namespace the name is in: its "prefix", else its name.
        var entry = prefix is null ? null : _servers.Entries.FirstOrDefault(e => (e.Definition.Config?.Shape.PrefixFor(e.Name) ?? e.Name) == prefix);
        if (entry is not null)
        {
            if (entry.Supervisor is { Status.State: not Supervision.ServerState.Ready } down)
            {
                return ToolError(id, $"tool '{name}' is unavailable: {down.DescribeUnavailable()}");
            }
            if (entry.Supervisor is null)
            {
                return ToolError(id, $"tool '{name}' is unavailable: server '{entry.Name}' is {entry.State.ToString().ToLowerInvariant()}");
            }
        }
        return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"Unknown tool: '{name}'. Call tools/list for the available tools.");
    }

    /// <summary>A tools/call result with isError: the model sees the text and can react, instead of a protocol failure.</summary>
    private static byte[] ToolError(ReadOnlySpan<byte> id, string text) => JsonRpcWriter.Response(id, JsonRpcWriter.ToolErrorResult(text));

    [LoggerMessage(EventId = 506, Level = LogLevel.Warning, Message = "denied {Kind} {Name} to identity {Identity}")]
    private static partial void LogDenied(ILogger logger, string identity, string kind, string name);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "[{Server}] {Method} timed out")]
    private static partial void LogTimeout(ILogger logger, string server, string method);
}
