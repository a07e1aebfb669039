using MCProxy.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MCProxy.Security;

/// <summary>
/// RFC 9728 protected-resource metadata, as the MCP authorization spec asks of a server: which resource this is
/// and how to present a token. Public (a client reads it before it has a token).
/// </summary>
internal static class ProtectedResourceEndpoint
{
    public static void MapProtectedResource(this IEndpointRouteBuilder app, Authenticator authenticator) =>
        app.MapGet(AuthGate.MetadataPath, context =>
        {
            var origin = $"{context.Request.Scheme}://{context.Request.Host}";
            var body = JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("resource"u8, origin + "/mcp");
                w.WriteString("resource_name"u8, "MCProxy");
                w.WriteStartArray("bearer_methods_supported"u8);
                w.WriteStringValue("header");
                w.WriteEndArray();
                w.WriteStartArray("authorization_servers"u8);
                if (authenticator.Issuer is { } issuer)
                {
                    w.WriteStringValue(issuer); // the JWT issuer clients get tokens from
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            context.Response.Headers.CacheControl = "no-store";
            return Gateway.HttpIo.WriteJsonAsync(context, StatusCodes.Status200OK, body);
        });
}
