using MCProxy.Configuration;

namespace MCProxy.Hosting;

/// <summary>
/// <c>mcproxy health</c>: asks a running gateway for <c>/health</c> and exits 0 when it answers 200 with
/// <c>"ready": true</c>, 1 otherwise. The container health check uses it: the official .NET images carry neither
/// wget nor curl (dotnet/dotnet-docker#2379).
/// </summary>
internal static class HealthCommand
{
    public static async Task<int> RunAsync(GatewayOptions options, TextWriter output, TimeSpan timeout)
    {
        var host = options.Host is "0.0.0.0" or "*" or "::" or "localhost" ? "127.0.0.1" : options.Host;
        if (host.Contains(':') && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }
        var scheme = options.TlsCert is null ? "http" : "https";
        var url = $"{scheme}://{host}:{options.Port}/health";
        // A liveness probe of this machine's own gateway: the certificate names the public host, not 127.0.0.1.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { Timeout = timeout };
        try
        {
            using var response = await http.GetAsync(url).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            var ready = response.IsSuccessStatusCode && body.Contains("\"ready\":true", StringComparison.Ordinal);
            await output.WriteLineAsync(ready
                ? $"mcproxy health: ready ({url})"
                : $"mcproxy health: not ready ({url} answered {(int)response.StatusCode})").ConfigureAwait(false);
            return ready ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await output.WriteLineAsync($"mcproxy health: no answer from {url} ({ex.Message})").ConfigureAwait(false);
            return 1;
        }
    }
}
