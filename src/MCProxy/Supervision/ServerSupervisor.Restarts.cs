using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>Restart policy: 1 s / 2 s / 4 s, <c>failed</c> after the last, crashes forgotten after stable running.</summary>
internal sealed partial class ServerSupervisor
{
    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                DateTimeOffset? readyAt;
                try
                {
                    readyAt = Config.IsRemote
                        ? await RunRemoteOnceAsync(failures > 0, stop).ConfigureAwait(false)
                        : await RunOnceAsync(failures > 0, stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    // Last resort (rule 14, supervision edge): a bug in one life of this child restarts the child
                    // like a crash would; it never ends supervision silently, nor the gateway.
                    LogLifeFailed(_logger, Name, ex);
                    Publish(s => s.WithoutItems() with { State = ServerState.Restarting, Pid = null, LastError = $"internal error: {ex.Message}" });
                    readyAt = null;
                }
                _firstAttempt.TrySetResult();
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                if (readyAt is { } at && _time.GetUtcNow() - at >= _options.StableAfter)
                {
                    failures = 0;
                }
                failures++;
                if (failures > _options.Backoff.Count)
                {
                    Publish(s => s.WithoutItems() with { State = ServerState.Failed, Pid = null });
                    LogFailed(_logger, Name, _options.Backoff.Count, Status.LastError ?? "");
                    return;
                }
                var delay = _options.Backoff[failures - 1];
                Publish(s => s.WithoutItems() with { State = ServerState.Restarting, Pid = null });
                LogRestarting(_logger, Name, delay.TotalSeconds, failures, _options.Backoff.Count);
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                Publish(s => s with { Restarts = s.Restarts + 1 });
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping during a backoff delay.
        }
        finally
        {
            _firstAttempt.TrySetResult();
        }
    }

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "[{Server}] restarting in {DelaySeconds} s (attempt {Attempt} of {MaxAttempts})")]
    private static partial void LogRestarting(ILogger logger, string server, double delaySeconds, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "[{Server}] failed: gave up after {MaxAttempts} restarts; last error: {LastError}")]
    private static partial void LogFailed(ILogger logger, string server, int maxAttempts, string lastError);

    [LoggerMessage(EventId = 112, Level = LogLevel.Critical, Message = "[{Server}] supervising one life of the child failed unexpectedly; restarting it")]
    private static partial void LogLifeFailed(ILogger logger, string server, Exception exception);
}
