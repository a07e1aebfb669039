using MCProxy.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MCProxy.Telemetry;

/// <summary>DI wiring of metrics (unless --no-metrics).</summary>
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
        return services;
    }
}
