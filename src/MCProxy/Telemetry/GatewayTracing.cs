using System.Diagnostics;
using MCProxy.Protocol;
using MCProxy.Upstreams;

namespace MCProxy.Telemetry;

/// <summary>
/// One span per relayed call (tools/call, prompts/get, resources/read) from the <c>MCProxy</c> ActivitySource, with
/// the server, the tool (prompt, URI) and the outcome, and the W3C trace context passed on to the upstream: a stdio
/// child gets it in <c>params._meta.traceparent</c>, a remote server as the <c>traceparent</c> header of the POST
/// (<see cref="TraceContext"/>).
/// NOTE 1: nothing happens unless something listens to the source (the OTLP exporter when configured, a test's
/// ActivityListener): without a listener a relayed request takes the plain path, with no state machine, no parsing
/// and no rewrite.
/// NOTE 2: the source is static (an ActivitySource is process-wide by nature); a listener in a process that hosts
/// several gateways (the functional tests) picks the calls it wants by the <c>mcproxy.server</c> tag at sampling.
/// </summary>
internal static class GatewayTracing
{
    public const string SourceName = "MCProxy";

    public static readonly ActivitySource Source = new(SourceName, McpProtocol.Version);

    /// <summary>Tags (OpenTelemetry's MCP conventions where they exist, ours under <c>mcproxy.</c>).</summary>
    public const string ServerTag = "mcproxy.server";
    public const string OutcomeTag = "mcproxy.outcome";
    public const string MethodTag = "mcp.method.name";
    public const string ToolTag = "gen_ai.tool.name";
    public const string PromptTag = "gen_ai.prompt.name";
    public const string ResourceTag = "mcp.resource.uri";

    /// <summary>Sends one request on <paramref name="channel"/>, inside a span when the call is relayed and traced (NOTE 1).</summary>
    public static Task<JsonRpcMessage> RequestAsync(IUpstreamChannel channel, string server, string method, ReadOnlyMemory<byte> rawParams,
        TimeSpan timeout, CancellationToken ct)
    {
        if (!Source.HasListeners() || method is not ("tools/call" or "prompts/get" or "resources/read"))
        {
            return channel.RequestAsync(method, rawParams, timeout, ct);
        }
        return TracedAsync(channel, server, method, rawParams, timeout, ct);
    }

    // NOTE 3: async on purpose: Activity.Current set here stays in this method's execution context, so the caller's
    // current activity is untouched when it resumes.
    private static async Task<JsonRpcMessage> TracedAsync(IUpstreamChannel channel, string server, string method, ReadOnlyMemory<byte> rawParams,
        TimeSpan timeout, CancellationToken ct)
    {
        var isResource = method == "resources/read";
        var target = JsonSlice.GetString(rawParams, isResource ? "uri"u8 : "name"u8);
        // A client that sent its own trace context in params._meta makes this span a child of its span.
        var parent = TraceContext.FromMeta(rawParams);
        using var activity = Source.StartActivity(target is null ? method : $"{method} {target}", ActivityKind.Client, parent,
            [new(ServerTag, server), new(MethodTag, method)]);
        if (activity is null)
        {
            return await channel.RequestAsync(method, rawParams, timeout, ct).ConfigureAwait(false);
        }
        if (target is not null)
        {
            activity.SetTag(isResource ? ResourceTag : method == "tools/call" ? ToolTag : PromptTag, target);
        }
        if (channel is UpstreamConnection)
        {
            rawParams = TraceContext.WithMeta(rawParams, activity);
        }
        try
        {
            var reply = await channel.RequestAsync(method, rawParams, timeout, ct).ConfigureAwait(false);
            var failed = reply.Kind != JsonRpcKind.Response ||
                         (JsonSlice.TryGetProperty(reply.Result, "isError"u8, out var isError) && isError.Span.SequenceEqual("true"u8));
            End(activity, failed ? "error" : "ok", reply.Kind == JsonRpcKind.Response ? (failed ? "tool_error" : null) : "jsonrpc_error");
            return reply;
        }
        catch (UpstreamTimeoutException)
        {
            End(activity, "timeout", "timeout");
            throw;
        }
        catch (OperationCanceledException)
        {
            End(activity, "error", "cancelled");
            throw;
        }
        catch (UpstreamUnavailableException)
        {
            End(activity, "error", "unavailable");
            throw;
        }
    }

    private static void End(Activity activity, string outcome, string? errorType)
    {
        activity.SetTag(OutcomeTag, outcome);
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }
}
