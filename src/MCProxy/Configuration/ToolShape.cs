namespace MCProxy.Configuration;

/// <summary>
/// How a server's tools are presented, besides which are hidden (<see cref="ToolFilter"/>): <c>rename</c>
/// (original name → exposed tool name), <c>descriptions</c> (original name or glob → text for models),
/// <c>prefix</c> (the namespace before the separator: the server's name when absent, none when empty) and
/// <c>tags</c>. NOTE 1: like the filter, not part of <see cref="ServerConfig"/>'s equality: an edit re-shapes the
/// catalogue live (one list_changed) and never restarts the server.
/// </summary>
internal sealed record ToolShape(
    IReadOnlyDictionary<string, string> Rename,
    IReadOnlyList<(Glob Pattern, string Text)> Descriptions,
    string? Prefix,
    IReadOnlyList<string> Tags)
{
    public static readonly ToolShape None = new(new Dictionary<string, string>(), [], null, []);

    /// <summary>The namespace of this server's tools and prompts: <see cref="Prefix"/>, else the server's name.</summary>
    public string PrefixFor(string server) => Prefix ?? server;

    /// <summary>The exposed tool name (before the prefix) of an original name.</summary>
    public string NameOf(string original) => Rename.TryGetValue(original, out var renamed) ? renamed : original;

    /// <summary>The configured description of an original name (an exact key wins over a glob), or null.</summary>
    public string? DescriptionOf(string original)
    {
        string? globbed = null;
        foreach (var (pattern, text) in Descriptions)
        {
            if (pattern.Pattern == original)
            {
                return text;
            }
            globbed ??= pattern.Matches(original) ? text : null;
        }
        return globbed;
    }

    public bool Equals(ToolShape? other) =>
        other is not null
        && Prefix == other.Prefix
        && Tags.SequenceEqual(other.Tags)
        && Rename.Count == other.Rename.Count && Rename.All(kv => other.Rename.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && Descriptions.Select(d => (d.Pattern.Pattern, d.Text)).SequenceEqual(other.Descriptions.Select(d => (d.Pattern.Pattern, d.Text)));

    public override int GetHashCode() => HashCode.Combine(Prefix, Tags.Count, Rename.Count, Descriptions.Count);
}
