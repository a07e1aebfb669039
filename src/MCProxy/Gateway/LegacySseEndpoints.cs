using MCProxy.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MCProxy.Gateway;

/// <summary>
/// The legacy HTTP+SSE transport (protocol 2024-11-05) and the plain JSON-RPC door:
/// <c>GET /sse</c> opens a session whose first event names the message endpoint; <c>POST /messages?sessionId=</c>
/// answers 202 and delivers the response on that stream; <c>POST /sse</c> answers one request (or batch) as
/// application/json with no session and no initialize, for curl and scripts.
/// </summary>
internal static class LegacySseEndpoints
{
    public static void MapLegacySse(this IEndpointRouteBuilder app, GatewayContext gateway)
    {
        app.MapGet("/sse", gateway.Door(context => OpenStreamAsync(context, gateway)));
        app.MapPost("/sse", gateway.Door(context => PlainJsonAsync(context, gateway)));
        app.MapPost("/messages", gateway.Door(context => PostMessageAsync(context, gateway)));
        app.MapPost("/message", gateway.Door(context => PostMessageAsync(context, gateway)));
    }

    private static async Task OpenStreamAsync(HttpContext context, GatewayContext gateway)
    {
        var session = new LegacySseSession(SessionRegistry.NewId(), gateway.Time.GetUtcNow(), gateway.Limits.SessionQueueBytes)
        {
            Identity = Security.AuthGate.Of(context),
        };
        var reader = session.TryAttachStream(context.Abort)!;
        if (!gateway.Sessions.TryAdd(session))
        {
            await HttpIo.WriteBusyAsync(context, $"the gateway serves its maximum of {gateway.Limits.MaxSessions} sessions (see --max-sessions)").ConfigureAwait(false);
            return;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, gateway.Lifetime.ApplicationStopping);
        try
        {
            await HttpIo.StartEventStreamAsync(context).ConfigureAwait(false);
            var endpoint = $"{context.Request.PathBase}/messages?sessionId={session.Id}";
            SseStream.WriteEvent(context.Response.BodyWriter, "endpoint"u8, System.Text.Encoding.UTF8.GetBytes(endpoint));
            await context.Response.BodyWriter.FlushAsync(stop.Token).ConfigureAwait(false);
            await SseStream.PumpAsync(context.Response, reader, gateway.Options.KeepAliveInterval, gateway.Time, stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away or the gateway is stopping: the session ends either way.
        }
        finally
        {
            gateway.Sessions.Remove(session.Id);
        }
    }

    private static async Task PostMessageAsync(HttpContext context, GatewayContext gateway)
    {
        var id = context.Request.Query["sessionId"].ToString();
        if (id.Length == 0)
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.ServerError,
                "Bad Request: the sessionId query parameter is required (open GET /sse first)").ConfigureAwait(false);
            return;
        }
        var identity = Security.AuthGate.Of(context);
        // A session belongs to the identity that opened it: to anyone else it does not exist.
        if (!gateway.Sessions.TryGet(id, out var session) || session is not LegacySseSession ||
            !string.Equals(session.IdentityName, identity.Name, StringComparison.Ordinal))
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status404NotFound, JsonRpcErrorCodes.SessionNotFound,
                "Session not found: open a new GET /sse stream").ConfigureAwait(false);
            return;
        }
        if (await MessageBatch.ReadAsync(context, gateway).ConfigureAwait(false) is not { } batch)
        {
            return;
        }
        session.LastActivity = gateway.Time.GetUtcNow();
        // Refused: the answer travels where this door's answers do (the stream); the POST says it too.
        if (!await gateway.AdmitAsync(context, batch, identity, stream: session).ConfigureAwait(false))
        {
            return;
        }
        HttpIo.Accepted(context);
        _ = DeliverAsync(batch, session, identity, gateway);
    }

    /// <summary>Answers on the session's stream; runs after the POST got its 202.</summary>
    private static async Task DeliverAsync(MessageBatch batch, DownstreamSession session, Security.Identity identity, GatewayContext gateway)
    {
        byte[]? response;
        try
        {
            response = await batch.DispatchAsync(gateway.Dispatcher, session, identity, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Edge of a fire-and-forget task: answer with an error instead of losing the request.
            response = batch.IsBatch ? null : JsonRpcWriter.Error(batch.Messages[0].Id.Span, JsonRpcErrorCodes.InternalError, ex.Message);
        }
        if (response is not null)
        {
            session.TrySend(response);
        }
    }

    private static async Task PlainJsonAsync(HttpContext context, GatewayContext gateway)
    {
        if (await MessageBatch.ReadAsync(context, gateway).ConfigureAwait(false) is not { } batch)
        {
            return;
        }
        var identity = Security.AuthGate.Of(context);
        if (!await gateway.AdmitAsync(context, batch, identity).ConfigureAwait(false))
        {
            return;
        }
        var response = await batch.DispatchAsync(gateway.Dispatcher, null, identity, context.RequestAborted).ConfigureAwait(false);
        if (response is null)
        {
            HttpIo.Accepted(context);
            return;
        }
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, response).ConfigureAwait(false);
    }
}
