using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;
using MCProxy.Supervision;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// The MCP server side of the gateway, transport-independent: answers one downstream message and returns the
/// response bytes (null for notifications). Requests for a child are relayed as raw JSON: only the tool name and the
/// request id change on the way, so every field the child sends reaches the client unchanged.
/// </summary>
internal sealed partial class McpDispatcher
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    private readonly CatalogPublisher _catalog;
    private readonly ServerRegistry _servers;
    private readonly BuiltInTools _builtIn;
    private readonly string _separator;
    private readonly ProgressRouter _progress;
    private readonly ServerRequestRelay _requests;
    private readonly SessionRegistry _sessions;
    private readonly ILogger<McpDispatcher> _logger;
    private readonly int _maxInFlight;
    private readonly AuditLog _audit;
    private readonly TimeProvider _time;
    private readonly Output.ResultFilter _results;
    private readonly Disclosure.DisclosurePolicy _disclosure;
    private readonly Disclosure.MetaTools _meta;
    private readonly InputRequests _inputs;
    private readonly ParkedCalls _parked;

    public McpDispatcher(CatalogPublisher catalog, ServerRegistry servers, BuiltInTools builtIn, GatewaySeparator separator,
        ProgressRouter progress, SessionRegistry sessions, ServerRequestRelay requests, Configuration.GatewayOptions options,
        AuditLog audit, TimeProvider time, ILogger<McpDispatcher> logger, Output.ResultFilter results,
        Disclosure.DisclosurePolicy disclosure, Disclosure.MetaTools meta, InputRequests inputs, ParkedCalls parked)
    {
        _inputs = inputs;
        _parked = parked;
        // A 2025 session that ends lets go of its resources/subscribe URIs at the children (NOTE 1 of Subscriptions).
        sessions.Removed += session =>
        {
            if (!session.Subscriptions.IsEmpty)
            {
                _ = ReleaseAsync(session);
            }
        };
        _disclosure = disclosure;
        _meta = meta;
        _results = results;
        _audit = audit;
        _time = time;
        _maxInFlight = options.Limits.MaxInFlightPerSession;
        _requests = requests;
        _progress = progress;
        _sessions = sessions;
        _catalog = catalog;
        _servers = servers;
        _builtIn = builtIn;
        _separator = separator.Value;
        _logger = logger;
    }

    /// <param name="session">The client's session; null for one-shot plain JSON-RPC posts.</param>
    /// <param name="identity">Who sent it (the door authenticated it): its policy filters lists and refuses calls.</param>
    public ValueTask<byte[]?> HandleAsync(JsonRpcMessage message, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        switch (message.Kind)
        {
            case JsonRpcKind.Request:
                return HandleRequestAsync(message, session, identity, ct);
            case JsonRpcKind.Notification:
                HandleNotification(message, session);
                return ValueTask.FromResult<byte[]?>(null);
            case JsonRpcKind.Response:
            case JsonRpcKind.Error:
                // A client's answer to a server→client request the gateway relayed.
                _requests.Complete(message, session);
                return ValueTask.FromResult<byte[]?>(null);
            default:
                return ValueTask.FromResult<byte[]?>(JsonRpcWriter.Error(message.Id.Span, JsonRpcErrorCodes.InvalidRequest,
                    $"Invalid Request: {message.Problem}"));
        }
    }

    private ValueTask<byte[]?> HandleRequestAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span;
        switch (request.Method)
        {
            case "tools/call":
                return CallToolAsync(request, session, identity, ct);
            case "tools/list":
                return Done(ToolsListFor(request, session, identity));
            case "initialize":
                return Done(Initialize(request, session));
            case "server/discover":
                return Done(Discover(request));
            case "ping":
                return Done(JsonRpcWriter.Response(id, EmptyObject));
            case "logging/setLevel":
                return SetLevelAsync(request, ct);
            case "prompts/list":
                return Done(ListFor(request, identity, _catalog.Current.Prompts));
            case "prompts/get":
                return GetPromptAsync(request, session, identity, ct);
            case "resources/list":
                return Done(ListFor(request, identity, _catalog.Current.Resources));
            case "resources/templates/list":
                return Done(ListFor(request, identity, _catalog.Current.Templates));
            case "resources/read":
            case "resources/subscribe":
            case "resources/unsubscribe":
                return ResourceRequestAsync(request, session, identity, ct);
            case "completion/complete":
                return CompleteAsync(request, session, identity, ct);
            case "tasks/get":
            case "tasks/update":
            case "tasks/cancel":
                return TaskRequestAsync(request, session, identity, ct);
            default:
                return Done(JsonRpcWriter.Error(id, JsonRpcErrorCodes.MethodNotFound, $"Method not found: {request.Method}"));
        }
    }

    private static ValueTask<byte[]?> Done(byte[] response) => ValueTask.FromResult<byte[]?>(response);

    private byte[] Initialize(JsonRpcMessage request, DownstreamSession? session)
    {
        var asked = JsonSlice.GetString(request.Params, "protocolVersion"u8);
        var version = McpProtocol.IsSupported(asked) ? asked! : McpProtocol.Latest;
        if (session is not null)
        {
            session.ProtocolVersion = version;
            if (JsonSlice.TryGetProperty(request.Params, "capabilities"u8, out var declared))
            {
                session.ClientCapabilities = new[] { "sampling", "elicitation", "roots" }
                    .Where(c => JsonSlice.TryGetProperty(declared, System.Text.Encoding.UTF8.GetBytes(c), out _)).ToHashSet();
            }
        }
        LogInitialize(_logger, session?.Id ?? "-", asked ?? "?", version);
        return JsonRpcWriter.Response(request.Id.Span, JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("protocolVersion"u8, version);
            WriteCapabilities(w);
            WriteServerInfo(w);
            w.WriteString("instructions"u8, Instructions);
            w.WriteEndObject();
        }));
    }

    /// <summary>
    /// <c>server/discover</c> (2026-07-28): the versions served per request, the capabilities and instructions, and the
    /// server's identity under <c>_meta/io.modelcontextprotocol/serverInfo</c>. listChanged and resource subscribe are
    /// advertised as for initialize: a 2026-07-28 client receives them on <c>subscriptions/listen</c>.
    /// </summary>
    private byte[] Discover(JsonRpcMessage request) =>
        JsonRpcWriter.Response(request.Id.Span, JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("supportedVersions"u8);
            foreach (var version in StatelessRequests.Supported)
            {
                w.WriteStringValue(version);
            }
            w.WriteEndArray();
            WriteCapabilities(w);
            w.WriteString("instructions"u8, Instructions);
            // Capabilities differ by nothing per user, but the gateway's change with its config: not cached.
            w.WriteNumber("ttlMs"u8, 0);
            w.WriteString("cacheScope"u8, "private");
            w.WriteString("resultType"u8, "complete");
            w.WriteStartObject("_meta"u8);
            w.WritePropertyName("io.modelcontextprotocol/serverInfo"u8);
            WriteServerInfo(w, named: false);
            w.WriteEndObject();
            w.WriteEndObject();
        }));

    private string Instructions =>
        $"Tools of several MCP servers, each named <server>{_separator}<tool>. " +
        $"Call {_builtIn.StatusToolName} to see which servers are up.";

    private static void WriteServerInfo(System.Text.Json.Utf8JsonWriter w, bool named = true)
    {
        if (named)
        {
            w.WriteStartObject("serverInfo"u8);
        }
        else
        {
            w.WriteStartObject();
        }
        w.WriteString("name"u8, "mcproxy");
        w.WriteString("title"u8, "MCProxy");
        w.WriteString("version"u8, McpProtocol.Version);
        w.WriteEndObject();
    }

    /// <summary>
    /// The capabilities the children together offer, each list with listChanged (2025 sessions hear it on their
    /// stream, 2026-07-28 clients on subscriptions/listen), resources with subscribe when a child offers it.
    /// </summary>
    private void WriteCapabilities(System.Text.Json.Utf8JsonWriter w)
    {
        var offered = _catalog.Current.Capabilities;
        w.WriteStartObject("capabilities"u8);
        w.WriteStartObject("tools"u8);
        w.WriteBoolean("listChanged"u8, true);
        w.WriteEndObject();
        if (offered.Prompts)
        {
            w.WriteStartObject("prompts"u8);
            w.WriteBoolean("listChanged"u8, true);
            w.WriteEndObject();
        }
        if (offered.Resources)
        {
            w.WriteStartObject("resources"u8);
            w.WriteBoolean("subscribe"u8, offered.Subscribe);
            w.WriteBoolean("listChanged"u8, true);
            w.WriteEndObject();
        }
        if (offered.Logging)
        {
            w.WriteStartObject("logging"u8);
            w.WriteEndObject();
        }
        if (offered.Completions)
        {
            w.WriteStartObject("completions"u8);
            w.WriteEndObject();
        }
        if (offered.Tasks && InputRequests.PerRequestClient)
        {
            // Relayed to 2026-07-28 clients only: tasks/* belong to that revision.
            w.WriteStartObject("extensions"u8);
            w.WriteStartObject(TaskRelay.ExtensionUtf8);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private void HandleNotification(JsonRpcMessage notification, DownstreamSession? session)
    {
        if (notification.Method == "notifications/cancelled" && session is not null &&
            JsonSlice.TryGetProperty(notification.Params, "requestId"u8, out var requestId) &&
            session.InFlight.TryGetValue(JsonRpcWriter.IdText(requestId.Span), out var cts))
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished meanwhile: nothing to cancel.
            }
        }
        else if (notification.Method == "notifications/roots/list_changed")
        {
            if (session is not null)
            {
                _requests.RootsChanged(session);
            }
            // Children cache roots; tell each that asks roots (all do, we declare it) to ask again.
            foreach (var supervisor in _servers.Entries.Select(e => e.Supervisor).OfType<Supervision.ServerSupervisor>()
                         .Where(s => s.Status.State == Supervision.ServerState.Ready))
            {
                supervisor.TryNotify("notifications/roots/list_changed");
            }
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "session {SessionId} initialized: asked {Asked}, speaking {Version}")]
    private static partial void LogInitialize(ILogger logger, string sessionId, string asked, string version);
}
