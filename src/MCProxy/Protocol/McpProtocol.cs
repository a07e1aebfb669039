namespace MCProxy.Protocol;

/// <summary>Protocol versions and names the gateway speaks, both as a client (to children) and as a server.</summary>
internal static class McpProtocol
{
    public const string Latest = "2025-11-25";

    /// <summary>
    /// Versions offered through initialize, oldest first. 2026-07-28 has no initialize: it is served per request,
    /// without a session (<see cref="Gateway.StatelessRequests"/>).
    /// </summary>
    public static readonly IReadOnlyList<string> Supported = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

    public static bool IsSupported(string? version) => version is not null && Supported.Contains(version);

    /// <summary>
    /// The client capability a server→client request needs (sampling/createMessage → sampling, elicitation/create →
    /// elicitation, roots/list → roots); null for any other method, which the gateway does not relay.
    /// </summary>
    public static string? ClientCapabilityFor(string? method) => method switch
    {
        "sampling/createMessage" => "sampling",
        "elicitation/create" => "elicitation",
        "roots/list" => "roots",
        _ => null,
    };

    public static string Version { get; } =
        typeof(McpProtocol).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0";
}
