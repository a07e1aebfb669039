using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using MCProxy.Aggregation;
using MCProxy.Security;

namespace MCProxy.Gateway;

/// <summary>
/// What one identity sees of a list: the whole list when its policy allows everything, else the allowed items
/// with their own list result.
/// NOTE 1: one filtered view per (list snapshot, policy), built on first use and dropped with the snapshot.
/// </summary>
internal static class ListViews
{
    private static readonly ConditionalWeakTable<IReadOnlyList<byte[]>, ConcurrentDictionary<AccessPolicy, (IReadOnlyList<byte[]> Items, byte[] Whole)>> Views = new();

    public static (IReadOnlyList<byte[]> Items, byte[] Whole) For(AccessPolicy policy, string arrayName,
        IReadOnlyList<string> names, IReadOnlyList<byte[]> items, byte[] whole)
    {
        if (policy.IsAllowAll)
        {
            return (items, whole);
        }
        return Views.GetOrCreateValue(items).GetOrAdd(policy, p =>
        {
            var kept = items.Where((_, i) => p.Allows(names[i])).ToList();
            return (kept, ListPage.Write(arrayName, kept, 0, kept.Count, null));
        });
    }

    public static (IReadOnlyList<byte[]> Items, byte[] Whole) For(AccessPolicy policy, ToolCatalog list) =>
        For(policy, list.ArrayName, list.Names, list.Items, list.ListResult);

    public static (IReadOnlyList<byte[]> Items, byte[] Whole) For(AccessPolicy policy, UriCatalog list) =>
        For(policy, list.ArrayName, list.Names, list.Items, list.ListResult);

    /// <summary>The three list results a list_changed speaks for (resources covers resources and templates).</summary>
    public static byte[][] Seen(AccessPolicy policy, Catalog catalog) =>
    [
        For(policy, catalog.Tools).Whole,
        For(policy, catalog.Prompts).Whole,
        [.. For(policy, catalog.Resources).Whole, .. For(policy, catalog.Templates).Whole],
    ];
}
