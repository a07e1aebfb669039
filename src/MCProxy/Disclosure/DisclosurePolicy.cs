using System.Runtime.CompilerServices;
using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Security;

namespace MCProxy.Disclosure;

/// <summary>
/// Which tools/list a caller gets: the connection's <c>?tools=</c>, else its identity's or role's setting, else the
/// gateway's. <c>discover</c> (or <c>auto</c> over its thresholds) lists the meta tools and the pinned tools the
/// caller may see; <c>full</c> lists everything it may see.
/// </summary>
internal sealed class DisclosurePolicy
{
    private readonly MetaTools _meta;
    private readonly ConditionalWeakTable<byte[], Dictionary<DisclosureConfig, byte[]>> _discoverLists = new();
    private volatile DisclosureConfig _gateway;

    public DisclosurePolicy(MetaTools meta, InitialDisclosure initial)
    {
        _meta = meta;
        _gateway = initial.Value;
    }

    public DisclosureConfig Gateway => _gateway;

    public void Update(DisclosureConfig config) => _gateway = config;

    /// <summary>The setting for this request: the identity's (with a connection's ?tools= applied), the session's, or the gateway's.</summary>
    public DisclosureConfig For(Identity identity, Identity? sessionIdentity) => identity.Disclosure ?? sessionIdentity?.Disclosure ?? _gateway;

    /// <summary>
    /// The discover-mode list for a caller whose full view is <paramref name="view"/>, or null when the full view
    /// is what it gets (mode full, or auto under both thresholds).
    /// </summary>
    /// <param name="catalog">The whole catalogue (pinned tools are taken from it, if <paramref name="policy"/> allows them).</param>
    /// <param name="viewCount">How many tools the caller's full view has; <paramref name="whole"/> is that view's list result.</param>
    public byte[]? DiscoverList(DisclosureConfig config, ToolCatalog catalog, AccessPolicy policy, int viewCount, byte[] whole)
    {
        var discover = config.Mode switch
        {
            DisclosureMode.Discover => true,
            DisclosureMode.Auto => viewCount > config.MaxTools || whole.Length / 4 > config.MaxTokens,
            _ => false,
        };
        if (!discover)
        {
            return null;
        }
        var cache = _discoverLists.GetOrCreateValue(whole);
        lock (cache)
        {
            if (cache.TryGetValue(config, out var list))
            {
                return list;
            }
            var pinned = config.Pinned.Select(p => new Glob(p)).ToArray();
            var kept = _meta.Definitions.Select(d => d.Raw).ToList();
            for (var i = 0; i < catalog.Names.Count; i++)
            {
                if (pinned.Any(p => p.Matches(catalog.Names[i])) && policy.Allows(catalog.Names[i]))
                {
                    kept.Add(catalog.Items[i]);
                }
            }
            return cache[config] = ListPage.Write("tools", kept, 0, kept.Count, null);
        }
    }
}

/// <summary>The disclosure setting of the config the gateway started with.</summary>
internal sealed record InitialDisclosure(DisclosureConfig Value);
