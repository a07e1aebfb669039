using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace MCProxy.Hosting.Systemd;

/// <summary>
/// Asks the gateway's own HTTP server for /health over loopback, as a client would: proof for the watchdog that
/// Kestrel accepts and answers, not merely that a timer thread runs.
/// </summary>
internal sealed class GatewaySelfProbe(IServer server) : IDisposable
{
    // The gateway's own loopback address: its certificate (with --tls-cert) names the public host, not 127.0.0.1.
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    });

    /// <summary>Null when /health answered 200 within <paramref name="budget"/>; else why not.</summary>
    public async Task<string?> AnswersAsync(TimeSpan budget)
    {
        if (Url() is not { } url)
        {
            return "the HTTP server has no address yet";
        }
        using var cts = new CancellationTokenSource(budget);
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"/health answered {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return $"/health did not answer within {budget.TotalSeconds:0.#} s ({ex.GetType().Name})";
        }
    }

    private string? Url()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1"), UriKind.Absolute, out var uri))
        {
            return null;
        }
        var host = uri.Host is "0.0.0.0" or "localhost" ? "127.0.0.1" : uri.Host is "[::]" or "::" ? "[::1]" : uri.Host;
        if (uri.HostNameType == UriHostNameType.IPv6 && host == "[::]")
        {
            host = "[::1]";
        }
        return $"{uri.Scheme}://{host}:{uri.Port}/health";
    }

    public void Dispose() => _http.Dispose();
}
