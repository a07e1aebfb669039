namespace MCProxy.Gateway;

/// <summary>A Streamable HTTP client session (Mcp-Session-Id); its optional GET stream carries notifications.</summary>
internal sealed class StreamableSession(string id, DateTimeOffset now) : DownstreamSession(id, now)
{
    public override string Transport => "streamable-http";
}
