using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;
using MCProxy.Supervision;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// The children's side of a listen stream's <c>resourceSubscriptions</c> (2026-07-28): who may name a URI, subscribing
/// at the child that serves it, and unsubscribing there when the last holder is gone.
/// NOTE 1: a child keeps one subscription per URI, whoever asked; its holders are the sessions (2025
/// resources/subscribe) and listen streams whose <see cref="DownstreamSession.Subscriptions"/> name the URI. A holder
/// is counted before the child is asked, and the last one to leave unsubscribes at the child; if a new holder came
/// meanwhile (its subscribe may have reached the child before that unsubscribe), the child is asked to subscribe again,
/// so no holder is left without updates.
/// NOTE 2: children are asked without the client's cancellation: a subscribe the client abandoned may still have
/// reached the child, and only a settled answer says whether there is something to undo.
/// </summary>
internal sealed partial class McpDispatcher
{
    /// <summary>
    /// The Forbidden answer (logged and audited, like resources/subscribe) when the identity may not read one of the
    /// URIs: updates about a resource are a way to watch it. Null when every URI passes.
    /// </summary>
    public byte[]? DenyListen(JsonRpcMessage request, ListenFilter filter, Identity identity)
    {
        foreach (var uri in filter.Uris)
        {
            if (!identity.Policy.Allows(uri))
            {
                LogDenied(_logger, identity.Name, "resource", uri);
                Audit(request, null, identity, route: null, uri, 0, AuditOutcome.Denied, 0);
                return Denied(request.Id.Span, identity, "resource", uri);
            }
        }
        return null;
    }

    /// <summary>
    /// Makes <paramref name="holder"/> hold each URI and subscribes at the child that serves it. Returns the URIs that
    /// took, in order; the others (no server serves it, the server is down or does not offer subscribe, the child
    /// refused) are dropped from the holder.
    /// </summary>
    public async Task<IReadOnlyList<string>> SubscribeAsync(DownstreamSession holder, IReadOnlyList<string> uris)
    {
        foreach (var uri in uris)
        {
            holder.Subscriptions.TryAdd(uri, 0);
        }
        var took = await Task.WhenAll(uris.Select(uri => AskChildAsync("resources/subscribe", uri))).ConfigureAwait(false);
        var granted = new List<string>(uris.Count);
        for (var i = 0; i < uris.Count; i++)
        {
            if (took[i])
            {
                granted.Add(uris[i]);
            }
            else
            {
                holder.Subscriptions.TryRemove(uris[i], out _);
            }
        }
        return granted;
    }

    /// <summary>Lets go of every URI <paramref name="holder"/> (already out of the registry) held; NOTE 1.</summary>
    public Task ReleaseAsync(DownstreamSession holder)
    {
        var uris = holder.Subscriptions.Keys.ToList();
        holder.Subscriptions.Clear();
        return Task.WhenAll(uris.Where(uri => !IsHeld(uri)).Select(ReleaseAtChildAsync));
    }

    private bool IsHeld(string uri) => _sessions.All.Any(s => s.Subscriptions.ContainsKey(uri));

    private async Task ReleaseAtChildAsync(string uri)
    {
        if (await AskChildAsync("resources/unsubscribe", uri).ConfigureAwait(false))
        {
            LogReleased(_logger, uri);
        }
        if (IsHeld(uri))
        {
            await AskChildAsync("resources/subscribe", uri).ConfigureAwait(false);
        }
    }

    /// <summary>Sends resources/subscribe or unsubscribe for one exposed URI to its child; true when it answered a result.</summary>
    private async Task<bool> AskChildAsync(string method, string uri)
    {
        var catalog = _catalog.Current;
        if (uri.StartsWith(Output.SpillStore.UriPrefix, StringComparison.Ordinal) ||
            UriCatalog.Resolve(uri, catalog.Resources, catalog.Templates) is not { } route ||
            Ready(route.Server) is not { } supervisor || !OffersSubscribe(supervisor))
        {
            return false;
        }
        var prms = JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("uri"u8, route.Tool);
            w.WriteEndObject();
        });
        try
        {
            var reply = await supervisor.RequestAsync(method, prms, CancellationToken.None).ConfigureAwait(false); // NOTE 2
            return reply.Kind == JsonRpcKind.Response;
        }
        catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException)
        {
            // The child went away or is silent: not subscribed (and a child that restarts has forgotten its subscriptions).
            LogChildSubscriptionFailed(_logger, route.Server, method, ex.Message);
            return false;
        }
    }

    private static bool OffersSubscribe(ServerSupervisor supervisor) =>
        supervisor.Status.Info is { } info && JsonSlice.TryGetProperty(info.Capabilities, "resources"u8, out var resources) &&
        JsonSlice.TryGetProperty(resources, "subscribe"u8, out var subscribe) && subscribe.Span.SequenceEqual("true"u8);

    [LoggerMessage(EventId = 530, Level = LogLevel.Debug, Message = "unsubscribed {Uri} at its server: its last listener left")]
    private static partial void LogReleased(ILogger logger, string uri);

    [LoggerMessage(EventId = 531, Level = LogLevel.Warning, Message = "[{Server}] {Method} for a listen stream failed: {Reason}")]
    private static partial void LogChildSubscriptionFailed(ILogger logger, string server, string method, string reason);
}
