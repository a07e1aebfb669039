using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Protocol;
using MCProxy.Supervision;
using MCProxy.Upstreams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MCProxy.Health;

/// <summary>
/// <c>GET /health</c>: 200 whenever the gateway serves. <c>status</c> is "ok" when every enabled, valid server is
/// ready, "degraded" otherwise; <c>ready</c> turns true once the first start finished. <c>GET /health?ready</c> is the
/// readiness form for probes that read only the status code (Kubernetes' httpGet): 503 until ready, then 200.
/// NOTE 1: behind the same Host/Origin guard as the MCP doors (a rebinding page must not read it), and texts that
/// may carry secrets — children's stderr lines, error messages, config errors, the config path — go only to
/// callers on the loopback interface. Everyone else gets states and counts.
/// </summary>
internal static class HealthEndpoint
{
    public static void MapHealth(this IEndpointRouteBuilder app, ServerRegistry servers, SessionRegistry sessions,
        GatewayReadiness readiness, ConfigState config, TimeProvider time, OriginGuard guard, Security.Authenticator authenticator,
        Output.ResultFilter results)
    {
        string Redact(string server, string line)
        {
            var count = 0;
            return results.RedactorFor(server).Redact(line, ref count);
        }
        var started = time.GetUtcNow();
        app.MapGet("/health", guard.Wrap(async context =>
        {
            var loopback = Security.LocalCaller.Is(context);
            // With auth on, a caller with a valid token sees details too; one without, only status and readiness.
            var authenticated = authenticator.IsEnabled &&
                await authenticator.AuthenticateAsync(Security.AuthGate.AuthorizationOf(context.Request)) is not null;
            var details = loopback || authenticated;
            var entries = servers.Entries;
            var degraded = entries.Any(e => e.State is not (ServerState.Ready or ServerState.Disabled)) || !config.Current.IsValid;
            var status = !readiness.IsReady ? "starting" : degraded ? "degraded" : "ok";
            var code = !readiness.IsReady && context.Request.Query.ContainsKey("ready")
                ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            if (authenticator.IsEnabled && !details)
            {
                var brief = JsonRpcWriter.Build(w =>
                {
                    w.WriteStartObject();
                    w.WriteString("status"u8, status);
                    w.WriteBoolean("ready"u8, readiness.IsReady);
                    w.WriteEndObject();
                });
                context.Response.Headers.CacheControl = "no-store";
                await HttpIo.WriteJsonAsync(context, code, brief);
                return;
            }
            var body = JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                w.WriteString("status"u8, status);
                w.WriteBoolean("ready"u8, readiness.IsReady);
                w.WriteString("version"u8, McpProtocol.Version);
                w.WriteNumber("uptimeSeconds"u8, Math.Round((time.GetUtcNow() - started).TotalSeconds, 1));
                w.WriteNumber("sessions"u8, sessions.Count);
                var snapshot = config.Current;
                w.WriteStartObject("config"u8);
                if (details)
                {
                    w.WriteString("path"u8, snapshot.Path);
                }
                w.WriteString("status"u8, snapshot.IsValid ? "valid" : "invalid");
                w.WriteString("lastGoodAt"u8, snapshot.LastGoodAt);
                if (details)
                {
                    w.WriteStartArray("errors"u8);
                    foreach (var error in snapshot.Errors)
                    {
                        w.WriteStringValue(error.ToString());
                    }
                    w.WriteEndArray();
                }
                else
                {
                    w.WriteNumber("errorCount"u8, snapshot.Errors.Count);
                }
                w.WriteEndObject();
                w.WriteStartArray("servers"u8);
                foreach (var entry in entries)
                {
                    ServerStatusWriter.Write(w, entry, details ? StatusDetail.Full : StatusDetail.StatesOnly, Redact);
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            context.Response.Headers.CacheControl = "no-store";
            await HttpIo.WriteJsonAsync(context, code, body);
        }));
    }
}
