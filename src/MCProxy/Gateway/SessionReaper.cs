using MCProxy.Configuration;
using MCProxy.Hosting;
using Microsoft.Extensions.Hosting;

namespace MCProxy.Gateway;

/// <summary>
/// Removes Streamable HTTP sessions nobody has used for <see cref="GatewayOptions.SessionIdleTimeout"/> and that hold
/// no open stream: curl users and crashed clients never send DELETE.
/// </summary>
internal sealed class SessionReaper(SessionRegistry sessions, GatewayOptions options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, options.SessionIdleTimeout.Ticks / 4));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                ReapOnce();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One sweep; returns how many sessions were removed.</summary>
    public int ReapOnce()
    {
        var cutoff = time.GetUtcNow() - options.SessionIdleTimeout;
        var removed = 0;
        foreach (var session in sessions.All)
        {
            if (session is StreamableSession && !session.HasStream && session.InFlight.IsEmpty && session.LastActivity < cutoff &&
                sessions.Remove(session.Id))
            {
                removed++;
            }
        }
        return removed;
    }
}
