using System.Text.Json;
using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Gateway;

/// <summary>
/// The 2026-07-28 revision on <c>/mcp</c>: no initialize and no Mcp-Session-Id; each request carries its protocol
/// version and client capabilities in <c>params._meta</c> (keys <c>io.modelcontextprotocol/…</c>) and names itself in
/// the routing headers <c>Mcp-Method</c> and <c>Mcp-Name</c>. Such a POST is served on its own, with no session:
/// checked here, answered by the same dispatcher as 2025 sessions, its result marked <c>resultType: complete</c>.
/// Answers are plain JSON, or an event stream when the call asks for progress. <c>subscriptions/listen</c> holds its
/// POST open as the client's notification stream (<see cref="SubscriptionsListen"/>), in place of the 2025 GET stream
/// and resources/subscribe. A child's need for input becomes an input-required result (<see cref="InputRequests"/>,
/// <see cref="ParkedCalls"/>), and a child's task a sealed task id (<see cref="TaskRelay"/>). Not carried yet:
/// <c>_meta/io.modelcontextprotocol/logLevel</c> (a child's log messages go to 2025 sessions only).
/// </summary>
internal static class StatelessRequests
{
    public const string Revision = "2026-07-28";
    public const string MethodHeader = "Mcp-Method";
    public const string NameHeader = "Mcp-Name";

    /// <summary>Versions served per request (without initialize), as <c>server/discover</c> lists them.</summary>
    public static readonly IReadOnlyList<string> Supported = [Revision];

    // Error codes of the 2026-07-28 revision (the C# SDK 2.4.0 McpErrorCode values).
    public const int HeaderMismatch = -32020;
    public const int MissingRequiredClientCapability = -32021;
    public const int UnsupportedProtocolVersion = -32022;

    private static ReadOnlySpan<byte> VersionKey => "io.modelcontextprotocol/protocolVersion"u8;
    private static ReadOnlySpan<byte> CapabilitiesKey => "io.modelcontextprotocol/clientCapabilities"u8;

    /// <summary>
    /// Whether a POST that names no session belongs to the per-request era: its MCP-Protocol-Version header is
    /// 2026-07-28 or later, or a message declares its version in <c>_meta</c>, or it is <c>server/discover</c>.
    /// initialize always starts a 2025 session.
    /// </summary>
    public static bool Applies(HttpRequest request, MessageBatch batch)
    {
        if (batch.Contains("initialize"))
        {
            return false;
        }
        var header = request.Headers[StreamableHttpEndpoints.ProtocolHeader].ToString();
        if (header.Length > 0 && string.CompareOrdinal(header, Revision) >= 0)
        {
            return true;
        }
        return batch.Messages.Any(m => m.Method == "server/discover" || MetaVersion(m) is not null);
    }

    /// <summary>
    /// GET and DELETE name a session; a 2026-07-28 client has none (its notifications come on subscriptions/listen).
    /// Such a request, with no Mcp-Session-Id and a per-request-era MCP-Protocol-Version, gets 405 Allow: POST (as the
    /// SDK's stateless server answers). True when it was answered.
    /// </summary>
    public static bool RefuseSessionVerb(HttpContext context)
    {
        var request = context.Request;
        var header = request.Headers[StreamableHttpEndpoints.ProtocolHeader].ToString();
        if (request.Headers[StreamableHttpEndpoints.SessionHeader].Count > 0 || header.Length == 0 || string.CompareOrdinal(header, Revision) < 0)
        {
            return false;
        }
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = "POST";
        context.Response.ContentLength = 0;
        return true;
    }

