using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MCProxy.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MCProxy.Security;

/// <summary>
/// Validates JWTs from the configured identity provider with Microsoft.IdentityModel.JsonWebTokens (AOT-clean, unlike
/// the JwtBearer middleware's configuration binding): signature against the JWKS, iss, aud, exp and nbf with a
/// 60 s clock skew. The key set is fetched at start, every 30 s, and at once (at most every 5 s) when a token names
/// a key id it does not hold — so a newly published key is accepted within seconds, and never later than 30 s.
/// NOTE 1: a valid token's identity is cached by the token's SHA-256 until it expires (10 000 entries at most),
/// so a client's repeated token costs a hash, not an RSA verify.
/// </summary>
internal sealed partial class JwtValidator : IDisposable
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MinRefreshGap = TimeSpan.FromSeconds(5);

    private readonly JwtConfig _config;
    private readonly IReadOnlyDictionary<string, AccessRules> _roles;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly JsonWebTokenHandler _handler = new();
    private readonly ConcurrentDictionary<string, (Identity Identity, DateTimeOffset Expires)> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly ITimer _timer;
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private long _lastRefresh = long.MinValue;

    public JwtValidator(JwtConfig config, IReadOnlyDictionary<string, AccessRules> roles, TimeProvider time, ILogger logger)
    {
        _config = config;
        _roles = roles;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(_ => _ = RefreshAsync(force: true), null, TimeSpan.Zero, RefreshEvery);
    }

    public string Issuer => _config.Issuer;

    /// <summary>The identity a JWT proves, or null (bad signature, wrong iss/aud, expired, unknown key).</summary>
    public async Task<Identity?> ValidateAsync(string token)
    {
        var cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.Expires > _time.GetUtcNow())
        {
            return cached.Identity;
        }
        var result = await ValidateOnceAsync(token).ConfigureAwait(false);
        if (result is { IsValid: false, Exception: SecurityTokenSignatureKeyNotFoundException } && await RefreshAsync(force: false).ConfigureAwait(false))
        {
            result = await ValidateOnceAsync(token).ConfigureAwait(false); // a key published since the last fetch
        }
        if (!result.IsValid)
        {
            LogRejected(_logger, result.Exception?.GetType().Name ?? "invalid");
            return null;
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        var name = jwt.TryGetClaim(_config.NameClaim, out var claim) ? claim.Value : null;
        if (string.IsNullOrEmpty(name))
        {
            LogRejected(_logger, $"no {_config.NameClaim} claim");
            return null;
        }
        var roles = RolesOf(jwt).Where(_roles.ContainsKey).ToList();
        var identity = new Identity(name, AccessPolicy.For(new TokenIdentityConfig(name, [], AccessRules.None, roles), _roles))
        {
            Disclosure = AccessRules.DisclosureOf(AccessRules.None, roles, _roles),
        };
        if (_cache.Count >= 10_000)
        {
            _cache.Clear();
        }
        _cache[cacheKey] = (identity, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        return identity;
    }

    private Task<TokenValidationResult> ValidateOnceAsync(string token) => _handler.ValidateTokenAsync(token, new TokenValidationParameters
    {
        ValidIssuer = _config.Issuer,
        ValidAudience = _config.Audience,
        IssuerSigningKeys = _keys,
        ClockSkew = TimeSpan.FromSeconds(60),
        RequireExpirationTime = true,
        RequireSignedTokens = true,
    });

    /// <summary>The roles claim at a dotted path, e.g. realm_access.roles (Keycloak), as strings.</summary>
    private IEnumerable<string> RolesOf(JsonWebToken jwt)
    {
        var path = _config.RolesClaim.Split('.');
        JsonElement payload;
        try
        {
            using var document = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
            payload = document.RootElement.Clone();
        }
        catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException)
        {
            return [];
        }
        foreach (var step in path)
        {
            if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty(step, out payload))
            {
                return [];
            }
        }
        return payload.ValueKind switch
        {
            JsonValueKind.Array => payload.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToList(),
            JsonValueKind.String => [payload.GetString()!],
            _ => [],
        };
    }

    /// <summary>Fetches the key set; false when skipped (fetched less than 5 s ago) or failed (the old keys stay).</summary>
    private async Task<bool> RefreshAsync(bool force)
    {
        var last = Interlocked.Read(ref _lastRefresh);
        if (!force && last != long.MinValue && _time.GetElapsedTime(last) < MinRefreshGap)
        {
            return false;
        }
        await _refreshing.WaitAsync().ConfigureAwait(false);
        try
        {
            Interlocked.Exchange(ref _lastRefresh, _time.GetTimestamp());
            var json = await _http.GetStringAsync(_config.JwksUrl).ConfigureAwait(false);
            _keys = new JsonWebKeySet(json).GetSigningKeys().ToArray();
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException or JsonException)
        {
            LogJwksFailed(_logger, _config.JwksUrl.GetLeftPart(UriPartial.Path), ex.Message);
            return false;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "JWT rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string reason);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "cannot fetch the JWKS from {Url}: {Reason}; the last keys stay in use")]
    private static partial void LogJwksFailed(ILogger logger, string url, string reason);
}
