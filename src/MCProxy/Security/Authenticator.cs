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
internal sealed class Authenticator : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Microsoft.Extensions.Logging.ILogger _logger;
    private volatile State _state;

    public Authenticator(AuthConfig? initial, TimeProvider time, Microsoft.Extensions.Logging.ILogger<Authenticator> logger)
    {
        _time = time;
        _logger = logger;
        _state = Build(initial);
    }

    public bool IsEnabled => _state.Identities.Length > 0 || _state.Jwt is not null;

    /// <summary>The JWT issuer when JWTs are accepted (named as the authorization server in the RFC 9728 metadata).</summary>
    public string? Issuer => _state.Jwt?.Issuer;

    /// <summary>Requests per identity per minute, or null for no limit.</summary>
    public int? PerIdentityPerMinute => _state.PerMinute;

    /// <summary>Raised after the section changed (so per-identity state, like rate limits, can follow).</summary>
    public event Action? Changed;

    public void Update(AuthConfig? auth)
    {
        var previous = _state;
        _state = Build(auth);
        previous.Jwt?.Dispose();
        Changed?.Invoke();
    }

    /// <summary>
    /// Like <see cref="Authenticate"/>, and when no static token matches and JWTs are configured, validates the
    /// bearer value as a JWT (signature, iss, aud, exp, nbf).
    /// </summary>
    public async ValueTask<Identity?> AuthenticateAsync(string? authorization)
    {
        if (Authenticate(authorization) is { } identity)
        {
            return identity;
        }
        if (_state.Jwt is { } jwt && authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[7..].Trim();
            if (token.Length is > 0 and <= 16384 && token.Count(c => c == '.') == 2)
            {
                return await jwt.ValidateAsync(token).ConfigureAwait(false);
            }
        }
        return null;
    }

    public void Dispose() => _state.Jwt?.Dispose();

    /// <summary>The identity of that name under the current section (<see cref="Identity.Open"/> when auth is off); null
    /// when it is gone. A JWT identity is known only by its token, so its name is kept with the policy it last had.</summary>
    public Identity? Lookup(string name)
    {
        var state = _state;
        if (state.Identities.Length == 0 && state.Jwt is null)
        {
            return Identity.Open;
        }
        foreach (var (_, identity) in state.Identities)
        {
            if (identity.Name == name)
            {
                return identity;
            }
        }
        return null;
    }

    /// <summary>Every configured token identity (none when auth is off or JWT-only).</summary>
    public IEnumerable<Identity> Identities => _state.Identities.Select(i => i.Identity);

    /// <summary>The identity a header names; <see cref="Identity.Open"/> when auth is off; null when refused.</summary>
    public Identity? Authenticate(string? authorization)
    {
        var state = _state;
        if (state.Identities.Length == 0 && state.Jwt is null)
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

    private State Build(AuthConfig? auth) => auth is null
        ? new State([], null, null)
        : new State(auth.Tokens.Select(t => (t.TokenSha256, new Identity(t.Name, AccessPolicy.For(t, auth.Roles))
            {
                Disclosure = AccessRules.DisclosureOf(t.Rules, t.Roles, auth.Roles),
            })).ToArray(),
            auth.PerIdentityPerMinute, auth.Jwt is { } jwt ? new JwtValidator(jwt, auth.Roles, _time, _logger) : null);

    private sealed record State((byte[] Hash, Identity Identity)[] Identities, int? PerMinute, JwtValidator? Jwt);
}
