using MCProxy.Health;
using MCProxy.Reconciliation;
using MCProxy.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace MCProxy.Hosting.Systemd;

/// <summary>
/// What the gateway tells systemd beyond the package's <see cref="SystemdLifetime"/> (which sends READY=1 when the
/// host has started — after <see cref="ReadinessGate"/>, so once every server's first start settled — and
/// STOPPING=1): STATUS= with the servers' states, RELOADING=1 (+ MONOTONIC_USEC) around each config reload and
/// READY=1 after it, and WATCHDOG=1 every half WATCHDOG_USEC — but only while the reconcile loop is responsive and
/// the HTTP server answers a real request on loopback (<see cref="GatewaySelfProbe"/>): a gateway that can no
/// longer reload or serve is left for systemd to restart. Does nothing when the notifier is disabled.
/// </summary>
internal sealed partial class SystemdNotifyService(
    ISystemdNotifier notifier,
    GatewayReadiness readiness,
    ServerRegistry servers,
    ReconcileLoop reloads,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    WatchdogInterval watchdog,
    GatewaySelfProbe probe,
    ILogger<SystemdNotifyService> logger) : IHostedService, IDisposable
{
    private ITimer? _watchdogTimer;
    private string _lastStatus = "";
    private int _reloading;
    private int _petting;

    /// <summary>CLOCK_MONOTONIC in microseconds, as RELOADING=1 wants it (Stopwatch uses that clock on Linux).</summary>
    public static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!notifier.IsEnabled)
        {
            return Task.CompletedTask;
        }
        _ = readiness.WhenReady.ContinueWith(_ => Send("STATUS=" + (_lastStatus = Status())),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        servers.Changed += UpdateStatus;
        reloads.Reloading += () =>
        {
            Volatile.Write(ref _reloading, 1);
            Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading configuration");
        };
        reloads.Reloaded += outcome =>
        {
            if (outcome.Applied && Interlocked.Exchange(ref _reloading, 0) == 1)
            {
                Send("READY=1\nSTATUS=" + (_lastStatus = Status()));
            }
            else if (!outcome.Applied)
            {
                Send($"STATUS={Status()}; config invalid, last good config running");
            }
        };
        lifetime.ApplicationStopping.Register(() => Send("STATUS=stopping"));
        if (watchdog.Value is { } interval)
        {
            var half = interval / 2;
            _watchdogTimer = time.CreateTimer(_ => _ = PetAsync(half), null, half, half);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _watchdogTimer?.Dispose();

    private void Send(string state) => notifier.Notify(new ServiceState(state));

    /// <summary>Sends WATCHDOG=1 when the reconcile loop is responsive and /health answers within <paramref name="budget"/>.</summary>
    private async Task PetAsync(TimeSpan budget)
    {
        if (Interlocked.Exchange(ref _petting, 1) == 1)
        {
            return; // the previous probe is still running: that is itself the answer
        }
        try
        {
            if (!reloads.IsResponsive)
            {
                LogWithheld(logger, "the reconcile loop is stuck or stopped");
                return;
            }
            if (await probe.AnswersAsync(budget).ConfigureAwait(false) is { } failure)
            {
                LogWithheld(logger, failure);
                return;
            }
            Send("WATCHDOG=1");
        }
        catch (Exception ex)
        {
            // Last resort on a timer: a failed probe withholds one ping, it never throws into the timer.
            LogWithheld(logger, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _petting, 0);
        }
    }

    private void UpdateStatus()
    {
        if (!readiness.IsReady || Volatile.Read(ref _reloading) == 1)
        {
            return;
        }
        var status = Status();
        if (!string.Equals(Interlocked.Exchange(ref _lastStatus, status), status, StringComparison.Ordinal))
        {
            Send("STATUS=" + status);
        }
    }

    /// <summary>"5/6 servers ready, 1 failed: github".</summary>
    private string Status()
    {
        var entries = servers.Entries;
        var ready = entries.Count(e => e.State == ServerState.Ready);
        var text = $"{ready}/{entries.Count} servers ready";
        foreach (var group in entries.Where(e => e.State is not (ServerState.Ready or ServerState.Disabled))
                     .GroupBy(e => e.State.ToString().ToLowerInvariant()))
        {
            text += $", {group.Count()} {group.Key}: {string.Join(", ", group.Select(e => e.Name))}";
        }
        return text;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "watchdog ping withheld: {Reason}")]
    private static partial void LogWithheld(ILogger logger, string reason);
}

/// <summary>WATCHDOG_USEC as read at start (null when systemd asked for no watchdog).</summary>
internal sealed record WatchdogInterval(TimeSpan? Value)
{
    public static WatchdogInterval FromEnvironment() =>
        new(long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null);
}
