using MCProxy.Protocol;
using MCProxy.Upstreams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace MCProxy.Gateway;

/// <summary>
/// Streamable HTTP (2025-03-26 … 2025-11-25) on <c>/mcp</c>: POST carries requests (answered as application/json),
/// GET opens the session's notification stream, DELETE ends the session. Sessions are created by initialize and
/// named by Mcp-Session-Id; an unknown id gets 404 so the client re-initializes. A POST without a session that
/// speaks 2026-07-28 (version in <c>_meta</c>) is served statelessly by <see cref="StatelessRequests"/>.
/// </summary>
internal static class StreamableHttpEndpoints
{
    public const string SessionHeader = "Mcp-Session-Id";
    public const string ProtocolHeader = "MCP-Protocol-Version";

    public static void MapStreamableHttp(this IEndpointRouteBuilder app, GatewayContext gateway)
    {
        app.MapPost("/mcp", gateway.Door(context => PostAsync(context, gateway)));
        app.MapGet("/mcp", gateway.Door(context => GetAsync(context, gateway)));
        app.MapDelete("/mcp", gateway.Door(context => DeleteAsync(context, gateway)));
    }

    private static async Task PostAsync(HttpContext context, GatewayContext gateway)
    {
        if (!Accepts(context.Request, json: true, sse: true))
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, JsonRpcErrorCodes.ServerError,
                "Not Acceptable: the client must accept both application/json and text/event-stream").ConfigureAwait(false);
            return;
        }
        if (await MessageBatch.ReadAsync(context, gateway).ConfigureAwait(false) is not { } batch)
        {
            return;
        }
        if (context.Request.Headers[SessionHeader].Count == 0 && StatelessRequests.Applies(context.Request, batch))
        {
            await StatelessRequests.ServeAsync(context, gateway, batch).ConfigureAwait(false);
            return;
        }
        DownstreamSession session;
        if (batch.Contains("initialize"))
        {
            if (batch.Messages.Count > 1)
            {
                await HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.InvalidRequest,
                    "Invalid Request: initialize must be sent alone, not in a batch").ConfigureAwait(false);
                return;
            }
            session = new StreamableSession(SessionRegistry.NewId(), gateway.Time.GetUtcNow(), gateway.Limits.SessionQueueBytes)
            {
                Identity = Security.AuthGate.Of(context),
            };
            if (!gateway.Sessions.TryAdd(session))
            {
                await HttpIo.WriteBusyAsync(context, $"the gateway serves its maximum of {gateway.Limits.MaxSessions} sessions (see --max-sessions)").ConfigureAwait(false);
                return;
            }
        }
        else if (await FindSessionAsync(context, gateway).ConfigureAwait(false) is { } existing)
        {
            session = existing;
        }
        else
        {
            return;
        }
        context.Response.Headers[SessionHeader] = session.Id;
        var identity = Security.AuthGate.Of(context);
        if (!batch.HasRequests)
        {
            // Notifications (initialized, cancelled) and answers to relayed server→client requests.
            await batch.DispatchAsync(gateway.Dispatcher, session, identity, context.RequestAborted).ConfigureAwait(false);
            HttpIo.Accepted(context);
            return;
        }
        if (!await gateway.AdmitAsync(context, batch, identity).ConfigureAwait(false))
        {
            return;
        }
        if (NeedsEventStream(batch, session))
        {
            await AnswerAsEventStreamAsync(context, gateway, batch, session, identity).ConfigureAwait(false);
            return;
        }
        var response = await batch.DispatchAsync(gateway.Dispatcher, session, identity, context.RequestAborted).ConfigureAwait(false);
        session.LastActivity = gateway.Time.GetUtcNow();
        if (response is null)
        {
            HttpIo.Accepted(context);
            return;
        }
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, response).ConfigureAwait(false);
    }

    /// <summary>
    /// A call that may produce messages before its answer — progress (the request carries a progressToken) or a
    /// child's sampling/elicitation/roots request (the client declared one of those) — is answered as
    /// text/event-stream, so those messages ride the POST itself and never depend on the GET stream being open.
    /// Everything else gets plain application/json, the cheapest answer.
    /// </summary>
    private static bool NeedsEventStream(MessageBatch batch, DownstreamSession session)
    {
        if (batch.IsBatch || batch.Messages[0] is not { Kind: JsonRpcKind.Request } request ||
            request.Method is not ("tools/call" or "prompts/get" or "resources/read" or "completion/complete"))
        {
            return false;
        }
        return session.ClientCapabilities.Count > 0 ||
               (JsonSlice.TryGetProperty(request.Params, "_meta"u8, out var meta) && JsonSlice.TryGetProperty(meta, "progressToken"u8, out _));
    }

    /// <param name="finish">Rewrites the final answer before it is written (the 2026-07-28 door marks results).</param>
    internal static async Task AnswerAsEventStreamAsync(HttpContext context, GatewayContext gateway, MessageBatch batch, DownstreamSession session,
        Security.Identity identity, Func<byte[], byte[]>? finish = null)
    {
        var related = session.AttachRelated(context.Abort);
        try
        {
            await HttpIo.StartEventStreamAsync(context).ConfigureAwait(false);
            var body = context.Response.BodyWriter;
            DownstreamSession.RequestStream.Value = related; // flows into the dispatch: its progress comes back here
            var dispatch = batch.DispatchAsync(gateway.Dispatcher, session, identity, context.RequestAborted);
            while (!dispatch.IsCompleted)
            {
                // The queue completes only at DetachRelated or when the session is dropped, so "more" ends with data,
                // with false (dropped: the response is aborted), or cancelled by an abort.
                var more = related.WaitToReadAsync(context.RequestAborted).AsTask();
                if (await Task.WhenAny(dispatch, more).ConfigureAwait(false) == more && (more.IsCanceled || !more.Result))
                {
                    break; // the client went away or was dropped; the dispatch is cancelled with the same token
                }
                await DrainAsync(related, body, context.RequestAborted).ConfigureAwait(false);
            }
            var response = await dispatch.ConfigureAwait(false);
            await DrainAsync(related, body, context.RequestAborted).ConfigureAwait(false);
            if (response is not null)
            {
                SseStream.WriteEvent(body, "message"u8, finish is null ? response : finish(response));
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
            session.LastActivity = gateway.Time.GetUtcNow();
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away mid-answer; the call was cancelled with it.
        }
        finally
        {
            session.DetachRelated(related);
        }
    }

    private static async Task DrainAsync(OutboundQueue related, System.IO.Pipelines.PipeWriter body, CancellationToken ct)
    {
        var wrote = false;
        while (related.TryRead(out var message))
        {
            SseStream.WriteEvent(body, "message"u8, message);
            wrote = true;
        }
        if (wrote)
        {
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task GetAsync(HttpContext context, GatewayContext gateway)
    {
        if (!Accepts(context.Request, json: false, sse: true))
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status406NotAcceptable, JsonRpcErrorCodes.ServerError,
                "Not Acceptable: the client must accept text/event-stream").ConfigureAwait(false);
            return;
        }
        if (StatelessRequests.RefuseSessionVerb(context))
        {
            return;
        }
        if (await FindSessionAsync(context, gateway).ConfigureAwait(false) is not { } session)
        {
            return;
        }
        if (session.TryAttachStream(context.Abort) is not { } reader)
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status409Conflict, JsonRpcErrorCodes.ServerError,
                "Conflict: this session already has an open GET stream").ConfigureAwait(false);
            return;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, gateway.Lifetime.ApplicationStopping);
        try
        {
            context.Response.Headers[SessionHeader] = session.Id;
            await HttpIo.StartEventStreamAsync(context).ConfigureAwait(false);
            await SseStream.PumpAsync(context.Response, reader, gateway.Options.KeepAliveInterval, gateway.Time, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client closed its stream or the gateway is stopping; the session itself lives on.
        }
        finally
        {
            session.DetachStream(reader);
            session.LastActivity = gateway.Time.GetUtcNow();
        }
    }

    private static async Task DeleteAsync(HttpContext context, GatewayContext gateway)
    {
        if (StatelessRequests.RefuseSessionVerb(context))
        {
            return;
        }
        if (await FindSessionAsync(context, gateway).ConfigureAwait(false) is not { } session)
        {
            return;
        }
        gateway.Sessions.Remove(session.Id);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>The session named by the request's headers, or null after answering 400/404.</summary>
    private static async Task<DownstreamSession?> FindSessionAsync(HttpContext context, GatewayContext gateway)
    {
        var request = context.Request;
        var version = request.Headers[ProtocolHeader].ToString();
        if (version.Length > 0 && !McpProtocol.IsSupported(version))
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ServerError,
                $"Bad Request: unsupported {ProtocolHeader} '{version}' (supported: {string.Join(", ", McpProtocol.Supported)})").ConfigureAwait(false);
            return null;
        }
        var id = request.Headers[SessionHeader].ToString();
        if (id.Length == 0)
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ServerError,
                $"Bad Request: {SessionHeader} header is required (send initialize first)").ConfigureAwait(false);
            return null;
        }
        // A session belongs to the identity that created it: to anyone else it does not exist.
        if (!gateway.Sessions.TryGet(id, out var session) || session is not StreamableSession ||
            !string.Equals(session.IdentityName, Security.AuthGate.Of(context).Name, StringComparison.Ordinal))
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status404NotFound, JsonRpcErrorCodes.SessionNotFound,
                "Session not found: initialize a new session").ConfigureAwait(false);
            return null;
        }
        session.LastActivity = gateway.Time.GetUtcNow();
        session.Identity = Security.AuthGate.Of(context); // same name; a refreshed JWT may carry new roles
        return session;
    }

    /// <summary>Accept rules of the spec, with wildcards: POST needs JSON and SSE acceptable, GET needs SSE.</summary>
    internal static bool Accepts(HttpRequest request, bool json, bool sse)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return false;
        }
        bool Ok(string type, string subtype) => accept.Any(a =>
            a.Quality is not 0 &&
            (a.MediaType == "*/*" || a.MediaType.Equals($"{type}/*", StringComparison.OrdinalIgnoreCase) ||
             a.MediaType.Equals($"{type}/{subtype}", StringComparison.OrdinalIgnoreCase)));
        return (!json || Ok("application", "json")) && (!sse || Ok("text", "event-stream"));
    }
}
