using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;

namespace MCProxy.Gateway;

/// <summary>Per-identity views of the lists, and the refusal a denied call gets (it never reaches a child).</summary>
internal sealed partial class McpDispatcher
{
    public const int ForbiddenCode = -32003;

    // NOTE 1: one filtered view per (list snapshot, policy), built on first use and dropped with the snapshot.
    private static readonly ConditionalWeakTable<IReadOnlyList<byte[]>, ConcurrentDictionary<AccessPolicy, (IReadOnlyList<byte[]> Items, byte[] Whole)>> Views = new();

    private static (IReadOnlyList<byte[]> Items, byte[] Whole) ViewFor(Identity identity, string arrayName,
        IReadOnlyList<string> names, IReadOnlyList<byte[]> items, byte[] whole)
    {
        if (identity.Policy.IsAllowAll)
        {
            return (items, whole);
        }
        return Views.GetOrCreateValue(items).GetOrAdd(identity.Policy, policy =>
        {
            var kept = items.Where((_, i) => policy.Allows(names[i])).ToList();
            return (kept, ListPage.Write(arrayName, kept, 0, kept.Count, null));
        });
    }

    private byte[] ListFor(JsonRpcMessage request, Identity identity, ToolCatalog list)
    {
        var (items, whole) = ViewFor(identity, list.ArrayName, list.Names, list.Items, list.ListResult);
        return ListPageOf(request, list.ArrayName, items, whole);
    }

    private byte[] ListFor(JsonRpcMessage request, Identity identity, UriCatalog list)
    {
        var (items, whole) = ViewFor(identity, list.ArrayName, list.Names, list.Items, list.ListResult);
        return ListPageOf(request, list.ArrayName, items, whole);
    }

    private static byte[] Denied(ReadOnlySpan<byte> id, Identity identity, string what, string name) =>
        JsonRpcWriter.Error(id, ForbiddenCode, $"Forbidden: {what} '{name}' is not allowed for identity '{identity.Name}'");
}
