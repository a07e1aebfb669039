namespace MCProxy.Configuration;

/// <summary>
/// The bounds that keep one client or one child from exhausting the gateway (rule 23). Each states what happens at
/// the bound; every one of them is a flag (see <c>--help</c>).
/// </summary>
internal sealed record GatewayLimits
{
    public const long MiB = 1024 * 1024;

    /// <summary>One request body (--max-body). Larger: 413.</summary>
    public long MaxBodyBytes { get; init; } = 4 * MiB;

    /// <summary>All request bodies being read at once. Beyond: 503 + Retry-After, so slow uploads cannot fill the heap.</summary>
    public long MaxBodyBytesInFlight { get; init; } = 64 * MiB;

    /// <summary>Messages in one JSON-RPC batch (--max-batch). More: -32600 for the whole batch.</summary>
    public int MaxBatch { get; init; } = 100;

    /// <summary>Live client sessions, both transports together (--max-sessions). Beyond: 503 + Retry-After.</summary>
    public int MaxSessions { get; init; } = 1000;

    /// <summary>
    /// Bytes queued for one session's streams (--max-session-queue). A client that falls this far behind is
    /// disconnected and its calls cancelled; an empty queue always takes one message, however large.
    /// </summary>
    public long SessionQueueBytes { get; init; } = 8 * MiB;

    /// <summary>Requests one session may have in flight. More: an error answer, the child is never asked.</summary>
    public int MaxInFlightPerSession { get; init; } = 256;

    /// <summary>One message from a child (--max-message). Larger: the child's connection is dropped and it restarts.</summary>
    public int MaxChildMessageBytes { get; init; } = (int)(16 * MiB);
}
