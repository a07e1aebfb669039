using System.Text.Json;

namespace MCProxy.Configuration;

/// <summary>
/// The remote half of a server entry: <c>url</c>, <c>type</c> (<c>http</c>, <c>sse</c>), <c>headers</c>, <c>auth</c>
/// (bearer, basic, oauth2 client credentials), <c>caFile</c> and <c>insecure</c>, in the shapes Claude Code,
/// VS Code and Cursor write. Every problem is reported through <c>error</c> with its field.
/// </summary>
internal static class RemoteParser
{
    /// <summary>The fields that only a remote server may have.</summary>
    public static readonly string[] Fields = ["url", "headers", "auth", "caFile", "insecure"];

    /// <summary>Reads <c>type</c>: null for stdio, else the remote transport; reports an unknown type.</summary>
    public static bool TryReadType(JsonElement element, Action<string, string> error, out RemoteTransport? transport)
    {
        transport = null;
        if (!element.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.Null)
        {
            transport = element.TryGetProperty("url", out _) ? RemoteTransport.Http : null;
            return true;
        }
        switch (type.ValueKind == JsonValueKind.String ? type.GetString() : null)
        {
            case "stdio" or "":
                return true;
            case "http" or "streamable-http" or "streamableHttp" or "streamable_http":
                transport = RemoteTransport.Http;
                return true;
            case "sse":
                transport = RemoteTransport.Sse;
                return true;
            default:
                error("type", "\"type\" must be \"stdio\", \"http\" (Streamable HTTP, falling back to SSE) or \"sse\"");
                return false;
        }
    }

    public static RemoteServer? Parse(JsonElement element, RemoteTransport transport, Func<string, string, string?> expand,
        Action<string, string> error)
    {
        Uri? url = null;
        if (!element.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String)
        {
            error("url", "a remote server needs \"url\": the server's MCP endpoint, e.g. \"https://api.example.com/mcp\"");
        }
        else if (expand("url", urlElement.GetString()!) is { } text)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https"))
            {
                // Never echo the value: a URL may carry a key.
                error("url", "\"url\" must be an absolute http:// or https:// URL");
                url = null;
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (element.TryGetProperty("headers", out var headersElement) && headersElement.ValueKind != JsonValueKind.Null)
        {
            if (headersElement.ValueKind != JsonValueKind.Object)
            {
                error("headers", "\"headers\" must be an object of string values, e.g. {\"X-Api-Key\": \"${API_KEY}\"}");
            }
            else
            {
                foreach (var header in headersElement.EnumerateObject())
                {
                    var field = $"headers.{header.Name}";
                    if (header.Value.ValueKind != JsonValueKind.String)
                    {
                        error(field, "header values must be strings");
                    }
                    else if (!IsToken(header.Name))
                    {
                        error(field, "not a valid HTTP header name");
                    }
                    else if (IsReserved(header.Name))
                    {
                        error(field, $"the gateway sets {header.Name} itself");
                    }
                    else if (expand(field, header.Value.GetString()!) is { } value)
                    {
                        if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                        {
                            error(field, "a header value must not contain line breaks");
                        }
                        else
                        {
                            headers[header.Name] = value;
                        }
                    }
                }
            }
        }

        RemoteCredential? credential = null;
        if (element.TryGetProperty("auth", out var authElement) && authElement.ValueKind != JsonValueKind.Null)
        {
            credential = ParseCredential(authElement, expand, error);
            if (credential is not null && headers.ContainsKey("Authorization"))
            {
                error("headers.Authorization", "give the credentials either as \"auth\" or as an Authorization header, not both");
            }
        }

        string? caFile = null;
        if (element.TryGetProperty("caFile", out var caElement) && caElement.ValueKind != JsonValueKind.Null)
        {
            if (caElement.ValueKind != JsonValueKind.String || caElement.GetString()!.Length == 0)
            {
                error("caFile", "\"caFile\" must be the path of a PEM file with the CA certificate(s) to trust");
            }
            else
            {
                caFile = expand("caFile", caElement.GetString()!);
            }
        }

        var insecure = false;
        if (element.TryGetProperty("insecure", out var insecureElement) && insecureElement.ValueKind != JsonValueKind.Null)
        {
            if (insecureElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                error("insecure", "\"insecure\" must be true or false");
            }
            else
            {
                insecure = insecureElement.GetBoolean();
            }
        }
        if (insecure && caFile is not null)
        {
            error("insecure", "\"insecure\" skips certificate checks, so \"caFile\" would be ignored: give one of them");
        }
        return url is null ? null : new RemoteServer(url, transport, headers, credential, caFile, insecure);
    }

    private static RemoteCredential? ParseCredential(JsonElement auth, Func<string, string, string?> expand, Action<string, string> error)
    {
        const string Shapes = "\"auth\" must be {\"type\": \"bearer\", \"token\": …}, {\"type\": \"basic\", \"username\": …, \"password\": …} " +
                              "or {\"type\": \"oauth2\", \"tokenUrl\": …, \"clientId\": …, \"clientSecret\": …, \"scopes\": […]}";
        if (auth.ValueKind != JsonValueKind.Object || !auth.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            error("auth", Shapes);
            return null;
        }
        string? Text(string member)
        {
            if (!auth.TryGetProperty(member, out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            {
                error($"auth.{member}", $"\"{member}\" must be a non-empty string");
                return null;
            }
            var expanded = expand($"auth.{member}", value.GetString()!);
            if (expanded is { Length: 0 })
            {
                error($"auth.{member}", $"\"{member}\" is empty after expansion: its variable or secret file holds nothing");
                return null;
            }
            return expanded;
        }
        switch (type.GetString())
        {
            case "bearer":
                return Text("token") is { } token ? new BearerCredential(token) : null;
            case "basic":
            {
                var user = Text("username");
                var password = Text("password");
                if (user is not null && user.Contains(':'))
                {
                    error("auth.username", "a basic-auth username must not contain ':'");
                    return null;
                }
                return user is null || password is null ? null : new BasicCredential(user, password);
            }
            case "oauth2":
            {
                var tokenUrlText = Text("tokenUrl");
                var clientId = Text("clientId");
                var secret = Text("clientSecret");
                Uri? tokenUrl = null;
                if (tokenUrlText is not null && (!Uri.TryCreate(tokenUrlText, UriKind.Absolute, out tokenUrl) || tokenUrl.Scheme is not ("http" or "https")))
                {
                    error("auth.tokenUrl", "\"tokenUrl\" must be an absolute http:// or https:// URL");
                    tokenUrl = null;
                }
                var scopes = new List<string>();
                if (auth.TryGetProperty("scopes", out var scopesElement) && scopesElement.ValueKind != JsonValueKind.Null)
                {
                    if (scopesElement.ValueKind != JsonValueKind.Array || scopesElement.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
                    {
                        error("auth.scopes", "\"scopes\" must be an array of strings");
                    }
                    else
                    {
                        scopes.AddRange(scopesElement.EnumerateArray().Select(s => s.GetString()!));
                    }
                }
                return tokenUrl is null || clientId is null || secret is null ? null : new OAuth2Credential(tokenUrl, clientId, secret, scopes);
            }
            default:
                error("auth.type", Shapes);
                return null;
        }
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c < 127 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)));

    private static bool IsReserved(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || name.Equals("Mcp-Session-Id", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("MCP-Protocol-Version", StringComparison.OrdinalIgnoreCase) || name.Equals("Accept", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
}
