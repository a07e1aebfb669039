using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;

namespace MCProxy.Gateway;

/// <summary>Per-identity views of the lists (<see cref="ListViews"/>), and the refusal a denied call gets (it never reaches a child).</summary>
internal sealed partial class McpDispatcher
{
    public const int ForbiddenCode = -32003;

    private byte[] ListFor(JsonRpcMessage request, Identity identity, ToolCatalog list)
    {
        var (items, whole) = ListViews.For(identity.Policy, list);
        return ListPageOf(request, list.ArrayName, items, whole);
    }

    /// <summary>tools/list: the caller's view, or in discover mode (see Disclosure) the meta tools and its pinned tools.</summary>
    private byte[] ToolsListFor(JsonRpcMessage request, DownstreamSession? session, Identity identity)
    {
        var catalog = _catalog.Current.Tools;
        var (items, whole) = ListViews.For(identity.Policy, catalog);
        var config = _disclosure.For(identity, session?.Identity);
        if (config.Mode != Configuration.DisclosureMode.Full &&
            _disclosure.DiscoverList(config, catalog, identity.Policy, items.Count, whole) is { } discover)
        {
            return JsonRpcWriter.Response(request.Id.Span, discover);
        }
        return ListPageOf(request, catalog.ArrayName, items, whole);
    }

    private byte[] ListFor(JsonRpcMessage request, Identity identity, UriCatalog list)
    {
        var (items, whole) = ListViews.For(identity.Policy, list);
        return ListPageOf(request, list.ArrayName, items, whole);
    }

    private static byte[] Denied(ReadOnlySpan<byte> id, Identity identity, string what, string name) =>
        JsonRpcWriter.Error(id, ForbiddenCode, $"Forbidden: {what} '{name}' is not allowed for identity '{identity.Name}'");
}
