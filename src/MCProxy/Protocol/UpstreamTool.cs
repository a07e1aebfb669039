namespace MCProxy.Protocol;

/// <summary>One tool definition exactly as the child sent it (raw JSON object), plus its name for routing.</summary>
internal sealed record UpstreamTool(string Name, ReadOnlyMemory<byte> Raw);
