using System.Text.Json;
using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Protocol;
using MCProxy.Supervision;

namespace MCProxy.Disclosure;

/// <summary>
/// The three tools a client in <c>discover</c> mode sees instead of the whole catalogue:
/// <c>mcproxy__search_tools</c> (BM25 over the catalogue, compact cards), <c>mcproxy__describe_tool</c> (one tool's
/// definition, byte-identical to its tools/list entry) and <c>mcproxy__call_tool</c> (the call, through the same
/// routing, policy, audit and caps as a direct one; the dispatcher runs it).
/// NOTE 1: these three are exempt from policy themselves: they reach only what the caller's policy lets it see
/// and call, so they widen nothing.
/// </summary>
internal sealed class MetaTools
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 50;

    private readonly ServerRegistry _servers;

    public MetaTools(GatewaySeparator separator, ServerRegistry servers)
    {
        _servers = servers;
        var prefix = ConfigLoader.ReservedServerName + separator.Value;
        SearchName = prefix + "search_tools";
        DescribeName = prefix + "describe_tool";
        CallName = prefix + "call_tool";
        Definitions =
        [
            Define(SearchName, "Search tools",
                "Searches every tool behind this gateway by what it does. Returns compact cards (name, summary, required " +
                "parameters), best match first. Then call mcproxy__describe_tool for a tool's full input schema, and " +
                "mcproxy__call_tool to run it.",
                """{"type":"object","properties":{"query":{"type":"string","description":"What you want to do, in a few words"},"server":{"type":"string","description":"Only tools of this server"},"tag":{"type":"string","description":"Only tools of servers with this tag"},"limit":{"type":"integer","minimum":1,"maximum":50,"description":"How many results (default 10)"}},"required":["query"]}"""),
            Define(DescribeName, "Describe a tool",
                "Returns one tool's full definition (name, description, input schema, annotations) exactly as tools/list would.",
                """{"type":"object","properties":{"name":{"type":"string","description":"The exact tool name from a search result"}},"required":["name"]}"""),
            Define(CallName, "Call a tool",
                "Calls a tool by its exact name with its arguments and returns exactly what the tool returns.",
                """{"type":"object","properties":{"name":{"type":"string","description":"The exact tool name"},"arguments":{"type":"object","description":"The tool's arguments, as its input schema describes"}},"required":["name"]}"""),
        ];
    }

    public string SearchName { get; }

    public string DescribeName { get; }

    public string CallName { get; }

    /// <summary>The three definitions, in list order.</summary>
    public IReadOnlyList<(string Name, byte[] Raw)> Definitions { get; }

    public bool IsMeta(string name) => name == SearchName || name == DescribeName || name == CallName;

    /// <summary>mcproxy__search_tools: the caller's best matches as cards (text: one JSON card per line; structuredContent: {"tools": […]}).</summary>
    public byte[] Search(ReadOnlyMemory<byte> arguments, ToolCatalog catalog, Func<string, bool> allowed)
    {
        var query = JsonSlice.GetString(arguments, "query"u8);
        if (string.IsNullOrWhiteSpace(query))
        {
            return ToolError("mcproxy__search_tools needs \"query\": a few words saying what you want to do");
        }
        var server = JsonSlice.GetString(arguments, "server"u8);
        var tag = JsonSlice.GetString(arguments, "tag"u8);
        var limit = DefaultLimit;
        if (JsonSlice.TryGetProperty(arguments, "limit"u8, out var limitRaw) && int.TryParse(System.Text.Encoding.UTF8.GetString(limitRaw.Span), out var asked))
        {
            limit = Math.Clamp(asked, 1, MaxLimit);
        }
        // The gateway's own tools (mcproxy__status) are searchable too; the meta tools themselves are always listed.
        bool Visible(string name, string owner) =>
            !IsMeta(name) && allowed(name) && (server is null || owner == server) &&
            (tag is null || (_servers.TryGet(owner, out var entry) && entry.Definition.Config?.Shape.Tags.Contains(tag) == true));
        var hits = ToolSearchIndex.For(catalog).Search(query, Visible, limit);
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("content"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "text");
            w.WriteString("text"u8, hits.Count == 0
                ? "No tool matches. Try other words, or fewer of them."
                : string.Join("\n", hits.Select(h => System.Text.Encoding.UTF8.GetString(h.Card))));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("structuredContent"u8);
            w.WriteStartArray("tools"u8);
            foreach (var hit in hits)
            {
                w.WriteRawValue(hit.Card, skipInputValidation: true);
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    /// <summary>mcproxy__describe_tool: the tool's list entry, byte for byte, as text (and as structuredContent).</summary>
    public byte[] Describe(ReadOnlyMemory<byte> arguments, ToolCatalog catalog, Func<string, bool> allowed)
    {
        var name = JsonSlice.GetString(arguments, "name"u8);
        var index = name is null || !allowed(name) ? -1 : IndexOf(catalog, name);
        if (index < 0 || IsMeta(name!))
        {
            return ToolError($"No tool named '{name}'. Use mcproxy__search_tools to find one.");
        }
        var raw = catalog.Items[index];
        return JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("content"u8);
            w.WriteStartObject();
            w.WriteString("type"u8, "text");
            w.WriteString("text"u8, raw);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("structuredContent"u8);
            w.WriteRawValue(raw, skipInputValidation: true);
            w.WriteEndObject();
        });
    }

    private static int IndexOf(ToolCatalog catalog, string name)
    {
        for (var i = 0; i < catalog.Names.Count; i++)
        {
            if (catalog.Names[i] == name)
            {
                return i;
            }
        }
        return -1;
    }

    private static byte[] ToolError(string text) => JsonRpcWriter.ToolErrorResult(text);

    private static (string, byte[]) Define(string name, string title, string description, string schema) => (name, JsonRpcWriter.Build(w =>
    {
        w.WriteStartObject();
        w.WriteString("name"u8, name);
        w.WriteString("title"u8, title);
        w.WriteString("description"u8, description);
        w.WritePropertyName("inputSchema"u8);
        w.WriteRawValue(schema);
        w.WriteStartObject("annotations"u8);
        w.WriteBoolean("readOnlyHint"u8, name.EndsWith("search_tools", StringComparison.Ordinal) || name.EndsWith("describe_tool", StringComparison.Ordinal));
        w.WriteEndObject();
        w.WriteEndObject();
    }));
}
