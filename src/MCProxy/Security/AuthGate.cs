using MCProxy.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MCProxy.Security;

/// <summary>
/// Every MCP door's bouncer: with an <c>auth</c> section, a request needs <c>Authorization: Bearer &lt;token&gt;</c>
/// naming a configured identity, else 401 with <c>WWW-Authenticate: Bearer resource_metadata="…"</c> (RFC 9728) and
/// a JSON-RPC error body. The identity rides on the request for the doors behind it (<see cref="Of"/>).
/// </summary>
internal sealed partial class AuthGate(Authenticator authenticator, AuditLog audit, TimeProvider time, ILogger<AuthGate> logger,
    Func<Configuration.DisclosureConfig> disclosureDefault)
{
    private const string ItemKey = "mcproxy.identity";
    public const string MetadataPath = "/.well-known/oauth-protected-resource";

    /// <summary>The request's Authorization header, or null when it has none.</summary>
    public static string? AuthorizationOf(HttpRequest request) => request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null;

    /// <summary>The identity the gate admitted for this request.</summary>
    public static Identity Of(HttpContext context) => context.Items[ItemKey] as Identity ?? Identity.Open;

    public RequestDelegate Wrap(RequestDelegate next) => async context =>
    {
        if (await authenticator.AuthenticateAsync(AuthorizationOf(context.Request)).ConfigureAwait(false) is { } identity)
        {
            // ?tools=full|discover|auto on the endpoint URL: this connection's disclosure, for clients that cannot send headers.
            if (context.Request.Query.TryGetValue("tools", out var tools))
            {
                if (Configuration.DisclosureConfig.ParseMode(tools.ToString()) is not { } mode)
                {
                    await Gateway.HttpIo.WriteErrorAsync(context, StatusCodes.Status400BadRequest, JsonRpcErrorCodes.InvalidRequest,
                        "?tools= must be full, discover or auto").ConfigureAwait(false);
                    return;
                }
                var inherited = identity.Disclosure ?? disclosureDefault();
                identity = identity with { Disclosure = inherited with { Mode = mode } };
            }
            context.Items[ItemKey] = identity;
            await next(context).ConfigureAwait(false);
            return;
        }
        LogRefused(logger, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress?.ToString() ?? "?",
            context.Request.Headers.Authorization.Count > 0 ? "a token no identity has" : "no bearer token");
        audit.Write(new AuditRecord(time.GetUtcNow(), "-", null, $"{context.Request.Method} {context.Request.Path}", null, null, 0,
            AuditOutcome.Unauthenticated, context.Request.ContentLength ?? 0, 0, null, default));
        context.Response.Headers.WWWAuthenticate =
            $"Bearer resource_metadata=\"{context.Request.Scheme}://{context.Request.Host}{MetadataPath}\"";
        await Gateway.HttpIo.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, JsonRpcErrorCodes.ServerError,
            "Unauthorized: send Authorization: Bearer <token> with a token from the gateway's auth section").ConfigureAwait(false);
    };

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "refused {Method} {Path} from {Remote}: {Why}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string remote, string why);
}
