using MCProxy.Upstreams;

namespace MCProxy.Supervision;

/// <summary>An immutable snapshot of one server, swapped whole on every change (rule 9).</summary>
internal sealed record ServerStatus
{
    public required string Name { get; init; }
    public required ServerState State { get; init; }
    public int? Pid { get; init; }
    public int Restarts { get; init; }
    public int? ExitCode { get; init; }
    public string? LastError { get; init; }
    public IReadOnlyList<UpstreamTool> Tools { get; init; } = [];
    public UpstreamInfo? Info { get; init; }
    public DateTimeOffset Since { get; init; }
}
