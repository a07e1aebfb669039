using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// Routes what children announce to the downstream sessions that should hear it: progress to the calling session,
/// resources/updated to the sessions subscribed to that URI, log messages to every session (tagged with the
/// server as <c>logger</c> when the child gave none).
/// NOTE 1: runs on a child's reader thread and takes whatever the child wrote: params of any JSON type (or none),
/// so every shape this router cannot use is dropped with a rate-limited warning, and a last-resort catch keeps
/// any surprise on this side of the reader.
/// </summary>
internal sealed partial class UpstreamNotificationRouter
{
    private readonly ProgressRouter _progress;
    private readonly SessionRegistry _sessions;
    private readonly CatalogPublisher _catalog;
    private readonly ServerRequestRelay _requests;
    private readonly ILogger<UpstreamNotificationRouter> _logger;
    private readonly LogThrottle _throttle;

    public UpstreamNotificationRouter(ProgressRouter progress, SessionRegistry sessions, CatalogPublisher catalog,
        ServerRequestRelay requests, TimeProvider time, ILogger<UpstreamNotificationRouter> logger)
    {
        _requests = requests;
        _progress = progress;
        _sessions = sessions;
        _catalog = catalog;
        _logger = logger;
        _throttle = new LogThrottle(time, 10, TimeSpan.FromSeconds(10));
    }

    public void Route(ServerSupervisor server, JsonRpcMessage message)
    {
        try
        {
            RouteCore(server, message);
        }
        catch (Exception ex)
        {
            Drop(server.Name, message.Method, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private void RouteCore(ServerSupervisor server, JsonRpcMessage message)
    {
        switch (message.Method)
        {
            case "notifications/progress":
                if (!_progress.Deliver(message))
                {
                    LogDropped(_logger, server.Name, message.Method);
                }
                break;
            case "notifications/cancelled":
                _requests.ChildCancelled(server.Name, message);
                break;
            case "notifications/message":
                var prms = message.Params.IsEmpty ? "{}"u8.ToArray() : message.Params.ToArray();
                if (!JsonSlice.IsObject(prms))
                {
                    Drop(server.Name, message.Method, "params is not an object");
                    return;
                }
                if (!JsonSlice.TryGetProperty(prms, "logger"u8, out _))
                {
                    prms = JsonSlice.ReplaceProperty(prms, "logger"u8, JsonRpcWriter.Quote(server.Name));
                }
                _sessions.Broadcast(JsonRpcWriter.Notification("notifications/message", prms));
                break;
            case "notifications/resources/updated":
                if (JsonSlice.GetString(message.Params, "uri"u8) is not { } uri)
                {
                    Drop(server.Name, message.Method, "params.uri is not a string");
                    return;
                }
                var exposed = _catalog.Current.Resources.Routes.FirstOrDefault(r => r.Value.Server == server.Name && r.Value.Tool == uri).Key ?? uri;
                var updated = JsonRpcWriter.Notification("notifications/resources/updated",
                    JsonSlice.ReplaceProperty(message.Params.Span, "uri"u8, JsonRpcWriter.Quote(exposed)));
                foreach (var session in _sessions.All)
                {
                    if (session.Subscriptions.ContainsKey(exposed))
                    {
                        session.TrySend(updated);
                    }
                }
                break;
            default:
                LogDropped(_logger, server.Name, message.Method ?? "?");
                break;
        }
    }

    private void Drop(string server, string? method, string why)
    {
        if (_throttle.TryPass(out var suppressed))
        {
            LogMalformed(_logger, server, method ?? "?", why, suppressed);
        }
    }

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "[{Server}] notification {Method} is not relayed")]
    private static partial void LogDropped(ILogger logger, string server, string method);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "[{Server}] sent {Method} in a shape the gateway cannot relay ({Why}); dropped ({Suppressed} more dropped unlogged before it)")]
    private static partial void LogMalformed(ILogger logger, string server, string method, string why, int suppressed);
}
