namespace MCProxy.Aggregation;

/// <summary>Everything clients can list, as one immutable snapshot swapped whole (rule 9).</summary>
internal sealed record Catalog(
    ToolCatalog Tools,
    ToolCatalog Prompts,
    UriCatalog Resources,
    UriCatalog Templates,
    CatalogCapabilities Capabilities)
{
    public static readonly Catalog Empty = new(ToolCatalog.Empty,
        ToolCatalog.Build([], [], "__", "prompts"), UriCatalog.EmptyResources, UriCatalog.EmptyTemplates, new CatalogCapabilities(false, false, false, false, false));

    /// <summary>The broadcast tools (exposed name → what it reaches); empty unless <c>"broadcast": true</c>.</summary>
    public IReadOnlyDictionary<string, BroadcastTools.Target> Broadcasts { get; init; } = new Dictionary<string, BroadcastTools.Target>();
}

/// <summary>The union of what the ready children offer, as advertised in initialize.</summary>
internal sealed record CatalogCapabilities(bool Prompts, bool Resources, bool Subscribe, bool Logging, bool Completions)
{
    /// <summary>A server offers the Tasks extension (2026-07-28, <c>extensions/io.modelcontextprotocol/tasks</c>).</summary>
    public bool Tasks { get; init; }
}
