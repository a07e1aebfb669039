using MCProxy.Configuration;

namespace MCProxy.Security;

/// <summary>
/// What one identity may see and call, over exposed names (tools and prompts by name, resources by URI, the
/// gateway's own <c>mcproxy__*</c> tools included): allowed when any allow glob matches and no deny glob does —
/// deny wins. An identity's own rules and those of its roles are pooled.
/// </summary>
internal sealed class AccessPolicy
{
    public static readonly AccessPolicy AllowAll = new([new Glob("*")], []);

    private readonly Glob[] _allow;
    private readonly Glob[] _deny;

    private AccessPolicy(Glob[] allow, Glob[] deny)
    {
        _allow = allow;
        _deny = deny;
    }

    /// <summary>True when nothing is ever denied (lists can be served precomputed).</summary>
    public bool IsAllowAll => _deny.Length == 0 && _allow.Any(g => g.Pattern == "*");

    public static AccessPolicy For(TokenIdentityConfig identity, IReadOnlyDictionary<string, AccessRules> roles)
    {
        var rules = new[] { identity.Rules }.Concat(identity.Roles.Select(r => roles[r])).ToArray();
        return new AccessPolicy(rules.SelectMany(r => r.Allow).Distinct().Select(g => new Glob(g)).ToArray(),
            rules.SelectMany(r => r.Deny).Distinct().Select(g => new Glob(g)).ToArray());
    }

    public bool Allows(string exposedName) =>
        _allow.Any(g => g.Matches(exposedName)) && !_deny.Any(g => g.Matches(exposedName));
}
