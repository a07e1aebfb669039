using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Reconciliation;
using MCProxy.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MCProxy.Hosting;

/// <summary>
/// Starts the configured servers without holding up Kestrel (so /health answers during start-up), marks the gateway
/// ready when every first attempt settled, and on shutdown stops every child with the bounded ladder.
/// </summary>
internal sealed partial class GatewayService(
    InitialConfig initial,
    Reconciler reconciler,
    ServerRegistry servers,
    SessionRegistry sessions,
    GatewayReadiness readiness,
    TimeProvider time,
    ILogger<GatewayService> logger) : IHostedService
{
    private Task _startup = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        _startup = Task.Run(async () =>
        {
            await reconciler.ApplyAsync(initial.Config).ConfigureAwait(false);
            await Task.WhenAll(servers.Entries.Select(e => e.Supervisor?.FirstAttempt ?? Task.CompletedTask)).ConfigureAwait(false);
            readiness.MarkReady();
            var entries = servers.Entries;
            LogReady(logger, entries.Count(e => e.State == ServerState.Ready), entries.Count, time.GetElapsedTime(started).TotalMilliseconds);
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        foreach (var session in sessions.All.ToArray())
        {
            sessions.Remove(session.Id);
        }
        await _startup.ConfigureAwait(false);
        await reconciler.StopAllAsync().ConfigureAwait(false);
        LogStopped(logger, time.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "gateway ready: {ReadyCount}/{ServerCount} servers ready after {ElapsedMs:0} ms")]
    private static partial void LogReady(ILogger logger, int readyCount, int serverCount, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "all servers stopped in {ElapsedMs:0} ms")]
    private static partial void LogStopped(ILogger logger, double elapsedMs);
}
