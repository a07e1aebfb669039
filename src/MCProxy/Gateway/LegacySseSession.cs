namespace MCProxy.Gateway;

/// <summary>A legacy HTTP+SSE (2024-11-05) client: GET /sse holds the stream, POST /messages feeds requests.</summary>
internal sealed class LegacySseSession(string id, DateTimeOffset now, long queueBudget = 8 * 1024 * 1024)
    : DownstreamSession(id, now, queueBudget)
{
    public override string Transport => "sse";
}
