using System.Diagnostics;
using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;

namespace MCProxy.Gateway;

/// <summary>Audit records for tools/call, prompts/get and resources/read, and for every refused one.</summary>
internal sealed partial class McpDispatcher
{
    /// <summary>How a forwarded call ended, filled in by <see cref="ForwardAsync"/>.</summary>
    private sealed class CallOutcome
    {
        public AuditOutcome Value { get; private set; } = AuditOutcome.Error;

        public void Set(AuditOutcome outcome) => Value = outcome;

        /// <summary>How many secrets were masked in the answer.</summary>
        public int Redactions { get; private set; }

        public void Redacted(int count) => Redactions += count;
    }

    private async ValueTask<byte[]?> AuditedAsync(JsonRpcMessage request, DownstreamSession? session, Identity identity, ToolRoute route,
        string exposedName, Func<CallOutcome, ValueTask<byte[]?>> forward)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = new CallOutcome();
        byte[]? reply = null;
        try
        {
            reply = await forward(outcome).ConfigureAwait(false);
            return reply;
        }
        finally
        {
            Audit(request, session, identity, route, exposedName, Stopwatch.GetElapsedTime(started).TotalMilliseconds, outcome.Value,
                reply?.Length ?? 0, outcome.Redactions);
        }
    }

    private void Audit(JsonRpcMessage request, DownstreamSession? session, Identity identity, ToolRoute? route, string exposedName,
        double durationMs, AuditOutcome outcome, long bytesOut, int redactions = 0)
    {
        JsonSlice.TryGetProperty(request.Params, "arguments"u8, out var arguments);
        _audit.Write(new AuditRecord(_time.GetUtcNow(), identity.Name, session?.Id, session?.Transport ?? identity.Door ?? (InputRequests.PerRequestClient ? StatelessCall.Door : "post-sse"),
            route is { Server.Length: > 0 } ? route.Server : null, exposedName, durationMs, outcome, request.Buffer.Length, bytesOut,
            null, arguments, redactions, request.Method)); // the log hashes the arguments only if anyone reads the record
    }
}
