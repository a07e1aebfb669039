using MCProxy.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MCProxy.Telemetry;

/// <summary>DI wiring of metrics (unless --no-metrics) and, when an OTLP endpoint is configured, of tracing.</summary>
internal static class TelemetryServiceCollectionExtensions
{
    public static IServiceCollection AddTelemetry(this IServiceCollection services, GatewayOptions options)
    {
        if (options.Metrics)
        {
            services.AddSingleton<GatewayMetrics>();
            services.AddSingleton(sp => new MeterAggregator(sp.GetRequiredService<GatewayMetrics>().Meter,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("MCProxy.Telemetry")));
        }
        if (OtlpSettings.FromEnvironment(options) is { } otlp)
        {
            services.AddSingleton(otlp);
            // The relay spans, and ASP.NET Core's own span per HTTP request (it carries a client's traceparent header),
            // so a relay span's parent is exported too.
            services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(otlp.ServiceName, serviceVersion: Protocol.McpProtocol.Version))
                .WithTracing(tracing => tracing
                    .AddSource(GatewayTracing.SourceName, "Microsoft.AspNetCore")
                    .AddOtlpExporter(exporter =>
                    {
                        exporter.Endpoint = otlp.Endpoint;
                        exporter.Protocol = otlp.Protocol;
                    }));
        }
        return services;
    }
}
