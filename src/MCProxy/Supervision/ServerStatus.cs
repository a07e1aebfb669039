using MCProxy.Protocol;
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

    /// <summary>A remote server's URL as anyone may see it (no userinfo, secret query values masked).</summary>
    public string? Url { get; init; }

    /// <summary>A remote server's transport once connected: <c>streamable-http</c> or <c>sse</c>.</summary>
    public string? Transport { get; init; }

    /// <summary>The last HTTP status a remote server answered.</summary>
    public int? LastHttpStatus { get; init; }
    public IReadOnlyList<UpstreamTool> Tools { get; init; } = [];
    public IReadOnlyList<UpstreamTool> Prompts { get; init; } = [];
    public IReadOnlyList<UpstreamTool> Resources { get; init; } = [];
    public IReadOnlyList<UpstreamTool> Templates { get; init; } = [];

    public ServerStatus WithItems(ListKind kind, IReadOnlyList<UpstreamTool> items) =>
        kind == ListKind.Tools ? this with { Tools = items }
        : kind == ListKind.Prompts ? this with { Prompts = items }
        : kind == ListKind.Resources ? this with { Resources = items }
        : this with { Templates = items };

    public ServerStatus WithoutItems() => this with { Tools = [], Prompts = [], Resources = [], Templates = [] };

    /// <summary>Whether the child declared a capability (e.g. "prompts", "logging", "completions").</summary>
    public bool Has(ReadOnlySpan<byte> capability) =>
        Info is { } info && Protocol.JsonSlice.TryGetProperty(info.Capabilities, capability, out _);
    public UpstreamInfo? Info { get; init; }
    public DateTimeOffset Since { get; init; }
}
