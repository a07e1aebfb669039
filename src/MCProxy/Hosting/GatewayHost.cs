using System.Net;
using MCProxy.Admin;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Hosting.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MCProxy.Hosting;

/// <summary>Builds the web host: Kestrel on --host/--port, console logging, the pipeline's services and endpoints.</summary>
internal static class GatewayHost
{
    public static WebApplication Build(GatewayOptions options, InitialConfig initial, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        // HTTPS when --tls-cert/--tls-key are given: the certificate is asked for at every handshake, so a renewed
        // file is served without a restart (TlsCertificateSource).
        var tls = options.TlsCert is { } certPath && options.TlsKey is { } keyPath
            ? new TlsCertificateSource(certPath, keyPath, LoggingSetup.Bootstrap(options))
            : null;
        void Configure(ListenOptions listen)
        {
            if (tls is not null)
            {
                listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => tls.Current);
            }
        }
        // The admin API (the CLI's door) listens on a unix socket only, never on the TCP port (Admin/AdminEndpoints).
        var admin = options.AdminSocket is { Length: > 0 } adminPath ? Admin.AdminSocket.Prepare(adminPath) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxBodyBytes + 1;
            if (options.Host is "localhost")
            {
                kestrel.ListenLocalhost(options.Port, Configure);
            }
            else if (options.Host is "*" or "0.0.0.0" or "::" || !IPAddress.TryParse(options.Host, out var address))
            {
                if (options.Host is "*" or "0.0.0.0" or "::")
                {
                    kestrel.ListenAnyIP(options.Port, Configure);
                }
                else
                {
                    throw new ArgumentException($"--host '{options.Host}' is not an IP address (use 127.0.0.1, 0.0.0.0 or localhost)");
                }
            }
            else
            {
                kestrel.Listen(address, options.Port, Configure);
            }
            if (admin is { Listens: true })
            {
                kestrel.ListenUnixSocket(admin.Path); // after the TCP port: "Now listening on" names that first
            }
        });
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            // Kestrel answers /health ("starting") while ReadinessGate holds "started" back for the first start.
            o.ServicesStartConcurrently = true;
        });
        builder.Logging.UseMcProxyLogging(options);
        builder.Services.AddMcProxy(options, initial);
        if (admin is not null)
        {
            builder.Services.AddAdmin(admin);
        }
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.UseErrorBoundary(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MCProxy.Gateway"));
        if (admin is { Listens: true })
        {
            app.UseAdminDoor();
            app.MapAdmin();
        }
        app.MapMcProxy();
        return app;
    }
}
