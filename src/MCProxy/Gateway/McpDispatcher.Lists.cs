using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;
using MCProxy.Supervision;
using MCProxy.Upstreams;

namespace MCProxy.Gateway;

/// <summary>Lists (paged), prompts, resources, subscriptions, completion and logging level.</summary>
internal sealed partial class McpDispatcher
{
    private byte[] ListPageOf(JsonRpcMessage request, string arrayName, IReadOnlyList<byte[]> items, byte[] whole)
    {
        var cursor = JsonSlice.GetString(request.Params, "cursor"u8);
        return ListPage.Page(arrayName, items, whole, cursor) is { } page
            ? JsonRpcWriter.Response(request.Id.Span, page)
            : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.InvalidParams, "Invalid cursor: pass a nextCursor from a previous page");
    }

    private ValueTask<byte[]?> GetPromptAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span.ToArray();
        var name = JsonSlice.GetString(request.Params, "name"u8);
        if (name is not null && !identity.Policy.Allows(name))
        {
            LogDenied(_logger, identity.Name, "prompt", name);
            Audit(request, session, identity, route: null, name, 0, AuditOutcome.Denied, 0);
            return Done(Denied(id, identity, "prompt", name));
        }
        if (name is null || !_catalog.Current.Prompts.Routes.TryGetValue(name, out var route) || Ready(route.Server) is not { } supervisor)
        {
            return Done(JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"Unknown prompt: '{name}'. Call prompts/list for the available prompts."));
        }
        var upstreamParams = JsonSlice.ReplaceProperty(request.Params.Span, "name"u8, JsonRpcWriter.Quote(route.Tool));
        return AuditedAsync(request, session, identity, route, name,
            outcome => ForwardAsync(id, "prompts/get", supervisor, upstreamParams, session, toolResult: false, ct, outcome));
    }

    /// <summary>resources/read, subscribe and unsubscribe: routed by URI (listed, re-mapped, or from a template).</summary>
    private async ValueTask<byte[]?> ResourceRequestAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span.ToArray();
        var uri = JsonSlice.GetString(request.Params, "uri"u8);
        if (uri is not null && uri.StartsWith(Output.SpillStore.UriPrefix, StringComparison.Ordinal))
        {
            return SpilledResult(request, id, uri, session, identity);
        }
        if (uri is not null && !identity.Policy.Allows(uri))
        {
            LogDenied(_logger, identity.Name, "resource", uri);
            Audit(request, session, identity, route: null, uri, 0, AuditOutcome.Denied, 0);
            return Denied(id, identity, "resource", uri);
        }
        var catalog = _catalog.Current;
        if (uri is null || UriCatalog.Resolve(uri, catalog.Resources, catalog.Templates) is not { } route || Ready(route.Server) is not { } supervisor)
        {
            return JsonRpcWriter.Error(id, -32002, $"Resource not found: '{uri}'");
        }
        var upstreamParams = JsonSlice.ReplaceProperty(request.Params.Span, "uri"u8, JsonRpcWriter.Quote(route.Tool));
        switch (request.Method)
        {
            case "resources/subscribe":
                session?.Subscriptions.TryAdd(uri, 0);
                break;
            case "resources/unsubscribe":
                session?.Subscriptions.TryRemove(uri, out _);
                if (_sessions.All.Any(s => s.Subscriptions.ContainsKey(uri)))
                {
                    // Another client still wants updates: keep the child's subscription.
                    return JsonRpcWriter.Response(id, EmptyObject);
                }
                break;
        }
        if (request.Method == "resources/read")
        {
            return await AuditedAsync(request, session, identity, route, uri,
                outcome => ForwardAsync(id, request.Method!, supervisor, upstreamParams, session, toolResult: false, ct, outcome)).ConfigureAwait(false);
        }
        return await ForwardAsync(id, request.Method!, supervisor, upstreamParams, session, toolResult: false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// resources/read of a cut-off result (mcproxy://results/&lt;id&gt;): the full result as JSON text, for the identity
    /// whose call made it only — for anyone else it does not exist. Its owner needs no policy grant: it is its own answer.
    /// </summary>
    private byte[] SpilledResult(JsonRpcMessage request, byte[] id, string uri, DownstreamSession? session, Identity identity)
    {
        if (request.Method != "resources/read")
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "spilled results can be read, not subscribed to");
        }
        if (_results.Spill.Read(identity.Name, uri) is not { } full)
        {
            return JsonRpcWriter.Error(id, -32002, $"Resource not found: '{uri}' (spilled results expire, and belong to the caller that made them)");
        }
        var answer = JsonRpcWriter.Response(id, JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("contents"u8);
            w.WriteStartObject();
            w.WriteString("uri"u8, uri);
            w.WriteString("mimeType"u8, "application/json");
            w.WriteString("text"u8, full);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }));
        Audit(request, session, identity, new ToolRoute("", uri), uri, 0, AuditOutcome.Ok, answer.Length);
        return answer;
    }

    /// <summary>completion/complete: routed by the prompt name or resource URI in params.ref.</summary>
    private ValueTask<byte[]?> CompleteAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span.ToArray();
        var catalog = _catalog.Current;
        if (!JsonSlice.TryGetProperty(request.Params, "ref"u8, out var reference))
        {
            return Done(JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "completion/complete needs params.ref"));
        }
        var referenced = JsonSlice.GetString(reference, "name"u8) ?? JsonSlice.GetString(reference, "uri"u8);
        if (referenced is not null && !identity.Policy.Allows(referenced))
        {
            return Done(Denied(id, identity, "completion for", referenced));
        }
        ToolRoute? route = null;
        byte[]? newRef = null;
        switch (JsonSlice.GetString(reference, "type"u8))
        {
            case "ref/prompt" when JsonSlice.GetString(reference, "name"u8) is { } name && catalog.Prompts.Routes.TryGetValue(name, out var p):
                route = p;
                newRef = JsonSlice.ReplaceProperty(reference.Span, "name"u8, JsonRpcWriter.Quote(p.Tool));
                break;
            case "ref/resource" when JsonSlice.GetString(reference, "uri"u8) is { } uri:
                route = catalog.Templates.Routes.GetValueOrDefault(uri) ?? UriCatalog.Resolve(uri, catalog.Resources, catalog.Templates);
                if (route is not null)
                {
                    newRef = JsonSlice.ReplaceProperty(reference.Span, "uri"u8, JsonRpcWriter.Quote(route.Tool));
                }
                break;
        }
        if (route is null || newRef is null || Ready(route.Server) is not { } supervisor)
        {
            return Done(JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "completion/complete: unknown prompt or resource in params.ref"));
        }
        return ForwardAsync(id, "completion/complete", supervisor, JsonSlice.ReplaceProperty(request.Params.Span, "ref"u8, newRef),
            session, toolResult: false, ct);
    }

    /// <summary>
    /// logging/setLevel goes to every ready child that logs. Children are shared, so the level is per child, not per
    /// client: the last client to set it wins (documented).
    /// </summary>
    private async ValueTask<byte[]?> SetLevelAsync(JsonRpcMessage request, CancellationToken ct)
    {
        var targets = _servers.Entries.Select(e => e.Supervisor).OfType<ServerSupervisor>()
            .Where(s => s.Status.State == ServerState.Ready && s.Status.Has("logging"u8)).ToList();
        var prms = request.Params.ToArray();
        await Task.WhenAll(targets.Select(async s =>
        {
            try
            {
                await s.RequestAsync("logging/setLevel", prms, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or OperationCanceledException)
            {
                // One child that cannot take the level does not fail the request.
            }
        })).ConfigureAwait(false);
        return JsonRpcWriter.Response(request.Id.Span, EmptyObject);
    }

    private ServerSupervisor? Ready(string server) =>
        _servers.TryGet(server, out var entry) && entry.Supervisor is { Status.State: ServerState.Ready } s ? s : null;
}
