using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using MCProxy.Upstreams;

namespace MCProxy.Aggregation;

/// <summary>
/// The merged tool list of every ready server, immutable once built. The tools/list result is serialised once per
/// build, so listing costs a copy; each tool's JSON is the child's own bytes with only "name" rewritten.
/// </summary>
internal sealed class ToolCatalog
{
    public static readonly ToolCatalog Empty = new(new Dictionary<string, ToolRoute>(), "{\"tools\":[]}"u8.ToArray(), []);

    private ToolCatalog(IReadOnlyDictionary<string, ToolRoute> routes, byte[] listResult, IReadOnlyList<string> conflicts)
    {
        Routes = routes;
        ListResult = listResult;
        Conflicts = conflicts;
    }

    /// <summary>Exposed name → route.</summary>
    public IReadOnlyDictionary<string, ToolRoute> Routes { get; }

    /// <summary>The raw <c>{"tools":[…]}</c> result object.</summary>
    public byte[] ListResult { get; }

    /// <summary>Exposed names that two tools mapped to; only the first was kept.</summary>
    public IReadOnlyList<string> Conflicts { get; }

    /// <param name="servers">Ready servers in a stable order, each with its tools.</param>
    /// <param name="builtIn">Gateway tools (raw JSON objects, names already final), listed first.</param>
    public static ToolCatalog Build(IEnumerable<(string Server, IReadOnlyList<UpstreamTool> Tools)> servers,
        IReadOnlyList<(string Name, byte[] Raw)> builtIn, string separator)
    {
        var routes = new Dictionary<string, ToolRoute>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("tools"u8);
            foreach (var (name, raw) in builtIn)
            {
                routes[name] = new ToolRoute("", name);
                w.WriteRawValue(raw, skipInputValidation: true);
            }
            foreach (var (server, tools) in servers)
            {
                foreach (var tool in tools)
                {
                    var exposed = ToolNaming.Expose(server, tool.Name, separator);
                    if (!routes.TryAdd(exposed, new ToolRoute(server, tool.Name)))
                    {
                        conflicts.Add(exposed);
                        continue;
                    }
                    WriteRenamed(w, tool.Raw.Span, exposed);
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return new ToolCatalog(routes, buffer.WrittenSpan.ToArray(), conflicts);
    }

    /// <summary>Copies a tool object member by member, replacing only "name": unknown fields pass through.</summary>
    private static void WriteRenamed(Utf8JsonWriter w, ReadOnlySpan<byte> raw, string exposed)
    {
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        w.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
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
            if (isName)
            {
                w.WriteStringValue(exposed);
            }
            else
            {
                w.WriteRawValue(raw[start..(int)reader.BytesConsumed], skipInputValidation: true);
            }
        }
        w.WriteEndObject();
    }
}
