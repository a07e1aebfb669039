using MCProxy.Protocol;
using MCProxy.Security;

namespace MCProxy.Gateway;

internal sealed partial class McpDispatcher
{
    /// <summary>
    /// tasks/get, tasks/update, tasks/cancel (the Tasks extension, <see cref="TaskRelay"/>): the sealed task id names
    /// the server and its own id; the answer goes back with the sealed id in place of the server's.
    /// </summary>
    private async ValueTask<byte[]?> TaskRequestAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, CancellationToken ct)
    {
        var id = request.Id.Span.ToArray();
        var handle = JsonSlice.GetString(request.Params, "taskId"u8);
        if (string.IsNullOrEmpty(handle))
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"Invalid params: {request.Method} needs params.taskId");
        }
        if (!_inputs.TryOpenTask(handle, identity.Name, out var server, out var childTask, out var problem) || childTask is null)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"Invalid params: {problem ?? "taskId names no task"}");
        }
        if (Ready(server) is not { } supervisor)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InternalError, $"server '{server}', which runs this task, is not ready");
        }
        var upstreamParams = JsonSlice.ReplaceProperty(request.Params.Span, "taskId"u8, JsonRpcWriter.Quote(childTask));
        var answer = await ForwardAsync(id, request.Method!, supervisor, upstreamParams, session, toolResult: false, ct).ConfigureAwait(false);
        if (answer is null)
        {
            return null;
        }
        var reply = JsonRpcMessage.Parse(answer);
        return reply.Kind == JsonRpcKind.Response && JsonSlice.IsObject(reply.Result.Span) && JsonSlice.TryGetProperty(reply.Result, "taskId"u8, out _)
            ? JsonRpcWriter.Response(id, JsonSlice.ReplaceProperty(reply.Result.Span, "taskId"u8, JsonRpcWriter.Quote(handle)))
            : answer;
    }
}