    /// <summary>Serves one stateless POST: checks it, dispatches it without a session, answers JSON, an event stream or 202.</summary>
    public static async Task ServeAsync(HttpContext context, GatewayContext gateway, MessageBatch batch)
    {
        if (batch.IsBatch)
        {
            await HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.InvalidRequest,
                $"Invalid Request: JSON-RPC batches are not part of the {Revision} revision; send one message per POST").ConfigureAwait(false);
            return;
        }
        var message = batch.Messages[0];
        if (Check(context.Request, message) is { } refusal)
        {
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status400BadRequest, refusal).ConfigureAwait(false);
            return;
        }
        var identity = Security.AuthGate.Of(context);
        if (!batch.HasRequests)
        {
            await batch.DispatchAsync(gateway.Dispatcher, null, identity, context.RequestAborted).ConfigureAwait(false);
            HttpIo.Accepted(context);
            return;
        }
        if (!await gateway.AdmitAsync(context, batch, identity).ConfigureAwait(false))
        {
            return;
        }
        if (message.Method == SubscriptionsListen.Method)
        {
            await SubscriptionsListen.ServeAsync(context, gateway, message, identity).ConfigureAwait(false);
            return;
        }
        if (message.Method is "logging/setLevel" or "resources/subscribe" or "resources/unsubscribe")
        {
            var instead = message.Method == "logging/setLevel" ? "" : $"; use {SubscriptionsListen.Method} with resourceSubscriptions";
            await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, JsonRpcWriter.Error(message.Id.Span, JsonRpcErrorCodes.MethodNotFound,
                $"Method not found: {message.Method} is not part of the {Revision} revision{instead}")).ConfigureAwait(false);
            return;
        }
        var forwarded = WithoutHopMeta(message);
        // A child's input_required reaches this client as it is (sealed); a 2025 child's questions park its call.
        InputRequests.PerRequestClient = true;
        InputRequests.ClientCapabilities = TryGetMeta(message, out var hop) && JsonSlice.TryGetProperty(hop, CapabilitiesKey, out var declared)
            ? declared : default;
        Upstreams.PerRequestChannel.CallerTakesTasks = TaskRelay.Declared(InputRequests.ClientCapabilities);
        if (WantsProgress(forwarded))
        {
            // Progress rides this POST's own event stream, through a call-scoped session nobody else can name.
            var call = new StatelessCall(gateway.Time.GetUtcNow(), gateway.Limits.SessionQueueBytes) { Identity = identity };
            try
            {
                await StreamableHttpEndpoints.AnswerAsEventStreamAsync(context, gateway, MessageBatch.Parse(forwarded.Buffer.ToArray()), call,
                    identity, answer => Finish(message, answer)).ConfigureAwait(false);
            }
            finally
            {
                call.Close();
            }
            return;
        }
        var response = await gateway.Dispatcher.HandleAsync(forwarded, null, identity, context.RequestAborted).ConfigureAwait(false);
        if (response is null)
        {
            HttpIo.Accepted(context);
            return;
        }
        await HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, Finish(message, response)).ConfigureAwait(false);
    }

    /// <summary>A call whose answer may be preceded by progress (its <c>_meta</c> carries a progressToken).</summary>
    private static bool WantsProgress(JsonRpcMessage request) =>
        request.Method is "tools/call" or "prompts/get" or "resources/read" or "completion/complete" &&
        TryGetMeta(request, out var meta) && JsonSlice.TryGetProperty(meta, "progressToken"u8, out _);

    /// <summary>
    /// The request without the <c>io.modelcontextprotocol/*</c> keys of its <c>_meta</c>: they describe this hop
    /// (the client's version and capabilities toward the gateway), not the gateway's own link to the child, which
    /// may speak another revision. Other keys (progressToken, vendor keys) travel on.
    /// </summary>
    internal static JsonRpcMessage WithoutHopMeta(JsonRpcMessage message)
    {
        if (message.Kind != JsonRpcKind.Request || !TryGetMeta(message, out var meta))
        {
            return message;
        }
        using var document = JsonDocument.Parse(meta);
        var kept = JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (!member.Name.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal))
                {
                    member.WriteTo(w);
                }
            }
            w.WriteEndObject();
        });
        var prms = kept.Length == 2 ? RemoveMeta(message.Params.Span) : JsonSlice.ReplaceProperty(message.Params.Span, "_meta"u8, kept);
        return JsonRpcMessage.Parse(JsonRpcWriter.Request(message.Id.Span, message.Method!, prms));
    }

    private static byte[] RemoveMeta(ReadOnlySpan<byte> prms)
    {
        using var document = JsonDocument.Parse(prms.ToArray());
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (member.Name != "_meta")
                {
                    member.WriteTo(w);
                }
            }
            w.WriteEndObject();
        });
    }

    /// <summary>
    /// The answer as the revision wants it: a result marked complete and carrying the gateway's serverInfo in its
    /// <c>_meta</c>; an unknown resource reported as -32602 (the revision retired -32002).
    /// </summary>
    private static byte[] Finish(JsonRpcMessage request, byte[] response)
    {
        var parsed = JsonRpcMessage.Parse(response);
        if (parsed.Kind == JsonRpcKind.Error && request.Method == "resources/read" &&
            JsonSlice.TryGetProperty(parsed.Error, "code"u8, out var code) && code.Span.SequenceEqual("-32002"u8) &&
            JsonSlice.TryReplaceProperty(parsed.Error.Span, "code"u8, "-32602"u8, out var error))
        {
            return JsonRpcWriter.RawError(parsed.Id.Span, error);
        }
        if (request.Method is "tools/list" or "prompts/list" or "resources/list" or "resources/templates/list" or "resources/read")
        {
            response = Uncacheable(response);
        }
        return MarkComplete(response);
    }

    /// <summary>
    /// A list (or a read) answered to one identity: <c>cacheScope: private</c>, since a caching proxy must never hand one
    /// identity's policy-filtered list to another (an absent scope means public), and <c>ttlMs: 0</c>: the lists
    /// change with every config edit and child restart, announced on <c>subscriptions/listen</c>. A child's own
    /// values for a read are kept.
    /// </summary>
    internal static byte[] Uncacheable(byte[] response) => EditResult(response, result =>
        WithDefault(WithDefault(result, "ttlMs"u8, "0"u8), "cacheScope"u8, "\"private\""u8));

    /// <summary>A successful answer with its result object rewritten; anything else (an error, a result that is not an object) as it was.</summary>
    private static byte[] EditResult(byte[] response, Func<byte[], byte[]> edit)
    {
        var parsed = JsonRpcMessage.Parse(response);
        return parsed.Kind != JsonRpcKind.Response || !JsonSlice.IsObject(parsed.Result.Span)
            ? response
            : JsonRpcWriter.Response(parsed.Id.Span, edit(parsed.Result.ToArray()));
    }

    /// <summary>The object with <paramref name="name"/> set to <paramref name="value"/> unless it has that member.</summary>
    private static byte[] WithDefault(byte[] json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        JsonSlice.TryGetProperty(json, name, out _) ? json : JsonSlice.ReplaceProperty(json, name, value);

    /// <summary>
    /// The revision's checks, in order: the version in <c>_meta</c> (-32602 when absent), a version we serve
    /// (-32022 with <c>supported</c> and <c>requested</c>), the MCP-Protocol-Version header equal to it, Mcp-Method
    /// present and equal to the body's method, Mcp-Name for tools/call and prompts/get (params.name) and resources/read
    /// (params.uri) (all -32020), and for requests a <c>clientCapabilities</c> object (-32602). Null when it passes.
    /// </summary>
    internal static byte[]? Check(HttpRequest http, JsonRpcMessage message)
    {
        var id = message.Id.Span;
        var isRequest = message.Kind == JsonRpcKind.Request;
        if (message.Kind is JsonRpcKind.Request or JsonRpcKind.Notification)
        {
            var version = MetaVersion(message);
            if (version is null && isRequest)
            {
                return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams,
                    $"Invalid params: requests without a session must carry the protocol version in '_meta/io.modelcontextprotocol/protocolVersion' ({Revision} or later), or initialize first");
            }
            var header = http.Headers[StreamableHttpEndpoints.ProtocolHeader].ToString();
            var declared = version ?? header;
            if (declared.Length > 0 && !Supported.Contains(declared))
            {
                return UnsupportedVersion(id, declared);
            }
            if (version is not null && header.Length > 0 && header != version)
            {
                return JsonRpcWriter.Error(id, HeaderMismatch,
                    $"Header mismatch: {StreamableHttpEndpoints.ProtocolHeader} header '{header}' does not match '_meta/io.modelcontextprotocol/protocolVersion' '{version}'");
            }
            if (RoutingHeaderProblem(http, message) is { } problem)
            {
                return JsonRpcWriter.Error(id, HeaderMismatch, problem);
            }
            if (isRequest && !(TryGetMeta(message, out var meta) && JsonSlice.TryGetProperty(meta, CapabilitiesKey, out var caps) &&
                               JsonSlice.IsObject(caps.Span)))
            {
                return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams,
                    $"Invalid params: requests using protocol version '{Revision}' must carry '_meta/io.modelcontextprotocol/clientCapabilities' as a JSON object");
            }
        }
        return null;
    }

    private static string? RoutingHeaderProblem(HttpRequest http, JsonRpcMessage message)
    {
        var method = http.Headers[MethodHeader].ToString();
        if (method.Length == 0)
        {
            return $"Header mismatch: the {MethodHeader} header is required";
        }
        if (method != message.Method)
        {
            return $"Header mismatch: {MethodHeader} header '{method}' does not match the body's method '{message.Method}'";
        }
        var nameMember = message.Method switch
        {
            "tools/call" or "prompts/get" => "name",
            "resources/read" => "uri",
            _ => null,
        };
        if (nameMember is null)
        {
            return null;
        }
        var name = http.Headers[NameHeader].ToString();
        var body = JsonSlice.GetString(message.Params, System.Text.Encoding.UTF8.GetBytes(nameMember));
        if (name.Length == 0)
        {
            return $"Header mismatch: the {NameHeader} header is required for {message.Method}";
        }
        if (name != body && DecodeBase64Header(name) != body)
        {
            return $"Header mismatch: {NameHeader} header '{name}' does not match params.{nameMember} '{body}'";
        }
        return null;
    }

    /// <summary>A header value that cannot travel as plain ASCII is sent as <c>=?base64?…?=</c>.</summary>
    private static string? DecodeBase64Header(string value)
    {
        if (!value.StartsWith("=?base64?", StringComparison.OrdinalIgnoreCase) || !value.EndsWith("?=", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(value["=?base64?".Length..^2]));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] UnsupportedVersion(ReadOnlySpan<byte> id, string requested)
    {
        var error = JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("code"u8, UnsupportedProtocolVersion);
            w.WriteString("message"u8, $"Unsupported protocol version '{requested}' (per-request versions served: {string.Join(", ", Supported)}; " +
                                       $"initialize serves {string.Join(", ", McpProtocol.Supported)})");
            w.WriteStartObject("data"u8);
            w.WriteStartArray("supported"u8);
            foreach (var version in Supported)
            {
                w.WriteStringValue(version);
            }
            w.WriteEndArray();
            w.WriteString("requested"u8, requested);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return JsonRpcWriter.RawError(id, error);
    }

    private static bool TryGetMeta(JsonRpcMessage message, out ReadOnlyMemory<byte> meta) =>
        JsonSlice.TryGetProperty(message.Params, "_meta"u8, out meta) && JsonSlice.IsObject(meta.Span);

    /// <summary>The message's <c>_meta/io.modelcontextprotocol/protocolVersion</c>, or null.</summary>
    public static string? MetaVersion(JsonRpcMessage message) =>
        message.Kind is JsonRpcKind.Request or JsonRpcKind.Notification && TryGetMeta(message, out var meta)
            ? JsonSlice.GetString(meta, VersionKey)
            : null;

    private static readonly byte[] ServerInfo =
        System.Text.Encoding.UTF8.GetBytes($"{{\"name\":\"mcproxy\",\"title\":\"MCProxy\",\"version\":{System.Text.Encoding.UTF8.GetString(JsonRpcWriter.Quote(McpProtocol.Version))}}}");

    /// <summary>
    /// A successful answer with <c>resultType: "complete"</c> added to its result (unless it has one) and the
    /// gateway's identity under <c>_meta/io.modelcontextprotocol/serverInfo</c>: the client talks to the gateway, so a
    /// 2026-07-28 child's own serverInfo in a relayed result is replaced (the child is named in /health and the status).
    /// </summary>
    internal static byte[] MarkComplete(byte[] response) => EditResult(response, result =>
    {
        result = WithDefault(result, "resultType"u8, "\"complete\""u8);
        if (!JsonSlice.TryGetProperty(result, "_meta"u8, out var meta))
        {
            return JsonSlice.ReplaceProperty(result, "_meta"u8, JsonRpcWriter.Concat("{\"io.modelcontextprotocol/serverInfo\":"u8, ServerInfo, "}"u8));
        }
        return JsonSlice.IsObject(meta.Span)
            ? JsonSlice.ReplaceProperty(result, "_meta"u8, JsonSlice.ReplaceProperty(meta.Span, "io.modelcontextprotocol/serverInfo"u8, ServerInfo))
            : result;
    });
}

/// <summary>
/// One stateless request that streams (progress before its answer): a session in name only, never registered, so no
/// other request can reach it; it ends with the POST.
/// </summary>
internal sealed class StatelessCall(DateTimeOffset now, long queueBudget)
    : DownstreamSession("stateless-" + SessionRegistry.NewId(), now, queueBudget)
{
    /// <summary>How the audit names a 2026-07-28 client's session-less POST on /mcp.</summary>
    public const string Door = "streamable-http-stateless";

    public override string Transport => Door;
}
