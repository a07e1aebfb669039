using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// Routes what children announce to the downstream sessions that should hear it: progress to the calling session,
/// resources/updated to the sessions subscribed to that URI, log messages to every session (tagged with the
/// server as <c>logger</c> when the child gave none).
/// </summary>
internal sealed partial class UpstreamNotificationRouter
{
    private readonly ProgressRouter _progress;
    private readonly SessionRegistry _sessions;
    private readonly CatalogPublisher _catalog;
    private readonly ILogger<UpstreamNotificationRouter> _logger;

    private readonly ServerRequestRelay _requests;

    public UpstreamNotificationRouter(ProgressRouter progress, SessionRegistry sessions, CatalogPublisher catalog,
        SupervisorFactory factory, ServerRequestRelay requests, ILogger<UpstreamNotificationRouter> logger)
    {
        _requests = requests;
        _progress = progress;
        _sessions = sessions;
        _catalog = catalog;
        _logger = logger;
        factory.NotificationSink = Route;
    }

    private void Route(ServerSupervisor server, JsonRpcMessage message)
    {
        switch (message.Method)
        {
            case "notifications/progress":
                _progress.Deliver(message);
                break;
            case "notifications/cancelled":
                _requests.ChildCancelled(server.Name, message);
                break;
            case "notifications/message":
                var prms = message.Params.IsEmpty ? "{}"u8.ToArray() : message.Params.ToArray();
                if (!JsonSlice.TryGetProperty(prms, "logger"u8, out _))
                {
                    prms = JsonSlice.ReplaceProperty(prms, "logger"u8, JsonRpcWriter.Quote(server.Name));
                }
                _sessions.Broadcast(JsonRpcWriter.Notification("notifications/message", prms));
                break;
            case "notifications/resources/updated":
                if (JsonSlice.GetString(message.Params, "uri"u8) is { } uri)
                {
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
                }
                break;
            default:
                LogDropped(_logger, server.Name, message.Method ?? "?");
                break;
        }
    }

    [LoggerMessage(EventId = 502, Level = LogLevel.Debug, Message = "[{Server}] notification {Method} is not relayed")]
    private static partial void LogDropped(ILogger logger, string server, string method);
}
