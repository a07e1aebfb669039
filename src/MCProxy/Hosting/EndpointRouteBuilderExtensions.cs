using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Security;
using MCProxy.Supervision;
using MCProxy.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Hosting;

/// <summary>Maps every front door: /mcp, /sse, /messages, /api (REST), /health, /metrics, the status page (/).</summary>
internal static class EndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapMcProxy(this IEndpointRouteBuilder app)
    {
        var services = app.ServiceProvider;
        var gateway = new GatewayContext(
            services.GetRequiredService<McpDispatcher>(),
            services.GetRequiredService<SessionRegistry>(),
            services.GetRequiredService<GatewayOptions>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IHostApplicationLifetime>(),
            services.GetRequiredService<OriginGuard>(),
            new ByteBudget(services.GetRequiredService<GatewayOptions>().Limits.MaxBodyBytesInFlight),
            services.GetRequiredService<Security.AuthGate>(),
            services.GetRequiredService<Security.IdentityRateLimiter>(),
            services.GetRequiredService<Security.AuditLog>());
        app.MapStreamableHttp(gateway);
        app.MapLegacySse(gateway);
        new Gateway.Rest.RestApi(gateway, services.GetRequiredService<Aggregation.CatalogPublisher>(), services.GetRequiredService<ServerRegistry>(),
            services.GetRequiredService<Security.Authenticator>(), services.GetRequiredService<Aggregation.GatewaySeparator>().Value).Map(app);
        app.MapHealth(services.GetRequiredService<ServerRegistry>(), gateway.Sessions,
            services.GetRequiredService<GatewayReadiness>(), services.GetRequiredService<ConfigState>(), gateway.Time, gateway.Guard,
            services.GetRequiredService<Security.Authenticator>(), services.GetRequiredService<Output.ResultFilter>());
        app.MapProtectedResource(services.GetRequiredService<Security.Authenticator>());
        // The status page (GET /, GET /status/events); its recent calls per server come from the audit trail.
        var registry = services.GetRequiredService<ServerRegistry>();
        var recentCalls = new Admin.RecentCalls(gateway.Time, name => registry.TryGet(name, out _));
        gateway.Audit.Recorded += recentCalls.Add;
        new Admin.StatusPage(gateway, new Admin.StatusPageFeed(registry, recentCalls, services.GetRequiredService<GatewayReadiness>(),
                services.GetRequiredService<ConfigState>(), gateway.Sessions, gateway.Time),
            registry, services.GetRequiredService<Security.Authenticator>(),
            services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("MCProxy.Admin.StatusPage")).Map(app);
        app.MapMetrics(gateway);
        // An applied reload replaces the running auth section whole (an invalid one never gets this far).
        var authenticator = services.GetRequiredService<Security.Authenticator>();
        var audit = services.GetRequiredService<Security.AuditLog>();
        var results = services.GetRequiredService<Output.ResultFilter>();
        var disclosure = services.GetRequiredService<Disclosure.DisclosurePolicy>();
        var catalog = services.GetRequiredService<Aggregation.CatalogPublisher>();
        catalog.Broadcast = services.GetRequiredService<InitialConfig>().Config.Broadcast;
        // list_changed per session view: after a catalogue change, and after an auth edit changed who sees what.
        var notifier = services.GetRequiredService<ListChangeNotifier>();
        services.GetRequiredService<Aggregation.CatalogPublisher>().ListsChanged += _ => notifier.Changed();
        authenticator.Changed += notifier.Changed;
        services.GetRequiredService<Reconciliation.ReconcileLoop>().Applied += config =>
        {
            authenticator.Update(config.Auth);
            audit.Update(config.Audit);
            results.Update(config.Results);
            disclosure.Update(config.Disclosure);
            catalog.Broadcast = config.Broadcast;
        };
        return app;
    }
}
