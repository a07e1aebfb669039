using System.Diagnostics;
using MCProxy.Protocol;

namespace MCProxy.Telemetry;

/// <summary>
/// W3C trace context (<c>traceparent</c>, <c>tracestate</c>) in the two places MCP carries it: <c>params._meta</c> of a
/// JSON-RPC request (the MCP convention, for stdio children and for clients that send it) and HTTP headers (remote
/// upstreams). Only the relay span of <see cref="GatewayTracing"/> is ever passed on.
/// </summary>
internal static class TraceContext
{
    public const string Traceparent = "traceparent";
    public const string Tracestate = "tracestate";

    /// <summary>The trace context a client put in <c>params._meta.traceparent</c>; default when absent or malformed.</summary>
    public static ActivityContext FromMeta(ReadOnlyMemory<byte> rawParams)
    {
        if (!JsonSlice.TryGetProperty(rawParams, "_meta"u8, out var meta) || JsonSlice.GetString(meta, "traceparent"u8) is not { } traceparent)
        {
            return default;
        }
        return ActivityContext.TryParse(traceparent, JsonSlice.GetString(meta, "tracestate"u8), isRemote: true, out var context) ? context : default;
    }

    /// <summary>
    /// The params with <c>_meta.traceparent</c> (and <c>_meta.tracestate</c> when the span has one) set to the span's,
    /// every other member of <c>_meta</c> (a progress token …) kept; unchanged when the params are not an object.
    /// </summary>
    public static ReadOnlyMemory<byte> WithMeta(ReadOnlyMemory<byte> rawParams, Activity activity)
    {
        if (activity.Id is not { } id || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return rawParams;
        }
        var json = rawParams.Span.Trim(" \t\r\n"u8);
        if (json.IsEmpty || json.SequenceEqual("null"u8))
        {
            json = "{}"u8;
        }
        if (!JsonSlice.IsObject(json))
        {
            return rawParams;
        }
        var meta = JsonSlice.TryGetProperty(rawParams, "_meta"u8, out var existing) && JsonSlice.IsObject(existing.Span) ? existing.Span : "{}"u8;
        if (!JsonSlice.TryReplaceProperty(meta, "traceparent"u8, JsonRpcWriter.Quote(id), out var newMeta))
        {
            return rawParams;
        }
        if (activity.TraceStateString is { Length: > 0 } state && JsonSlice.TryReplaceProperty(newMeta, "tracestate"u8, JsonRpcWriter.Quote(state), out var withState))
        {
            newMeta = withState;
        }
        return JsonSlice.TryReplaceProperty(json, "_meta"u8, newMeta, out var result) ? result : rawParams;
    }

    /// <summary>
    /// Adds <c>traceparent</c> (and <c>tracestate</c>) to a request to a remote upstream when it is sent inside a relay
    /// span; nothing otherwise (no span, or another source's activity such as the HTTP request the gateway serves).
    /// </summary>
    public static void AddHeaders(HttpRequestMessage request)
    {
        if (Activity.Current is not { } activity || activity.Source != GatewayTracing.Source || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }
        request.Headers.Remove(Traceparent);
        request.Headers.TryAddWithoutValidation(Traceparent, activity.Id);
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            request.Headers.Remove(Tracestate);
            request.Headers.TryAddWithoutValidation(Tracestate, state);
        }
    }
}
