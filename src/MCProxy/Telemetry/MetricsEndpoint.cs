using System.Text;
using MCProxy.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MCProxy.Telemetry;

/// <summary>
/// <c>GET /metrics</c> in the Prometheus text format, behind the same door as /mcp (Host/Origin guard, then the
/// <c>auth</c> section's tokens when there is one), and the events that feed <see cref="GatewayMetrics"/>.
/// Absent (404) with <c>--no-metrics</c>.
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void MapMetrics(this IEndpointRouteBuilder app, GatewayContext gateway)
    {
        var services = app.ServiceProvider;
        if (services.GetService<GatewayMetrics>() is not { } metrics)
        {
            return; // --no-metrics: nothing listens, nothing counts
        }
        var aggregator = services.GetRequiredService<MeterAggregator>();
        gateway.Audit.Recorded += metrics.OnAudit;
        var loop = services.GetRequiredService<Reconciliation.ReconcileLoop>();
        loop.Reloading += metrics.OnReloading;
        loop.Reloaded += metrics.OnReloaded;
        app.MapGet(Path, gateway.Door(async context =>
        {
            metrics.Sample();
            var body = Encoding.UTF8.GetBytes(aggregator.Scrape());
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = PrometheusText.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }));
    }
}
