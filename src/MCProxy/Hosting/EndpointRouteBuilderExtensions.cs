using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Supervision;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Hosting;

/// <summary>Maps every front door: /mcp, /sse, /messages, /health.</summary>
internal static class EndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapMcProxy(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        // Both hook themselves into the SupervisorFactory; resolve them before the first child starts.
        services.GetRequiredService<UpstreamNotificationRouter>();
        services.GetRequiredService<ServerRequestRelay>();
        var gateway = new GatewayContext(
            services.GetRequiredService<McpDispatcher>(),
            services.GetRequiredService<SessionRegistry>(),
            services.GetRequiredService<GatewayOptions>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IHostApplicationLifetime>(),
            new OriginGuard(services.GetRequiredService<GatewayOptions>()));
        app.MapStreamableHttp(gateway);
        app.MapLegacySse(gateway);
        app.MapHealth(services.GetRequiredService<ServerRegistry>(), gateway.Sessions,
            services.GetRequiredService<GatewayReadiness>(), services.GetRequiredService<ConfigState>(), gateway.Time);
        return app;
    }
}
