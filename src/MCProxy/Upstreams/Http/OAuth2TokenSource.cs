using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MCProxy.Configuration;

namespace MCProxy.Upstreams.Http;

/// <summary>
/// OAuth 2.0 client credentials (RFC 6749 §4.4) for one upstream: the token is fetched at connect, kept until less
/// than 10 % of its lifetime (at most 60 s) is left, then fetched again before the next request; a 401 from the
/// upstream drops it once. The client authenticates with HTTP Basic (§2.3.1). Errors name the token endpoint's
/// status, never the secret or the token.
/// </summary>
internal sealed class OAuth2TokenSource
{
    private static readonly TimeSpan MaxMargin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);
    private readonly OAuth2Credential _credential;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private volatile Token? _token;

    private sealed record Token(string Value, DateTimeOffset RefreshAt);

    public OAuth2TokenSource(OAuth2Credential credential, HttpClient http, TimeProvider time)
    {
        _credential = credential;
        _http = http;
        _time = time;
    }

    /// <summary>The token in use, if any (to mask it in texts that came from the upstream).</summary>
    public string? Current => _token?.Value;

    /// <summary>How many tokens were fetched (for tests and /health).</summary>
    public int Fetches { get; private set; }

    public async ValueTask<string> GetAsync(CancellationToken ct)
    {
        if (_token is { } token && _time.GetUtcNow() < token.RefreshAt)
        {
            return token.Value;
        }
        await _fetch.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_token is { } fresh && _time.GetUtcNow() < fresh.RefreshAt)
            {
                return fresh.Value;
            }
            var fetched = await FetchAsync(ct).ConfigureAwait(false);
            _token = fetched;
            return fetched.Value;
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>Forgets the token the upstream refused, so the next request fetches a new one.</summary>
    public void Invalidate(string refused)
    {
        if (_token is { } token && token.Value == refused)
        {
            _token = null;
        }
    }

    /// <summary>
    /// <c>expires_in</c>: a number of seconds or, as some endpoints send it (Azure AD v1), a numeric string; an hour
    /// when it is absent or unusable, at most <see cref="MaxLifetime"/> (a larger one would overflow the clock's math).
    /// </summary>
    private static TimeSpan LifetimeOf(JsonElement root)
    {
        var seconds = 0d;
        if (root.TryGetProperty("expires_in", out var e))
        {
            if (e.ValueKind == JsonValueKind.Number)
            {
                e.TryGetDouble(out seconds);
            }
            else if (e.ValueKind == JsonValueKind.String)
            {
                double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out seconds);
            }
        }
        return seconds > 0 ? TimeSpan.FromSeconds(Math.Min(seconds, MaxLifetime.TotalSeconds)) : DefaultLifetime;
    }

    private async Task<Token> FetchAsync(CancellationToken ct)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (_credential.Scopes.Count > 0)
        {
            form.Add(new("scope", string.Join(' ', _credential.Scopes)));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, _credential.TokenUrl) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(_credential.ClientId)}:{Uri.EscapeDataString(_credential.ClientSecret)}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var requested = _time.GetUtcNow();
        // Bounded: 30 s and 64 KiB are generous for a token answer; an endpoint that hangs or floods fails the connect.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        ct = bounded.Token;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        var where = UrlRedactor.Redact(_credential.TokenUrl);
        if (!response.IsSuccessStatusCode)
        {
            throw new UpstreamHttpException.TokenEndpoint((int)response.StatusCode,
                $"the OAuth2 token endpoint {where} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase} (check clientId, clientSecret and scopes)");
        }
        var body = new byte[64 * 1024 + 1];
        int length;
        await using (var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
        {
            length = await stream.ReadAtLeastAsync(body, body.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        }
        if (length > 64 * 1024)
        {
            throw new UpstreamHttpException.TokenEndpoint((int)response.StatusCode, $"the OAuth2 token endpoint {where} answered with more than 64 KiB");
        }
        body = body[..length];
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            var value = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
            if (string.IsNullOrEmpty(value))
            {
                throw new UpstreamHttpException.TokenEndpoint((int)response.StatusCode, $"the OAuth2 token endpoint {where} answered without an access_token");
            }
            var lifetime = LifetimeOf(root);
            var margin = TimeSpan.FromTicks(Math.Min(lifetime.Ticks / 10, MaxMargin.Ticks));
            Fetches++;
            return new Token(value, requested + lifetime - margin);
        }
        catch (JsonException)
        {
            throw new UpstreamHttpException.TokenEndpoint((int)response.StatusCode, $"the OAuth2 token endpoint {where} answered with something other than JSON");
        }
    }
}
