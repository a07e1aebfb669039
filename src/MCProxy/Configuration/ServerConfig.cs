namespace MCProxy.Configuration;

/// <summary>
/// One stdio MCP server as the file describes it, after ${VAR} expansion and validation.
/// Value equality covers every field, so the reconcile diff restarts a server exactly when any field changed.
/// </summary>
internal sealed record ServerConfig
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public required string Name { get; init; }
    public required string Command { get; init; }
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>Extra environment for the child, on top of the gateway's own. Values may be secrets: never log them.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public string? Cwd { get; init; }
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Which of the child's tools anyone may see. NOTE 1: not part of equality: an edit of it re-filters the
    /// catalogue live (one list_changed) and never restarts the child.
    /// </summary>
    public ToolFilter Tools { get; init; } = ToolFilter.All;

    public bool Equals(ServerConfig? other) =>
        other is not null
        && Name == other.Name
        && Command == other.Command
        && Args.SequenceEqual(other.Args)
        && Env.Count == other.Env.Count
        && Env.All(kv => other.Env.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && Cwd == other.Cwd
        && Timeout == other.Timeout
        && Enabled == other.Enabled;

    public override int GetHashCode() => HashCode.Combine(Name, Command, Args.Count, Env.Count, Cwd, Timeout, Enabled);
}
