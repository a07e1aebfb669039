namespace MCProxy.Configuration;

/// <summary>
/// A server's <c>"tools": {"allow": […], "deny": […]}</c>: globs over the child's original tool names that hide
/// tools from everyone. No allow list means every tool; deny wins.
/// </summary>
internal sealed record ToolFilter(IReadOnlyList<string> Allow, IReadOnlyList<string> Deny)
{
    public static readonly ToolFilter All = new([], []);

    private readonly Glob[] _allow = Allow.Select(g => new Glob(g)).ToArray();
    private readonly Glob[] _deny = Deny.Select(g => new Glob(g)).ToArray();

    public bool Allows(string toolName) =>
        (_allow.Length == 0 || _allow.Any(g => g.Matches(toolName))) && !_deny.Any(g => g.Matches(toolName));

    public bool Equals(ToolFilter? other) => other is not null && Allow.SequenceEqual(other.Allow) && Deny.SequenceEqual(other.Deny);

    public override int GetHashCode() => HashCode.Combine(Allow.Count, Deny.Count);
}
