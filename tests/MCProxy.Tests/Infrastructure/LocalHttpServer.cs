using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace MCProxy.Tests.Infrastructure;

/// <summary>
/// A real Kestrel on 127.0.0.1 with a port of its own choosing, answering every request with one delegate: the far
/// end of an upstream's HTTP for tests that need a real socket (an OAuth2 token endpoint, a scripted MCP server).
/// </summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalHttpServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The server's root, <c>http://127.0.0.1:port/</c>.</summary>
    public Uri Url { get; }

    public static async Task<LocalHttpServer> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(2)); // a stream the test left open must not hold up its end
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return new LocalHttpServer(app, new Uri(app.Urls.First().TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
