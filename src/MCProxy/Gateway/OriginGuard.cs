using MCProxy.Configuration;
using MCProxy.Hosting;
using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Gateway;

/// <summary>
/// DNS-rebinding protection for the MCP endpoints (the spec's transport security rule). A browser page on
/// evil.example whose name was re-pointed at 127.0.0.1 sends <c>Host: evil.example</c> and
/// <c>Origin: http://evil.example</c>; both are refused with 403.
/// - Host: when listening on loopback, only localhost, 127.0.0.1 and [::1] (any port) plus --allowed-hosts pass.
///   On 0.0.0.0 the host names are unknowable, so Host is checked only when --allowed-hosts is given.
/// - Origin: when present, it must be a localhost origin or one of --allowed-origins. Non-browser clients send none.
/// </summary>
internal sealed class OriginGuard
{
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]", "::1"];
    private readonly HashSet<string> _hosts;
    private readonly HashSet<string> _origins;
    private readonly bool _checkHost;

    public OriginGuard(GatewayOptions options)
    {
        _hosts = new HashSet<string>(LoopbackNames.Concat(options.AllowedHosts), StringComparer.OrdinalIgnoreCase);
        _origins = new HashSet<string>(options.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        var loopback = options.Host is "127.0.0.1" or "localhost" or "::1" || options.Host.StartsWith("127.", StringComparison.Ordinal);
        _checkHost = loopback || options.AllowedHosts.Count > 0;
        if (!loopback && options.Host is not ("0.0.0.0" or "*" or "::"))
        {
            _hosts.Add(options.Host);
        }
    }

    /// <summary>Null when the request may proceed, else why it was refused.</summary>
    public string? Check(HttpRequest request)
    {
        if (_checkHost)
        {
            var host = request.Host.Host;
            if (string.IsNullOrEmpty(host) || !_hosts.Contains(host))
            {
                return $"Host '{request.Host.Value}' is not allowed (DNS-rebinding protection; see --allowed-hosts)";
            }
        }
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !_origins.Contains(origin.TrimEnd('/')) &&
            !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && LoopbackNames.Contains(uri.Host, StringComparer.OrdinalIgnoreCase)))
        {
            return $"Origin '{origin}' is not allowed (DNS-rebinding protection; see --allowed-origins)";
        }
        return null;
    }

    /// <summary>Endpoint filter: refuses with 403 and a JSON-RPC error body.</summary>
    public RequestDelegate Wrap(RequestDelegate next) => context =>
        Check(context.Request) is { } refusal
            ? HttpIo.WriteErrorAsync(context, StatusCodes.Status403Forbidden, JsonRpcErrorCodes.ServerError, "Forbidden: " + refusal)
            : next(context);
}
