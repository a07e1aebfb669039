namespace MCProxy.Configuration;

/// <summary>
/// One MCP server as the file describes it, after ${VAR} expansion and validation: a stdio child
/// (<see cref="Command"/>) or a remote server (<see cref="Remote"/>).
/// Value equality covers every field, so the reconcile diff restarts a server exactly when any field changed.
/// </summary>
internal sealed record ServerConfig
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public required string Name { get; init; }
    /// <summary>The program of a stdio server; empty for a remote one.</summary>
    public string Command { get; init; } = "";
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>Extra environment for the child, on top of the gateway's own. Values may be secrets: never log them.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public string? Cwd { get; init; }
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    public bool Enabled { get; init; } = true;

    /// <summary>The remote server's URL, transport and credentials; null for a stdio child.</summary>
    public RemoteServer? Remote { get; init; }

    public bool IsRemote => Remote is not null;

    /// <summary>
    /// Whether a stdio child starts with the gateway's whole environment (true, the default) or only PATH, HOME,
    /// LANG, TZ, TMPDIR and USER, plus its own <see cref="Env"/> (false: no other server's secrets).
    /// </summary>
    public bool InheritEnv { get; init; } = true;

    public const string Protocol2025 = "2025-11-25";
    public const string Protocol2026 = "2026-07-28";

    /// <summary>
    /// How the server is driven: null ("auto", the default) asks <c>server/discover</c> first and initializes a
    /// server that refuses it; <see cref="Protocol2025"/> initializes at once (for a server that cannot bear an
    /// unknown method before initialize); <see cref="Protocol2026"/> requires server/discover. Part of equality.
    /// </summary>
    public string? Protocol { get; init; }

    /// <summary>Memory, CPU and open-file limits of a stdio child (<see cref="ChildLimits.None"/>: none). Part of equality.</summary>
    public ChildLimits Limits { get; init; } = ChildLimits.None;

    /// <summary>
    /// Which of the child's tools anyone may see. NOTE 1: not part of equality: an edit of it re-filters the
    /// catalogue live (one list_changed) and never restarts the child.
    /// </summary>
    public ToolFilter Tools { get; init; } = ToolFilter.All;

    /// <summary>rename, descriptions, prefix and tags: like <see cref="Tools"/>, live and outside equality.</summary>
    public ToolShape Shape { get; init; } = ToolShape.None;

    /// <summary>This server's output cap (overrides the top-level one); live, outside equality.</summary>
    public int? MaxOutputBytes { get; init; }

    /// <summary>This server's redaction (adds to the top-level one); live, outside equality.</summary>
    public RedactionConfig Redact { get; init; } = RedactionConfig.Off;

    /// <summary>
    /// Values the file gave this server through <c>${…}</c> (env, headers, credentials), at least 8 characters:
    /// the "gateway's own configured secrets" that <c>"redact": "default"</c> masks. Derived from fields that are
    /// part of equality already.
    /// </summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    public bool Equals(ServerConfig? other) =>
        other is not null
        && Name == other.Name
        && Command == other.Command
        && Args.SequenceEqual(other.Args)
        && Env.Count == other.Env.Count
        && Env.All(kv => other.Env.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && Cwd == other.Cwd
        && Timeout == other.Timeout
        && Enabled == other.Enabled
        && Equals(Remote, other.Remote)
        && InheritEnv == other.InheritEnv
        && Protocol == other.Protocol
        && Limits == other.Limits;

    public override int GetHashCode() => HashCode.Combine(Name, Command, Args.Count, Env.Count, Cwd, Timeout, Enabled);
}
