namespace MCProxy.Aggregation;

/// <summary>Where an exposed tool name goes: the server and the tool's own name there.</summary>
internal sealed record ToolRoute(string Server, string Tool);
