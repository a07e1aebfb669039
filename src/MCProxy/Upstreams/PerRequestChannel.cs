using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Upstreams;

/// <summary>
/// An upstream driven the 2026-07-28 way (it answered <c>server/discover</c>): there is no initialize, so every request
/// carries the gateway's protocol version, client capabilities and client info in <c>params._meta</c>; list_changed and
/// resource updates come only on a <c>subscriptions/listen</c> request this channel keeps open; and the methods the
/// revision removed are mapped onto what replaced them, so the relay above sees the same channel as for any child:
/// <list type="bullet">
/// <item><c>resources/subscribe</c> / <c>unsubscribe</c>: the URI joins or leaves the listen request's
/// <c>resourceSubscriptions</c>, and the listen request is opened again with the new set.</item>
/// <item><c>logging/setLevel</c>: the level travels in each later request's <c>_meta/io.modelcontextprotocol/logLevel</c>.</item>
/// <item><c>ping</c>: <c>server/discover</c>, the revision's cheapest request.</item>
/// </list>
/// </summary>
internal sealed partial class PerRequestChannel : IUpstreamChannel
{
    public const string Revision = "2026-07-28";

    private readonly IUpstreamChannel _inner;
    private readonly string _server;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly SortedSet<string> _resourceUris = new(StringComparer.Ordinal);
    private ReadOnlyMemory<byte> _capabilities;
    private CancellationTokenSource? _listen;
    private bool _closed;
    private string? _logLevel;

    public PerRequestChannel(IUpstreamChannel inner, string server, ILogger logger)
    {
        _inner = inner;
        _server = server;
        _logger = logger;
    }

    /// <summary>The keys every request to the child carries (the gateway's side of this hop).</summary>
    internal static readonly byte[] HopMeta = JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("io.modelcontextprotocol/protocolVersion"u8, Revision);
        w.WritePropertyName("io.modelcontextprotocol/clientCapabilities"u8);
        UpstreamHandshake.WriteClientCapabilities(w);
        w.WriteStartObject("io.modelcontextprotocol/clientInfo"u8);
        w.WriteString("name"u8, "mcproxy");
        w.WriteString("version"u8, McpProtocol.Version);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary>
    /// The same keys, with the Tasks extension declared in the client capabilities: sent when the calling client
    /// declared it (<see cref="CallerTakesTasks"/>), so the child may answer with a task the client will poll.
    /// </summary>
    internal static readonly byte[] HopMetaWithTasks = JsonSlice.ReplaceProperty(HopMeta, "io.modelcontextprotocol/clientCapabilities"u8,
        JsonSlice.ReplaceProperty(JsonRpcWriter.Build(UpstreamHandshake.WriteClientCapabilities), "extensions"u8,
            "{\"io.modelcontextprotocol/tasks\":{}}"u8));

    // The same keys as (name, raw value) pairs, split once: merged into a request's own _meta without parsing either again.
    private static readonly (byte[] Name, byte[] Value)[] HopMembers = Members(HopMeta);
    private static readonly (byte[] Name, byte[] Value)[] HopMembersWithTasks = Members(HopMetaWithTasks);

    private static (byte[] Name, byte[] Value)[] Members(byte[] json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject()
            .Select(m => (System.Text.Encoding.UTF8.GetBytes(m.Name), System.Text.Encoding.UTF8.GetBytes(m.Value.GetRawText())))
            .ToArray();
    }

    private static readonly AsyncLocal<bool> s_callerTakesTasks = new();

    /// <summary>True while the current call comes from a client that declared the Tasks extension (set by the gateway).</summary>
    public static bool CallerTakesTasks
    {
        get => s_callerTakesTasks.Value;
        set => s_callerTakesTasks.Value = value;
    }

    public Task<string> Closed => _inner.Closed;

    public Task<JsonRpcMessage> RequestAsync(string method, ReadOnlyMemory<byte> rawParams, TimeSpan timeout, CancellationToken ct)
    {
        switch (method)
        {
            case "resources/subscribe":
            case "resources/unsubscribe":
                if (JsonSlice.GetString(rawParams, "uri"u8) is not { Length: > 0 } uri)
                {
                    return Task.FromResult(JsonRpcMessage.LocalError(JsonRpcErrorCodes.InvalidParams, "Invalid params: 'uri' is required"));
                }
                bool changed;
                lock (_gate)
                {
                    changed = method == "resources/subscribe" ? _resourceUris.Add(uri) : _resourceUris.Remove(uri);
                }
                if (changed)
                {
                    Relisten();
                }
                return Task.FromResult(JsonRpcMessage.LocalResult("{}"u8));
            case "logging/setLevel":
                Volatile.Write(ref _logLevel, JsonSlice.GetString(rawParams, "level"u8));
                return Task.FromResult(JsonRpcMessage.LocalResult("{}"u8));
            case "ping":
                method = "server/discover";
                rawParams = default;
                break;
        }
        return _inner.RequestAsync(method, WithHopMeta(rawParams, Volatile.Read(ref _logLevel)), timeout, ct);
    }

    public void Notify(string method, ReadOnlySpan<byte> rawParams) => _inner.Notify(method, rawParams);

