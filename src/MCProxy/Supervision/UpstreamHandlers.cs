using MCProxy.Protocol;

namespace MCProxy.Supervision;

/// <summary>
/// Where a child's own messages go: notifications other than list changes (progress, logging, cancels,
/// resources/updated) and its server→client requests (sampling, elicitation, roots, ping). Built at the composition
/// root from the gateway's relays and handed to every supervisor through its constructor.
/// </summary>
internal sealed record UpstreamHandlers(
    Action<ServerSupervisor, JsonRpcMessage> Notification,
    Func<ServerSupervisor, JsonRpcMessage, Task<byte[]>> Request)
{
    /// <summary>Drops notifications and answers only ping: a supervisor used without a gateway (tests).</summary>
    public static readonly UpstreamHandlers None = new(
        (_, _) => { },
        (_, request) => Task.FromResult(request.Method == "ping"
            ? JsonRpcWriter.Response(request.Id.Span, "{}"u8)
            : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.MethodNotFound, $"the gateway does not relay {request.Method}")));
}
