using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Reconciliation;

/// <summary>What <see cref="Reconciler.RestartAsync"/> did.</summary>
internal enum RestartOutcome
{
    Restarted,
    NotFound,
    /// <summary>Disabled or invalid: no supervisor to restart (enable or fix it in the config instead).</summary>
    NotRunning,
}

internal sealed partial class Reconciler
{
    /// <summary>
    /// <c>mcproxy servers restart NAME</c>: stops the server with the ladder and starts a fresh supervisor from the
    /// same definition (its restart count and a <c>failed</c> state start over), serialised with reloads by the apply
    /// lock. Waits for the first start to settle, bounded by <see cref="SettleTimeout"/>.
    /// </summary>
    public async Task<RestartOutcome> RestartAsync(string name, CancellationToken ct)
    {
        Task firstAttempt;
        await _applyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!_registry.TryGet(name, out var entry))
            {
                return RestartOutcome.NotFound;
            }
            if (entry.Supervisor is not { } old || entry.Definition.Config is not { Enabled: true })
            {
                return RestartOutcome.NotRunning;
            }
            using (_catalog.Batch())
            {
                await old.StopAsync().ConfigureAwait(false);
                await old.DisposeAsync().ConfigureAwait(false);
                var supervisor = Start(entry.Definition, entry.Order)!;
                firstAttempt = supervisor.FirstAttempt;
                if (_registry.TryGet(name, out var fresh))
                {
                    fresh.PendingErrors = entry.PendingErrors; // a newer, invalid edit is still not applied
                }
                await Task.WhenAny(firstAttempt, Task.Delay(SettleTimeout, _time, ct)).ConfigureAwait(false);
            }
            LogRestartedOnRequest(_logger, name);
        }
        finally
        {
            _applyLock.Release();
        }
        return RestartOutcome.Restarted;
    }

    [LoggerMessage(EventId = 405, Level = LogLevel.Information, Message = "[{Server}] restarted on request (mcproxy servers restart)")]
    private static partial void LogRestartedOnRequest(ILogger logger, string server);
}
