using System.Text;

namespace MCProxy.Configuration;

/// <summary>How the gateway talks to a remote server.</summary>
internal enum RemoteTransport
{
    /// <summary><c>"type": "http"</c> or a bare <c>url</c>: Streamable HTTP, falling back to legacy SSE on a 4xx other than 401/403.</summary>
    Http,

    /// <summary><c>"type": "sse"</c>: the legacy HTTP+SSE transport only.</summary>
    Sse,
}

/// <summary>
/// A remote MCP server (<c>url</c> instead of <c>command</c>), after ${VAR} and ${file:…} expansion.
/// NOTE 1: header values and credentials are secrets: <see cref="ToString"/> shows only the transport and the
/// redacted URL, so a record that reaches a log or an error carries none of them.
/// </summary>
internal sealed record RemoteServer(
    Uri Url,
    RemoteTransport Transport,
    IReadOnlyDictionary<string, string> Headers,
    RemoteCredential? Credential,
    string? CaFile,
    bool Insecure)
{
    /// <summary>The URL as /health and logs may show it: no userinfo, secret-looking query values replaced.</summary>
    public string DisplayUrl => UrlRedactor.Redact(Url);

    public bool Equals(RemoteServer? other) =>
        other is not null
        && Url.AbsoluteUri == other.Url.AbsoluteUri // NOTE 2: Uri's own equality ignores userinfo, so a changed password would not restart
        && Transport == other.Transport
        && Headers.Count == other.Headers.Count
        && Headers.All(kv => other.Headers.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && Equals(Credential, other.Credential)
        && CaFile == other.CaFile
        && Insecure == other.Insecure;

    public override int GetHashCode() => HashCode.Combine(Url, Transport, Headers.Count, Credential, CaFile, Insecure);

    public override string ToString() => $"{Transport.ToString().ToLowerInvariant()} {DisplayUrl}";
}

/// <summary>How the gateway proves itself to a remote server. Subclasses never print their secrets (NOTE 1 above).</summary>
internal abstract record RemoteCredential
{
    public abstract string Kind { get; }

    public sealed override string ToString() => Kind;
}

/// <summary><c>Authorization: Bearer …</c> with a fixed token.</summary>
internal sealed record BearerCredential(string Token) : RemoteCredential
{
    public override string Kind => "bearer";
}

/// <summary><c>Authorization: Basic …</c>.</summary>
internal sealed record BasicCredential(string Username, string Password) : RemoteCredential
{
    public override string Kind => "basic";

    public string HeaderValue => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
}

/// <summary>OAuth 2.0 client credentials: a token from <see cref="TokenUrl"/>, fetched at connect and refreshed before it expires.</summary>
internal sealed record OAuth2Credential(Uri TokenUrl, string ClientId, string ClientSecret, IReadOnlyList<string> Scopes) : RemoteCredential
{
    public override string Kind => "oauth2";

    public bool Equals(OAuth2Credential? other) =>
        other is not null && TokenUrl.AbsoluteUri == other.TokenUrl.AbsoluteUri && ClientId == other.ClientId && ClientSecret == other.ClientSecret
        && Scopes.SequenceEqual(other.Scopes);

    public override int GetHashCode() => HashCode.Combine(TokenUrl, ClientId, Scopes.Count);
}
