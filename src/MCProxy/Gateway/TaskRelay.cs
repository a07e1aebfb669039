using MCProxy.Protocol;

namespace MCProxy.Gateway;

/// <summary>
/// The Tasks extension (2026-07-28, <c>io.modelcontextprotocol/tasks</c>) relayed: a server that offers it may answer a
/// tools/call from a client that declared it with a task (<c>resultType: "task"</c> and a <c>taskId</c>) instead of the
/// result, and the client then polls <c>tasks/get</c>, answers <c>tasks/update</c> and may <c>tasks/cancel</c>.
/// The gateway declares the extension to a child only for a client that declared it, and hands the client a sealed
/// task id (the server, the server's own id and the identity, under <c>MCPROXY_STATE_KEY</c>; see
/// <see cref="InputRequests"/>), so a tasks/* request finds the server that runs the task, and no other identity can
/// name it. The task itself lives in the child process that runs it: behind several replicas, a client polls the
/// replica it started on (its answers name it), or routes tasks/* by client address.
/// </summary>
internal static class TaskRelay
{
    public const string Extension = "io.modelcontextprotocol/tasks";
    public static ReadOnlySpan<byte> ExtensionUtf8 => "io.modelcontextprotocol/tasks"u8;

    /// <summary>The kind a sealed task id names in place of a tool.</summary>
    public const string SealedKind = "(task)";

    /// <summary>How long a sealed task id opens: longer than any task a server keeps.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    /// <summary>Whether raw clientCapabilities declare the Tasks extension.</summary>
    public static bool Declared(ReadOnlyMemory<byte> capabilities) =>
        JsonSlice.TryGetProperty(capabilities, "extensions"u8, out var extensions) && JsonSlice.TryGetProperty(extensions, ExtensionUtf8, out _);

    public static bool IsTask(JsonRpcMessage reply) =>
        reply.Kind == JsonRpcKind.Response && JsonSlice.GetString(reply.Result, "resultType"u8) == "task";

    /// <summary>The result with its <c>taskId</c> replaced (a sealed one toward the client, or back).</summary>
    public static JsonRpcMessage WithTaskId(JsonRpcMessage reply, string taskId) =>
        JsonRpcMessage.LocalResult(JsonSlice.ReplaceProperty(reply.Result.Span, "taskId"u8, JsonRpcWriter.Quote(taskId)));
}
