using System.Runtime.InteropServices;
using MCProxy.Configuration;
using MCProxy.Gateway;
using MCProxy.Health;
using MCProxy.Hosting;
using MCProxy.Supervision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MCProxy.Reconciliation;

/// <summary>
/// The one worker that applies configuration (rule 8): the initial config at start, then every effective change of
/// the config file or its .env (watched, debounced, polled, or on SIGHUP). An unusable file keeps the last good
/// config running. On shutdown it ends client sessions and stops every child with the bounded ladder.
/// NOTE 1: signals only mark "maybe changed"; the loop re-reads both files and compares their content, so bursts,
/// duplicate events and no-op saves cost one read and no reconcile.
/// </summary>
internal sealed partial class ReconcileLoop(
    GatewayOptions options,
    InitialConfig initial,
    Reconciler reconciler,
    ConfigState state,
    ServerRegistry servers,
    SessionRegistry sessions,
    GatewayReadiness readiness,
    OrphanReaper reaper,
    SupervisorOptions supervision,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<ReconcileLoop> logger) : BackgroundService
{
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(150);

    /// <summary>Longest a reload may take before the loop counts as stuck (settle 10 s + ladders, with room).</summary>
    public static readonly TimeSpan MaxApplyTime = TimeSpan.FromSeconds(60);

    private string _lastFingerprint = initial.Fingerprint;
    private long _reloads;
    private long _busySince; // timestamp when the current apply began; 0 when idle
    private volatile bool _crashed;

    /// <summary>
    /// False once the loop died, or while one apply has run longer than <see cref="MaxApplyTime"/>: the watchdog
    /// then withholds WATCHDOG=1 and systemd restarts a gateway that can no longer reload.
    /// </summary>
    public bool IsResponsive
    {
        get
        {
            if (_crashed)
            {
                return false;
            }
            var since = Interlocked.Read(ref _busySince);
            return since == 0 || time.GetElapsedTime(since) < MaxApplyTime;
        }
    }

    /// <summary>Raised before a changed, valid config is applied (systemd RELOADING=1).</summary>
    public event Action? Reloading;

    /// <summary>Raised with each config applied after a reload (its auth section replaces the running one).</summary>
    public event Action<GatewayConfig>? Applied;

    /// <summary>Raised after every reload attempt whose files changed: applied, or rejected with errors.</summary>
    public event Action<ReloadOutcome>? Reloaded;

    /// <summary>How many reloads were attempted (changed content only).</summary>
    public long ReloadCount => Interlocked.Read(ref _reloads);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var started = time.GetTimestamp();
            Interlocked.Exchange(ref _busySince, started);
            await reconciler.ApplyAsync(initial.Config, settle: false, stoppingToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _busySince, 0);
            _ = MarkReadyWhenSettledAsync(started);
            if (options.NoReload)
            {
                return;
            }
            var signal = new ReloadSignal(time, Debounce, TimeSpan.FromSeconds(2));
            using var watcher = new ConfigWatcher([options.ConfigPath, options.ResolvedEnvFile],
                TimeSpan.FromSeconds(options.ReloadIntervalSeconds), time, logger, signal.FileEvent, signal.Replaced, signal.Poll);
            using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // SIGHUP means "reload", not "exit"
                signal.FileEvent();
            });
            while (!stoppingToken.IsCancellationRequested)
            {
                await signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _busySince, time.GetTimestamp());
                try
                {
                    await ReloadOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    Interlocked.Exchange(ref _busySince, 0);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // Rule 12: a reconcile loop that dies silently would leave a gateway that never reloads again.
            _crashed = true;
            LogLoopCrashed(logger, ex);
            lifetime.StopApplication();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        var started = time.GetTimestamp();
        foreach (var session in sessions.All.ToArray())
        {
            sessions.Remove(session.Id);
        }
        await reconciler.StopAllAsync().ConfigureAwait(false);
        await reaper.KillAllAsync(supervision.SweepGrace).ConfigureAwait(false);
        LogStopped(logger, time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Reads both files; applies them when their content changed. Returns null when nothing changed.</summary>
    public async Task<ReloadOutcome?> ReloadOnceAsync(CancellationToken ct)
    {
        var texts = ConfigFile.ReadTexts(options);
        var fingerprint = texts.Fingerprint;
        if (fingerprint == _lastFingerprint)
        {
            return null;
        }
        var loaded = ConfigFile.Parse(texts, options);
        if (!loaded.IsValid)
        {
            // NOTE 2: an in-place save may still be under way (a poll can catch one between truncate and write):
            // look once more after the quiet period before calling the file broken.
            await Task.Delay(Debounce, time, ct).ConfigureAwait(false);
            var again = ConfigFile.ReadTexts(options);
            if (again.Fingerprint != fingerprint)
            {
                texts = again;
                fingerprint = again.Fingerprint;
                loaded = ConfigFile.Parse(again, options);
            }
            if (fingerprint == _lastFingerprint)
            {
                return null; // the save finished as the content we run already
            }
        }
        // Remember even an invalid read, so a broken file is reported once, not at every poll.
        _lastFingerprint = fingerprint;
        Interlocked.Increment(ref _reloads);
        ReloadOutcome outcome;
        if (!loaded.IsValid)
        {
            state.MarkInvalid(loaded.FileErrors);
            LogInvalidFile(logger, options.ConfigPath, string.Join("; ", loaded.FileErrors));
            outcome = new ReloadOutcome(null, loaded.FileErrors);
        }
        else
        {
            Reloading?.Invoke();
            var plan = await reconciler.ApplyAsync(loaded.Config!, settle: true, ct).ConfigureAwait(false);
            Applied?.Invoke(loaded.Config!);
            state.MarkGood(time.GetUtcNow());
            outcome = new ReloadOutcome(plan, []);
        }
        Reloaded?.Invoke(outcome);
        return outcome;
    }

    private async Task MarkReadyWhenSettledAsync(long started)
    {
        await Task.WhenAll(servers.Entries.Select(e => e.Supervisor?.FirstAttempt ?? Task.CompletedTask)).ConfigureAwait(false);
        readiness.MarkReady();
        var entries = servers.Entries;
        LogReady(logger, entries.Count(e => e.State == ServerState.Ready), entries.Count, time.GetElapsedTime(started).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "gateway ready: {ReadyCount}/{ServerCount} servers ready after {ElapsedMs:0} ms")]
    private static partial void LogReady(ILogger logger, int readyCount, int serverCount, double elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "all servers stopped in {ElapsedMs:0} ms")]
    private static partial void LogStopped(ILogger logger, double elapsedMs);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "config {Path} not applied, the last good config keeps running: {Errors}")]
    private static partial void LogInvalidFile(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = 403, Level = LogLevel.Critical, Message = "the reconcile loop stopped unexpectedly; stopping the gateway")]
    private static partial void LogLoopCrashed(ILogger logger, Exception exception);
}
