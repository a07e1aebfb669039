namespace MCProxy.Gateway;

/// <summary>A Streamable HTTP client session (Mcp-Session-Id); its optional GET stream carries notifications.</summary>
internal sealed class StreamableSession(string id, DateTimeOffset now, long queueBudget = 8 * 1024 * 1024)
    : DownstreamSession(id, now, queueBudget)
{
    public override string Transport => "streamable-http";
}
