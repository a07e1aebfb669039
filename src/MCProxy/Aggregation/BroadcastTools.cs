using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using MCProxy.Configuration;
using MCProxy.Protocol;

namespace MCProxy.Aggregation;

/// <summary>
/// With top-level <c>"broadcast": true</c>: <c>broadcast__&lt;tool&gt;</c> for every original tool name two or more
/// servers expose, and <c>broadcast__by_tag__&lt;tag&gt;__&lt;tool&gt;</c> for the servers carrying a tag. A call goes
/// to all of them at once (the dispatcher runs it); each definition is the first server's, renamed and described.
/// </summary>
internal static class BroadcastTools
{
    public const string Prefix = "broadcast";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One broadcast tool: its exposed name, the original tool name and the servers it reaches (in catalogue order).</summary>
    internal sealed record Target(string Name, string Tool, IReadOnlyList<string> Servers);

    /// <param name="servers">Ready servers (after their tool filter) with their tools, and each server's tags.</param>
    public static (IReadOnlyList<(string Name, byte[] Raw)> Definitions, IReadOnlyDictionary<string, Target> Targets) Build(
        IEnumerable<(string Server, IReadOnlyList<UpstreamTool> Tools)> servers, Func<string, IReadOnlyList<string>> tagsOf, string separator)
    {
        var byTool = new Dictionary<string, List<(string Server, UpstreamTool Tool)>>(StringComparer.Ordinal);
        foreach (var (server, tools) in servers)
        {
            foreach (var tool in tools)
            {
                if (!byTool.TryGetValue(tool.Name, out var list))
                {
                    byTool[tool.Name] = list = [];
                }
                list.Add((server, tool));
            }
        }
        var definitions = new List<(string, byte[])>();
        var targets = new Dictionary<string, Target>(StringComparer.Ordinal);
        void Add(string name, string tool, List<(string Server, UpstreamTool Tool)> on, string scope)
        {
            if (on.Count < 2 || targets.ContainsKey(name))
            {
                return;
            }
            var serverNames = on.Select(o => o.Server).ToArray();
            targets[name] = new Target(name, tool, serverNames);
            var buffer = new ArrayBufferWriter<byte>(on[0].Tool.Raw.Length + 256);
            using (var w = new Utf8JsonWriter(buffer, WriterOptions))
            {
                var description = $"Calls '{tool}' on {scope}{string.Join(", ", serverNames)} at once and returns every server's result or error. " +
                                  (Description(on[0].Tool.Raw) ?? "");
                // The aggregated result is not the tool's own shape: no outputSchema, or validating clients refuse it.
                ToolCatalog.WriteReplaced(w, on[0].Tool.Raw.Span, "name"u8, ToolNaming.Bare(name), description.Trim(), dropOutputSchema: true);
            }
            definitions.Add((ToolNaming.Bare(name), buffer.WrittenSpan.ToArray()));
        }
        foreach (var (tool, on) in byTool.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Add(Prefix + separator + tool, tool, on, "");
        }
        foreach (var (tool, on) in byTool.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            foreach (var tag in on.SelectMany(o => tagsOf(o.Server)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                Add($"{Prefix}{separator}by_tag{separator}{tag}{separator}{tool}", tool, on.Where(o => tagsOf(o.Server).Contains(tag)).ToList(), $"the servers tagged '{tag}': ");
            }
        }
        return (definitions, targets);
    }

    private static string? Description(ReadOnlyMemory<byte> raw) => JsonSlice.GetString(raw, "description"u8);
}
