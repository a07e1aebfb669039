using MCProxy.Protocol;
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using MCProxy.Upstreams;

namespace MCProxy.Aggregation;

/// <summary>
/// The merged resources (keyed by <c>uri</c>) or resource templates (keyed by <c>uriTemplate</c>) of every ready
/// server. Rule for collisions: a URI listed by one server only is kept as it is (so links inside tool results
/// still resolve); when several servers list the same URI, the first in config order keeps it and the others are
/// exposed as <c>mcproxy://&lt;server&gt;/&lt;url-encoded original&gt;</c>. Every exposed URI maps back to
/// (server, original) through <see cref="Routes"/>.
/// </summary>
internal sealed class UriCatalog
{
    public const string Scheme = "mcproxy://";

    public static readonly UriCatalog EmptyResources = new("resources", new Dictionary<string, ToolRoute>(), [], [], "{\"resources\":[]}"u8.ToArray());
    public static readonly UriCatalog EmptyTemplates = new("resourceTemplates", new Dictionary<string, ToolRoute>(), [], [], "{\"resourceTemplates\":[]}"u8.ToArray());

    private UriCatalog(string arrayName, IReadOnlyDictionary<string, ToolRoute> routes, IReadOnlyList<byte[]> items, IReadOnlyList<string> names,
        byte[] listResult)
    {
        Names = names;
        ArrayName = arrayName;
        Routes = routes;
        Items = items;
        ListResult = listResult;
    }

    public string ArrayName { get; }

    /// <summary>Exposed URI (or template) → (server, original).</summary>
    public IReadOnlyDictionary<string, ToolRoute> Routes { get; }

    public IReadOnlyList<byte[]> Items { get; }

    /// <summary>Each item's exposed URI (or template), parallel to <see cref="Items"/> (for per-identity filtering).</summary>
    public IReadOnlyList<string> Names { get; }

    public byte[] ListResult { get; }

    public static UriCatalog Build(IEnumerable<(string Server, IReadOnlyList<UpstreamTool> Items)> servers, ListKind kind)
    {
        var routes = new Dictionary<string, ToolRoute>(StringComparer.Ordinal);
        var items = new List<byte[]>();
        var names = new List<string>();
        var buffer = new ArrayBufferWriter<byte>(1024);
        foreach (var (server, list) in servers)
        {
            foreach (var item in list)
            {
                var exposed = item.Name;
                if (routes.TryGetValue(exposed, out var holder) && holder.Server == server && holder.Tool == item.Name)
                {
                    continue; // the same server listed it twice: one entry is enough
                }
                if (routes.ContainsKey(exposed))
                {
                    exposed = Scheme + server + "/" + Uri.EscapeDataString(item.Name);
                    if (routes.ContainsKey(exposed))
                    {
                        continue; // the same server listed it twice
                    }
                }
                routes[exposed] = new ToolRoute(server, item.Name);
                names.Add(exposed);
                if (exposed == item.Name)
                {
                    items.Add(item.Raw.ToArray());
                    continue;
                }
                buffer.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    ToolCatalog.WriteReplaced(w, item.Raw.Span, kind.KeyUtf8, exposed);
                }
                items.Add(buffer.WrittenSpan.ToArray());
            }
        }
        return new UriCatalog(kind.Array, routes, items, names, ListPage.Write(kind.Array, items, 0, items.Count, null));
    }

    /// <summary>Where a URI a client asks for lives: a listed one, a re-mapped one, or one a template may produce.</summary>
    public static ToolRoute? Resolve(string uri, UriCatalog resources, UriCatalog templates)
    {
        if (resources.Routes.TryGetValue(uri, out var route))
        {
            return route;
        }
        if (uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            var rest = uri[Scheme.Length..];
            var slash = rest.IndexOf('/');
            if (slash > 0)
            {
                return new ToolRoute(rest[..slash], Uri.UnescapeDataString(rest[(slash + 1)..]));
            }
        }
        // Dynamic URIs come from templates: the template whose literal prefix matches the longest part wins.
        ToolRoute? best = null;
        var bestLength = -1;
        foreach (var (template, templateRoute) in templates.Routes)
        {
            var original = templateRoute.Tool;
            var literal = original.IndexOf('{') is var brace and >= 0 ? original[..brace] : original;
            if (literal.Length > bestLength && uri.StartsWith(literal, StringComparison.Ordinal))
            {
                best = new ToolRoute(templateRoute.Server, uri);
                bestLength = literal.Length;
            }
        }
        return best;
    }
}
