namespace MCProxy.Configuration;

/// <summary>
/// The top-level <c>auth</c> section: who may use the gateway and what each identity may see and call.
/// Tokens are kept only as their SHA-256 (a plain <c>token</c> in the file is hashed at load), so the running
/// config never holds a secret it does not need.
/// </summary>
internal sealed record AuthConfig(
    IReadOnlyList<TokenIdentityConfig> Tokens,
    IReadOnlyDictionary<string, AccessRules> Roles,
    int? PerIdentityPerMinute,
    JwtConfig? Jwt = null);

/// <summary>
/// JWTs from an identity provider (e.g. Keycloak): signature from the JWKS at <see cref="JwksUrl"/>, plus iss, aud,
/// exp and nbf; the identity's name from <see cref="NameClaim"/>, its roles (mapped to <c>auth.roles</c>) from
/// <see cref="RolesClaim"/>, a dotted path such as <c>realm_access.roles</c>.
/// </summary>
internal sealed record JwtConfig(string Issuer, string Audience, Uri JwksUrl, string NameClaim, string RolesClaim);

/// <summary>One static bearer token and the identity it names.</summary>
internal sealed record TokenIdentityConfig(string Name, byte[] TokenSha256, AccessRules Rules, IReadOnlyList<string> Roles);

/// <summary>Globs over exposed names (<c>*</c> matches any run of characters); deny wins over allow.</summary>
internal sealed record AccessRules(IReadOnlyList<string> Allow, IReadOnlyList<string> Deny, DisclosureConfig? Disclosure = null)
{
    public static readonly AccessRules None = new([], []);

    /// <summary>The disclosure an identity gets: its own, else its first role's that sets one, else null (the gateway's).</summary>
    public static DisclosureConfig? DisclosureOf(AccessRules own, IEnumerable<string> roles, IReadOnlyDictionary<string, AccessRules> defined) =>
        own.Disclosure ?? roles.Select(r => defined.TryGetValue(r, out var rules) ? rules.Disclosure : null).FirstOrDefault(d => d is not null);
}