    public void Close(string reason)
    {
        lock (_gate)
        {
            _closed = true;
            _listen?.Cancel();
        }
        _inner.Close(reason);
    }

    public void Dispose()
    {
        Close("disposed");
        _inner.Dispose();
    }

    /// <summary>
    /// Opens the <c>subscriptions/listen</c> request for what the child's capabilities (from server/discover) offer:
    /// list_changed of tools, prompts and resources, and updates of the subscribed resources. Kept open until the
    /// channel closes; opened again whenever the set of subscribed resources changes.
    /// </summary>
    public void StartListening(ReadOnlyMemory<byte> capabilities)
    {
        _capabilities = capabilities;
        Relisten();
    }

    private void Relisten()
    {
        CancellationTokenSource next;
        byte[] prms;
        lock (_gate)
        {
            if (_closed || _capabilities.IsEmpty)
            {
                return;
            }
            _listen?.Cancel(); // the child ends the old listen request (notifications/cancelled)
            _listen = next = new CancellationTokenSource();
            prms = ListenParams(_capabilities, _resourceUris);
        }
        if (prms.Length == 0)
        {
            return;
        }
        _ = ListenAsync(prms, next);
    }

    private async Task ListenAsync(byte[] prms, CancellationTokenSource life)
    {
        try
        {
            var reply = await _inner.RequestAsync("subscriptions/listen", WithHopMeta(prms, null), Timeout.InfiniteTimeSpan, life.Token)
                .ConfigureAwait(false);
            if (reply.Kind == JsonRpcKind.Error)
            {
                LogListenRefused(_logger, _server, JsonSlice.GetString(reply.Error, "message"u8) ?? "?");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or UpstreamUnavailableException or UpstreamTimeoutException)
        {
            // Replaced by a newer listen request, or the child is gone: its supervisor starts over.
        }
        finally
        {
            life.Dispose();
        }
    }

    /// <summary>The listen request's params for what the capabilities offer; empty when they offer nothing to listen to.</summary>
    internal static byte[] ListenParams(ReadOnlyMemory<byte> capabilities, IReadOnlyCollection<string> resourceUris)
    {
        var subscribe = JsonSlice.TryGetProperty(capabilities, "resources"u8, out var r) &&
                        JsonSlice.TryGetProperty(r, "subscribe"u8, out var s) && s.Span.SequenceEqual("true"u8);
        var filter = new ListenFilter(ListChanged(capabilities, "tools"u8), ListChanged(capabilities, "prompts"u8),
            ListChanged(capabilities, "resources"u8), subscribe ? [.. resourceUris] : []);
        if (!filter.Tools && !filter.Prompts && !filter.Resources && filter.Uris.Count == 0)
        {
            return [];
        }
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("notifications"u8);
            filter.Write(w);
            w.WriteEndObject();
        });
    }

    private static bool ListChanged(ReadOnlyMemory<byte> capabilities, ReadOnlySpan<byte> kind) =>
        JsonSlice.TryGetProperty(capabilities, kind, out var c) &&
        JsonSlice.TryGetProperty(c, "listChanged"u8, out var flag) && flag.Span.SequenceEqual("true"u8);

    /// <summary>
    /// The params with the gateway's <c>io.modelcontextprotocol/*</c> keys set in <c>_meta</c> (replacing any a client
    /// sent: they describe this hop). Params that are not an object are passed on as they are: the child answers them.
    /// </summary>
    internal static ReadOnlyMemory<byte> WithHopMeta(ReadOnlyMemory<byte> rawParams, string? logLevel)
    {
        var baseHop = CallerTakesTasks ? HopMetaWithTasks : HopMeta;
        var hop = logLevel is null ? baseHop : JsonSlice.ReplaceProperty(baseHop, "io.modelcontextprotocol/logLevel"u8, JsonRpcWriter.Quote(logLevel));
        var span = rawParams.Span.Trim(" \t\r\n"u8);
        if (span.IsEmpty || span.SequenceEqual("null"u8))
        {
            return JsonRpcWriter.Concat("{\"_meta\":"u8, hop, "}"u8);
        }
        if (!JsonSlice.IsObject(span))
        {
            return rawParams;
        }
        try
        {
            if (!JsonSlice.TryGetProperty(rawParams, "_meta"u8, out var meta) || !JsonSlice.IsObject(meta.Span))
            {
                return JsonSlice.ReplaceProperty(span, "_meta"u8, hop);
            }
            var merged = meta.ToArray();
            foreach (var (name, value) in CallerTakesTasks ? HopMembersWithTasks : HopMembers)
            {
                merged = JsonSlice.ReplaceProperty(merged, name, value);
            }
            if (logLevel is not null)
            {
                merged = JsonSlice.ReplaceProperty(merged, "io.modelcontextprotocol/logLevel"u8, JsonRpcWriter.Quote(logLevel));
            }
            return JsonSlice.ReplaceProperty(span, "_meta"u8, merged);
        }
        catch (System.Text.Json.JsonException)
        {
            return rawParams;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server '{Server}' refused subscriptions/listen: {Reason}; its list changes and resource updates will not be seen")]
    private static partial void LogListenRefused(ILogger logger, string server, string reason);
}
