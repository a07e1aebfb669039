using MCProxy.Health;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Hosting.Systemd;

/// <summary>
/// Holds the host's start until every server's first start attempt has settled, so "application started" — and
/// with it the READY=1 that <c>SystemdLifetime</c> sends — means ready. Hosted services start concurrently
/// (see GatewayHost), so Kestrel answers /health ("starting") meanwhile.
/// </summary>
internal sealed class ReadinessGate(GatewayReadiness readiness) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => readiness.WhenReady.WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
