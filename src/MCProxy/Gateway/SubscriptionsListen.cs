using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// <c>subscriptions/listen</c> on the 2026-07-28 door: the POST is answered with a long-lived text/event-stream whose
/// first message is <c>notifications/subscriptions/acknowledged</c> (what the gateway agreed to deliver), followed by
/// the list_changed kinds and resources/updated URIs the client opted into, each tagged with the listen request's id
/// as <c>_meta/io.modelcontextprotocol/subscriptionId</c> (<see cref="ListenStream"/>).
/// Granted: every list_changed kind asked for (the merged lists can change at any reload, even a list that is empty
/// today), and each resource URI whose child took the subscription; a URI no server serves, or whose server is down or
/// offers no subscribe, is left out of the acknowledgement. A URI the caller's identity may not read refuses the
/// whole request (-32003), before anything is subscribed.
/// Ends: when the client goes away (abruptly: nothing more is written), when the session bounds drop it (identity
/// gone from the auth section, queue budget overrun), or at gateway shutdown with the revision's
/// SubscriptionsListenResult (<c>resultType: complete</c>, the subscription id in <c>_meta</c>). Every end lets go
/// of its upstream subscriptions (<see cref="McpDispatcher.ReleaseAsync"/>) except at shutdown, when the children
/// are being stopped anyway.
/// Bounds: each open stream counts as a session against --max-sessions (beyond: 503 + Retry-After with a JSON-RPC
/// error); its queue is a session queue (--max-session-queue: a client that stops reading is disconnected);
/// <see cref="ListenFilter.MaxUris"/> URIs per stream.
/// </summary>
internal static partial class SubscriptionsListen
{
    public const string Method = "subscriptions/listen";

    public static async Task ServeAsync(HttpContext context, GatewayContext gateway, JsonRpcMessage request, Security.Identity identity)
    {
        var id = request.Id;
        if (ListenFilter.Parse(request.Params, out var problem) is not { } asked)
        {
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK,
                JsonRpcWriter.Error(id.Span, JsonRpcErrorCodes.InvalidParams, $"Invalid params: {problem}")).ConfigureAwait(false);
            return;
        }
        if (gateway.Dispatcher.DenyListen(request, asked, identity) is { } denied)
        {
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, denied).ConfigureAwait(false);
            return;
        }
        var stream = new ListenStream(id, asked with { Uris = [] }, gateway.Time.GetUtcNow(), gateway.Limits.SessionQueueBytes) { Identity = identity };
        var reader = stream.TryAttachStream(context.Abort)!; // attached before the registry can reach (and close) it: cannot fail
        if (!gateway.Sessions.TryAdd(stream))
        {
            stream.DetachStream(reader);
            context.Response.Headers.RetryAfter = "1";
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status503ServiceUnavailable, JsonRpcWriter.Error(id.Span, JsonRpcErrorCodes.ServerError,
                $"Service Unavailable: the gateway serves its maximum of {gateway.Limits.MaxSessions} sessions and listen streams " +
                "(see --max-sessions); retry later")).ConfigureAwait(false);
            return;
        }
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SubscriptionsListen));
        var stopping = gateway.Lifetime.ApplicationStopping;
        try
        {
            var granted = await gateway.Dispatcher.SubscribeAsync(stream, asked.Uris).ConfigureAwait(false);
            await HttpIo.StartEventStreamAsync(context).ConfigureAwait(false);
            stream.Acknowledge(asked with { Uris = granted });
            LogOpened(logger, stream.Id, identity.Name, granted.Count);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            try
            {
                await SseStream.PumpAsync(context.Response, reader, gateway.Options.KeepAliveInterval, gateway.Time, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
            {
                // A graceful end: what is queued, then the result that closes the subscription.
                var body = context.Response.BodyWriter;
                while (reader.TryRead(out var message))
                {
                    SseStream.WriteEvent(body, "message"u8, message);
                }
                SseStream.WriteEvent(body, "message"u8, stream.FinalResult());
                await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away, or the registry dropped the stream (its response was aborted).
        }
        finally
        {
            // Detached first, so that ending the session does not abort a response that was finished gracefully.
            stream.DetachStream(reader);
            gateway.Sessions.Remove(stream.Id);
            if (!stopping.IsCancellationRequested)
            {
                await gateway.Dispatcher.ReleaseAsync(stream).ConfigureAwait(false);
            }
            LogClosed(logger, stream.Id);
        }
    }

    [LoggerMessage(EventId = 532, Level = LogLevel.Debug, Message = "listen stream {StreamId} opened for identity {Identity} ({Uris} resource subscriptions)")]
    private static partial void LogOpened(ILogger logger, string streamId, string identity, int uris);

    [LoggerMessage(EventId = 533, Level = LogLevel.Debug, Message = "listen stream {StreamId} closed")]
    private static partial void LogClosed(ILogger logger, string streamId);
}
