using Microsoft.AspNetCore.Http;

namespace MCProxy.Security;

/// <summary>
/// Whether a request comes from this machine itself: its peer is a loopback address and no proxy forwarded it. A
/// load balancer on the same host (HAProxy, nginx, a Kubernetes sidecar) connects from loopback on behalf of anyone,
/// so a request carrying <c>X-Forwarded-For</c> or <c>Forwarded</c> is never local: it gets what a remote caller gets
/// (no stderr tails or last errors on /health, the status page or the REST API without a token).
/// </summary>
internal static class LocalCaller
{
    public static bool Is(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote) &&
        !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded") &&
        !context.Request.Headers.ContainsKey("X-Real-IP");
}
