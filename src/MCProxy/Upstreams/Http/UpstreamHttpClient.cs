using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MCProxy.Configuration;

namespace MCProxy.Upstreams.Http;

/// <summary>
/// One remote upstream's HTTP side: a pooled <see cref="SocketsHttpHandler"/> of its own (keep-alive, HTTP/2 where
/// the upstream offers it over TLS, its own trust: the system's, a private CA from <c>caFile</c>, or none with
/// <c>insecure</c>), plus its configured headers and credentials, applied to every request.
/// NOTE 1: redirects are not followed: a 3xx could send the upstream's credentials to another origin.
/// </summary>
internal sealed class UpstreamHttpClient : IDisposable
{
    private readonly RemoteServer _remote;
    private readonly HttpClient _http;
    private readonly OAuth2TokenSource? _oauth;
    private readonly X509Certificate2Collection? _trusted;

    public UpstreamHttpClient(RemoteServer remote, TimeProvider time)
    {
        _remote = remote;
        if (remote.CaFile is { } caFile)
        {
            _trusted = LoadCa(caFile);
        }
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
            UseProxy = false,
        };
        if (remote.Insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (_trusted is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = ValidateWithPrivateCa;
        }
        var https = remote.Url.Scheme == Uri.UriSchemeHttps;
        _http = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan, // every request carries the server's own timeout
            DefaultRequestVersion = https ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (remote.Credential is OAuth2Credential oauth)
        {
            _oauth = new OAuth2TokenSource(oauth, _http, time);
        }
    }

    public HttpClient Http => _http;

    public RemoteServer Remote => _remote;

    /// <summary>Tokens fetched from the OAuth2 endpoint so far (0 without oauth2).</summary>
    public int TokenFetches => _oauth?.Fetches ?? 0;

    /// <summary>Adds the configured headers and credentials; returns the bearer token used (for <see cref="Unauthorized"/>).</summary>
    public async ValueTask<string?> ApplyAsync(HttpRequestMessage request, CancellationToken ct)
    {
        // A request message does not take the client's defaults: HTTP/2 where TLS offers it, else HTTP/1.1.
        request.Version = _http.DefaultRequestVersion;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        foreach (var (name, value) in _remote.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        Telemetry.TraceContext.AddHeaders(request); // traceparent, inside a relay span only
        switch (_remote.Credential)
        {
            case BearerCredential bearer:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer.Token);
                return bearer.Token;
            case BasicCredential basic:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic.HeaderValue);
                return null;
            case OAuth2Credential when _oauth is not null:
                var token = await _oauth.GetAsync(ct).ConfigureAwait(false);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return token;
            default:
                return null;
        }
    }

    /// <summary>The upstream answered 401 to <paramref name="used"/>: true when a fresh credential is worth one retry (oauth2).</summary>
    public bool Unauthorized(string? used)
    {
        if (_oauth is null || used is null)
        {
            return false;
        }
        _oauth.Invalidate(used);
        return true;
    }

    /// <summary>
    /// Masks every credential this upstream is given (header values, token, password, client secret, the current
    /// OAuth2 token) in a text that came from it — an error body could echo them back — before it goes anywhere.
    /// </summary>
    public string Scrub(string text)
    {
        IEnumerable<string?> secrets = _remote.Headers.Values;
        secrets = _remote.Credential switch
        {
            BearerCredential b => secrets.Append(b.Token),
            BasicCredential b => secrets.Append(b.Password).Append(b.HeaderValue),
            OAuth2Credential o => secrets.Append(o.ClientSecret).Append(_oauth?.Current),
            _ => secrets,
        };
        foreach (var secret in secrets)
        {
            if (secret is { Length: >= 4 })
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }
        return text;
    }

    /// <summary>
    /// Why a request could not be made, for /health and the client: the TLS problem, "connection refused", a
    /// timeout. Never a header or a credential; the URL redacted.
    /// </summary>
    public string Describe(Exception ex)
    {
        var where = _remote.DisplayUrl;
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException tls)
            {
                return $"TLS with {where} failed: {tls.Message}" + (_remote.CaFile is null ? " (for a private CA, set \"caFile\")" : "");
            }
        }
        var root = ex.GetBaseException();
        return ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }
            ? $"cannot connect to {where}: {root.Message}"
            : $"{where}: {root.Message}";
    }

    public void Dispose() => _http.Dispose();

    private bool ValidateWithPrivateCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0 || certificate is null)
        {
            return false; // a name mismatch or no certificate is never forgiven by a private CA
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trusted!);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new UpstreamUnavailableException($"caFile '{path}' cannot be read as PEM certificates: {ex.Message}");
        }
        if (collection.Count == 0)
        {
            throw new UpstreamUnavailableException($"caFile '{path}' holds no PEM certificate");
        }
        return collection;
    }
}
