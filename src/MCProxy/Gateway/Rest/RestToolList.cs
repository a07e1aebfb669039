using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;

namespace MCProxy.Gateway.Rest;

/// <summary>
/// <c>GET /api/tools</c>'s body: <c>{"tools":[{name, description, inputSchema, server, tags}]}</c> for the tools a
/// policy allows, in catalogue order. The same test as <see cref="ListViews"/> (policy over the exposed name), so the
/// list is exactly what the identity's tools/list shows.
/// </summary>
internal static class RestToolList
{
    /// <param name="tagsOf">A server's tags (<c>ToolShape.Tags</c>).</param>
    /// <param name="wanted">Tags a tool's server must carry, all of them; none keeps every tool.</param>
    public static byte[] Write(ToolCatalog tools, AccessPolicy policy, Func<string, IReadOnlyList<string>> tagsOf, IReadOnlyList<string> wanted) =>
        JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("tools"u8);
            for (var i = 0; i < tools.Names.Count; i++)
            {
                var name = tools.Names[i];
                if (!policy.Allows(name) || !tools.Routes.TryGetValue(name, out var route))
                {
                    continue;
                }
                // The gateway's own tools (empty server) carry no tags.
                var tags = route.Server.Length == 0 ? [] : tagsOf(route.Server);
                if (!wanted.All(tag => tags.Contains(tag, StringComparer.Ordinal)))
                {
                    continue;
                }
                var item = tools.Items[i];
                w.WriteStartObject();
                w.WriteString("name"u8, name);
                WriteMember(w, item, "description"u8);
                WriteMember(w, item, "inputSchema"u8);
                if (route.Server.Length == 0)
                {
                    w.WriteNull("server"u8);
                }
                else
                {
                    w.WriteString("server"u8, route.Server);
                }
                w.WriteStartArray("tags"u8);
                foreach (var tag in tags)
                {
                    w.WriteStringValue(tag);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>Copies one member of the tool's own JSON (valid: the catalogue wrote it), or null when it has none.</summary>
    private static void WriteMember(System.Text.Json.Utf8JsonWriter w, byte[] item, ReadOnlySpan<byte> member)
    {
        w.WritePropertyName(member);
        if (JsonSlice.TryGetProperty(item, member, out var raw))
        {
            w.WriteRawValue(raw.Span, skipInputValidation: true);
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
