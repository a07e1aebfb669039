using System.Collections.Concurrent;
using MCProxy.Protocol;

namespace MCProxy.Gateway;

/// <summary>
/// Maps progress tokens per call: the child sees a gateway token (<c>"gwp-N"</c>), unique across all sessions, and
/// its notifications/progress go back to the calling session with the client's own token restored.
/// </summary>
internal sealed class ProgressRouter
{
    private readonly ConcurrentDictionary<string, (DownstreamSession Session, byte[] Token, OutboundQueue? Stream)> _routes = new(StringComparer.Ordinal);
    private long _next;

    /// <summary>Raised per relayed progress notification (gateway token, whether a stream took it); for diagnostics.</summary>
    public event Action<string, bool>? Delivered;

    /// <summary>Rewrites params._meta.progressToken when present; returns the gateway token to release, or null.</summary>
    public string? Rewrite(DownstreamSession? session, ref byte[] prms)
    {
        if (session is null || !JsonSlice.TryGetProperty(prms, "_meta"u8, out var meta) ||
            !JsonSlice.TryGetProperty(meta, "progressToken"u8, out var token))
        {
            return null;
        }
        var gatewayToken = "gwp-" + Interlocked.Increment(ref _next);
        _routes[gatewayToken] = (session, token.ToArray(), DownstreamSession.RequestStream.Value);
        var newMeta = JsonSlice.ReplaceProperty(meta.Span, "progressToken"u8, JsonRpcWriter.Quote(gatewayToken));
        prms = JsonSlice.ReplaceProperty(prms, "_meta"u8, newMeta);
        return gatewayToken;
    }

    public void Release(string? gatewayToken)
    {
        if (gatewayToken is not null)
        {
            _routes.TryRemove(gatewayToken, out _);
        }
    }

    /// <summary>Delivers a child's notifications/progress to the session that made the call. False when unknown.</summary>
    public bool Deliver(JsonRpcMessage notification)
    {
        if (JsonSlice.GetString(notification.Params, "progressToken"u8) is not { } token || !_routes.TryGetValue(token, out var route))
        {
            return false;
        }
        if (!JsonSlice.TryReplaceProperty(notification.Params.Span, "progressToken"u8, route.Token, out var prms))
        {
            return false;
        }
        var sent = route.Session.TrySendRelated(JsonRpcWriter.Notification("notifications/progress", prms), route.Stream);
        Delivered?.Invoke(token, sent);
        return sent;
    }
}
