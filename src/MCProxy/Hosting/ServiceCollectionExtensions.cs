using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Hosting.Systemd;
using MCProxy.Reconciliation;
using MCProxy.Supervision;
using MCProxy.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace MCProxy.Hosting;

/// <summary>DI wiring of the whole pipeline (rule 15).</summary>
internal static class ServiceCollectionExtensions
{
    public static IServiceCollection AddMcProxy(this IServiceCollection services, GatewayOptions options, InitialConfig initial)
    {
        services.AddSingleton(options);
        services.AddSingleton(new GatewaySeparator(options.Separator));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new SupervisorOptions { MaxMessageBytes = options.Limits.MaxChildMessageBytes });
        services.AddSingleton(sp => new ConfigState(Path.GetFullPath(options.ConfigPath), sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.AddSingleton(initial);
        services.AddSingleton<ServerRegistry>();
        services.AddSingleton<OrphanReaper>();
        services.AddHostedService(sp => sp.GetRequiredService<OrphanReaper>());
        // What children send on their own reaches the gateway's relays through the supervisors' constructors.
        services.AddSingleton(sp => new UpstreamHandlers(
            sp.GetRequiredService<UpstreamNotificationRouter>().Route,
            sp.GetRequiredService<ServerRequestRelay>().HandleAsync));
        services.AddSingleton<SupervisorFactory>();
        services.AddSingleton<BuiltInTools>();
        services.AddSingleton<CatalogPublisher>();
        services.AddSingleton<Reconciler>();
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton<ListChangeNotifier>();
        services.AddSingleton<ProgressRouter>();
        services.AddSingleton<UpstreamNotificationRouter>();
        services.AddSingleton<ServerRequestRelay>();
        services.AddSingleton<InputRequests>();
        services.AddSingleton<ParkedCalls>();
        services.AddSingleton<McpDispatcher>();
        services.AddSingleton(sp => new Output.InitialResults(sp.GetRequiredService<InitialConfig>().Config.Results));
        services.AddSingleton<Output.SpillStore>();
        services.AddSingleton(sp => new Disclosure.InitialDisclosure(sp.GetRequiredService<InitialConfig>().Config.Disclosure));
        services.AddSingleton<Disclosure.MetaTools>();
        services.AddSingleton<Disclosure.DisclosurePolicy>();
        services.AddSingleton<Output.ResultFilter>();
        services.AddSingleton<OriginGuard>();
        services.AddSingleton(sp => new Security.Authenticator(sp.GetRequiredService<InitialConfig>().Config.Auth,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Security.Authenticator>>()));
        services.AddSingleton(sp => new Security.AuthGate(sp.GetRequiredService<Security.Authenticator>(), sp.GetRequiredService<Security.AuditLog>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Security.AuthGate>>(),
            () => sp.GetRequiredService<Disclosure.DisclosurePolicy>().Gateway));
        services.AddSingleton(sp => new Security.AuditLog(sp.GetRequiredService<InitialConfig>().Config.Audit,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Security.AuditLog>>()));
        services.AddSingleton<Security.IdentityRateLimiter>();
        services.AddSingleton<GatewayReadiness>();
        services.AddSingleton<SessionReaper>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionReaper>());
        services.AddSingleton<ReconcileLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<ReconcileLoop>());
        // Under systemd (or as PID 1 with NOTIFY_SOCKET, in a container) the package's lifetime sends READY=1 and
        // STOPPING=1; a disabled notifier everywhere else. The gate makes "started" mean "first start settled".
        services.AddSystemd();
        services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
        services.AddHostedService<ReadinessGate>();
        services.TryAddSingleton(_ => WatchdogInterval.FromEnvironment());
        services.AddSingleton<GatewaySelfProbe>();
        services.AddHostedService<SystemdNotifyService>();
        services.AddTelemetry(options);
        return services;
    }
}

/// <summary>The config read (and validated) before the host was built, with the fingerprint of the files it came from.</summary>
internal sealed record InitialConfig(GatewayConfig Config, string Fingerprint);
