using MCProxy.Configuration;

namespace MCProxy.Reconciliation;

/// <summary>The pure half of reconciling (rule 7): compares what runs with what the file now says. No I/O.</summary>
internal static class ConfigDiff
{
    /// <param name="actual">Definition in force per server name (what was last applied).</param>
    /// <param name="desired">The newly loaded file.</param>
    public static ReconcilePlan Compute(IReadOnlyDictionary<string, ServerDefinition> actual, GatewayConfig desired)
    {
        var add = new List<ServerDefinition>();
        var restart = new List<ServerDefinition>();
        var unchanged = new List<string>();
        var invalidKept = new List<ServerDefinition>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var next in desired.Servers)
        {
            seen.Add(next.Name);
            if (!actual.TryGetValue(next.Name, out var current))
            {
                add.Add(next);
            }
            else if (current.Equals(next))
            {
                unchanged.Add(next.Name);
            }
            else if (!next.IsValid && current.Config is { Enabled: true })
            {
                // A running server whose new entry alone is invalid keeps its last good instance (rule 5).
                invalidKept.Add(next);
            }
            else
            {
                restart.Add(next);
            }
        }
        var remove = actual.Keys.Where(name => !seen.Contains(name)).Order(StringComparer.Ordinal).ToList();
        return new ReconcilePlan(add, remove, restart, unchanged, invalidKept);
    }
}
