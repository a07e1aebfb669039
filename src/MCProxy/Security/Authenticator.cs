using System.Security.Cryptography;
using System.Text;
using MCProxy.Configuration;

namespace MCProxy.Security;

/// <summary>
/// Turns an <c>Authorization</c> header into an <see cref="Identity"/> under the current <c>auth</c> section,
/// replaced whole on every applied reload (rule 9).
/// NOTE 1: the presented token is hashed once and compared with every configured hash in constant time, all of
/// them every time: neither timing nor the answer tells a wrong token from one of a name that does not exist.
/// </summary>
internal sealed class Authenticator
{
    private volatile State _state;

    public Authenticator(AuthConfig? initial) => _state = Build(initial);

    public bool IsEnabled => _state.Identities.Length > 0;

    /// <summary>Requests per identity per minute, or null for no limit.</summary>
    public int? PerIdentityPerMinute => _state.PerMinute;

    /// <summary>Raised after the section changed (so per-identity state, like rate limits, can follow).</summary>
    public event Action? Changed;

    public void Update(AuthConfig? auth)
    {
        _state = Build(auth);
        Changed?.Invoke();
    }

    /// <summary>The identity a header names; <see cref="Identity.Open"/> when auth is off; null when refused.</summary>
    public Identity? Authenticate(string? authorization)
    {
        var state = _state;
        if (state.Identities.Length == 0)
        {
            return Identity.Open;
        }
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var presented = authorization.AsSpan(7).Trim();
        if (presented.IsEmpty || presented.Length > 8192)
        {
            return null;
        }
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(presented.ToString());
        SHA256.HashData(bytes, hash);
        Identity? found = null;
        foreach (var (tokenHash, identity) in state.Identities)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, tokenHash))
            {
                found = identity;
            }
        }
        return found;
    }

    private static State Build(AuthConfig? auth) => auth is null
        ? new State([], null)
        : new State(auth.Tokens.Select(t => (t.TokenSha256, new Identity(t.Name, AccessPolicy.For(t, auth.Roles)))).ToArray(),
            auth.PerIdentityPerMinute);

    private sealed record State((byte[] Hash, Identity Identity)[] Identities, int? PerMinute);
}
