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

    private byte[] ListFor(JsonRpcMessage request, Identity identity, UriCatalog list)
    {
        var (items, whole) = ListViews.For(identity.Policy, list);
        return ListPageOf(request, list.ArrayName, items, whole);
    }

    private static byte[] Denied(ReadOnlySpan<byte> id, Identity identity, string what, string name) =>
        JsonRpcWriter.Error(id, ForbiddenCode, $"Forbidden: {what} '{name}' is not allowed for identity '{identity.Name}'");
}
