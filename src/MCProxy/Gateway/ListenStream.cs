using MCProxy.Protocol;

namespace MCProxy.Gateway;

/// <summary>
/// One open <c>subscriptions/listen</c> (2026-07-28). To the registry it is a session: it counts against
/// --max-sessions, list_changed reaches it through <see cref="ListChangeNotifier"/> (judged by its identity's view, as
/// for any session), resources/updated through its <see cref="DownstreamSession.Subscriptions"/>. Its one stream is
/// the POST that opened it, and it carries only what the client opted into, each message tagged with
/// <c>_meta/io.modelcontextprotocol/subscriptionId</c> (the listen request's id): anything else sent to it (a child's
/// log message, a kind not asked for) is dropped here, so no caller can leak past the filter.
/// NOTE 1: the acknowledgement must be the first message on the stream, but the gateway learns what it can grant
/// only after subscribing at the children, and a child may announce an update at once. What comes before the
/// acknowledgement is held (each distinct message once, at most <see cref="MaxHeld"/>; more are dropped: they are
/// repeats of a few notification kinds and URIs) and sent right behind it.
/// </summary>
internal sealed class ListenStream : DownstreamSession
{
    private const int MaxHeld = 128;
    private static ReadOnlySpan<byte> KeyUtf8 => "io.modelcontextprotocol/subscriptionId"u8;

    private readonly object _gate = new();
    private List<byte[]>? _held = [];

    public ListenStream(ReadOnlyMemory<byte> requestId, ListenFilter filter, DateTimeOffset now, long queueBudget)
        : base("listen-" + SessionRegistry.NewId(), now, queueBudget)
    {
        SubscriptionId = requestId.ToArray();
        Filter = filter;
    }

    public override string Transport => "streamable-http-listen";

    /// <summary>The listen request's JSON-RPC id, raw (a number or a string), which names the subscription.</summary>
    public byte[] SubscriptionId { get; }

    /// <summary>The list_changed kinds granted; resource URIs are in <see cref="DownstreamSession.Subscriptions"/>.</summary>
    public ListenFilter Filter { get; }

    public override bool TrySend(byte[] message)
    {
        if (Tag(message) is not { } tagged)
        {
            return false;
        }
        lock (_gate)
        {
            if (_held is not null)
            {
                if (_held.Count < MaxHeld && !_held.Any(h => h.AsSpan().SequenceEqual(tagged)))
                {
                    _held.Add(tagged);
                }
                return true;
            }
        }
        return base.TrySend(tagged);
    }

    /// <summary>Queues the acknowledgement (what was <paramref name="granted"/>), then what was held for it.</summary>
    public void Acknowledge(ListenFilter granted)
    {
        var ack = JsonRpcWriter.Notification("notifications/subscriptions/acknowledged", JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("notifications"u8);
            granted.Write(w);
            w.WritePropertyName("_meta"u8);
            w.WriteRawValue(Meta(), skipInputValidation: true);
            w.WriteEndObject();
        }));
        lock (_gate)
        {
            // False only when the stream is closed or over its budget: then the response is being aborted anyway.
            base.TrySend(ack);
            foreach (var held in _held ?? [])
            {
                base.TrySend(held);
            }
            _held = null;
        }
    }

    /// <summary>
    /// The answer that ends the stream gracefully (the gateway is stopping): the revision's SubscriptionsListenResult,
    /// empty but for the subscription id (and, as every 2026-07-28 result, resultType and the server's info).
    /// </summary>
    public byte[] FinalResult() =>
        StatelessRequests.MarkComplete(JsonRpcWriter.Response(SubscriptionId, JsonRpcWriter.Concat("{\"_meta\":"u8, Meta(), "}"u8)));

    private byte[] Meta() => JsonRpcWriter.Concat("{\""u8, KeyUtf8, "\":"u8, SubscriptionId, "}"u8);

    /// <summary>The message tagged with the subscription id, or null when the client did not ask for it.</summary>
    private byte[]? Tag(byte[] message)
    {
        var parsed = JsonRpcMessage.Parse(message);
        if (parsed.Kind != JsonRpcKind.Notification)
        {
            return null;
        }
        var wanted = parsed.Method switch
        {
            "notifications/tools/list_changed" => Filter.Tools,
            "notifications/prompts/list_changed" => Filter.Prompts,
            "notifications/resources/list_changed" => Filter.Resources,
            "notifications/resources/updated" => JsonSlice.GetString(parsed.Params, "uri"u8) is { } uri && Subscriptions.ContainsKey(uri),
            _ => false,
        };
        if (!wanted)
        {
            return null;
        }
        var prms = JsonSlice.IsObject(parsed.Params.Span) ? parsed.Params : "{}"u8.ToArray();
        var meta = JsonSlice.TryGetProperty(prms, "_meta"u8, out var existing) && JsonSlice.IsObject(existing.Span)
            ? JsonSlice.ReplaceProperty(existing.Span, KeyUtf8, SubscriptionId)
            : Meta();
        return JsonRpcWriter.Notification(parsed.Method!, JsonSlice.ReplaceProperty(prms.Span, "_meta"u8, meta));
    }
}
