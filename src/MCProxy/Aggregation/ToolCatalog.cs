using MCProxy.Protocol;
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using MCProxy.Upstreams;

namespace MCProxy.Aggregation;

/// <summary>
/// A merged, name-prefixed list of every ready server — tools, or prompts — immutable once built. The full list
/// result is serialised once per build, so listing costs a copy; each item's JSON is the child's own bytes with
/// only "name" rewritten.
/// </summary>
internal sealed class ToolCatalog
{
    public static readonly ToolCatalog Empty = new(new Dictionary<string, ToolRoute>(), "{\"tools\":[]}"u8.ToArray(), [], [], [], "tools");

    private ToolCatalog(IReadOnlyDictionary<string, ToolRoute> routes, byte[] listResult, IReadOnlyList<string> conflicts,
        IReadOnlyList<byte[]> items, IReadOnlyList<string> names, string arrayName)
    {
        Names = names;
        Routes = routes;
        ListResult = listResult;
        Conflicts = conflicts;
        Items = items;
        ArrayName = arrayName;
    }

    /// <summary>Each item's final JSON, in list order (for paging).</summary>
    public IReadOnlyList<byte[]> Items { get; }

    public string ArrayName { get; }

    /// <summary>Each item's exposed name, parallel to <see cref="Items"/> (for per-identity filtering).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Exposed name → route.</summary>
    public IReadOnlyDictionary<string, ToolRoute> Routes { get; }

    /// <summary>The raw <c>{"tools":[…]}</c> result object.</summary>
    public byte[] ListResult { get; }

    /// <summary>Exposed names that two tools mapped to; only the first was kept.</summary>
    public IReadOnlyList<string> Conflicts { get; }

    /// <param name="servers">Ready servers in a stable order, each with its tools.</param>
    /// <param name="builtIn">Gateway tools (raw JSON objects, names already final), listed first.</param>
    /// <param name="shapes">Each server's shape (prefix for every kind; rename and descriptions for tools only).</param>
    public static ToolCatalog Build(IEnumerable<(string Server, IReadOnlyList<UpstreamTool> Tools)> servers,
        IReadOnlyList<(string Name, byte[] Raw)> builtIn, string separator, string arrayName = "tools",
        Func<string, Configuration.ToolShape>? shapes = null)
    {
        var isTools = arrayName == "tools";
        var routes = new Dictionary<string, ToolRoute>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        var items = new List<byte[]>();
        var names = new List<string>();
        foreach (var (name, raw) in builtIn)
        {
            routes[name] = new ToolRoute("", name);
            items.Add(raw);
            names.Add(name);
        }
        var itemBuffer = new ArrayBufferWriter<byte>(1024);
        foreach (var (server, tools) in servers)
        {
            var shape = shapes?.Invoke(server) ?? Configuration.ToolShape.None;
            var prefix = shape.PrefixFor(server);
            foreach (var tool in tools)
            {
                var name = isTools ? shape.NameOf(tool.Name) : tool.Name;
                var exposed = prefix.Length == 0 ? ToolNaming.Bare(name) : ToolNaming.Expose(prefix, name, separator);
                if (!routes.TryAdd(exposed, new ToolRoute(server, tool.Name)))
                {
                    conflicts.Add(exposed);
                    continue;
                }
                itemBuffer.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(itemBuffer, WriterOptions))
                {
                    WriteReplaced(w, tool.Raw.Span, "name"u8, exposed, isTools ? shape.DescriptionOf(tool.Name) : null);
                }
                items.Add(itemBuffer.WrittenSpan.ToArray());
                names.Add(exposed);
            }
        }
        return new ToolCatalog(routes, ListPage.Write(arrayName, items, 0, items.Count, null), conflicts, items, names, arrayName);
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Copies an object member by member, replacing only one string member (and "description" when
    /// <paramref name="description"/> is given, added if absent): unknown fields pass through.
    /// </summary>
    /// <param name="dropOutputSchema">Leave out "outputSchema" (a broadcast's result has its own shape).</param>
    internal static void WriteReplaced(Utf8JsonWriter w, ReadOnlySpan<byte> raw, ReadOnlySpan<byte> member, string value, string? description = null,
        bool dropOutputSchema = false)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        w.WriteStartObject();
        var described = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (dropOutputSchema && reader.ValueTextEquals("outputSchema"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            var isDescription = description is not null && reader.ValueTextEquals("description"u8);
            var isName = isDescription || reader.ValueTextEquals(member);
            var property = reader.HasValueSequence || reader.ValueIsEscaped ? reader.GetString()! : null;
            var propertySpan = reader.ValueSpan;
            if (property is null)
            {
                w.WritePropertyName(propertySpan);
            }
            else
            {
                w.WritePropertyName(property);
            }
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            if (isDescription)
            {
                w.WriteStringValue(description);
                described = true;
            }
            else if (isName)
            {
                w.WriteStringValue(value);
            }
            else
            {
                w.WriteRawValue(raw[start..(int)reader.BytesConsumed], skipInputValidation: true);
            }
        }
        if (description is not null && !described)
        {
            w.WriteString("description"u8, description);
        }
        w.WriteEndObject();
    }
}
