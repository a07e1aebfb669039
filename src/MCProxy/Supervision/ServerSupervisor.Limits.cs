using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>
/// <c>"limits.memoryMB"</c>: a watch over the resident memory of the child's whole process tree (an address-space
/// rlimit would break node, which reserves far more than it uses). cpuSeconds and openFiles are kernel rlimits,
/// set at start (<see cref="ChildRlimits"/>).
/// </summary>
internal sealed partial class ServerSupervisor
{
    /// <summary>How often the memory watch reads /proc while a child with <c>"limits.memoryMB"</c> lives.</summary>
    internal static readonly TimeSpan MemoryPollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Until <paramref name="ct"/>: every <see cref="MemoryPollInterval"/>, the RSS of the child and all its
    /// descendants. Past the limit it publishes the reason as the last error (so calls arriving meanwhile are told),
    /// logs it, and closes the connection with it (calls in flight fail with it; the life ends and the normal restart
    /// path with backoff follows). Returns the reason, or null when the life ended without a breach.
    /// </summary>
    private async Task<string?> WatchMemoryAsync(ChildProcess child, UpstreamConnection connection, CancellationToken ct)
    {
        if (Config.Limits.MemoryMB is null)
        {
            return null;
        }
        try
        {
            while (true)
            {
                await Task.Delay(MemoryPollInterval, _time, ct).ConfigureAwait(false);
                if (ChildUsage.Of(child.Pid) is not { } usage)
                {
                    return null; // gone: the exit path says why
                }
                if (LimitBreach.Memory(usage, Config.Limits) is { } reason)
                {
                    Publish(s => s with { LastError = reason });
                    LogMemoryExceeded(_logger, Name, child.Pid, usage.Processes, usage.RssBytes / (1024 * 1024), Config.Limits.MemoryMB.Value);
                    connection.Close(reason);
                    return reason;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null; // this life ended first
        }
    }

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning,
        Message = "[{Server}] the processes of pid {Pid} ({Processes} in all) use {RssMiB} MiB, over \"limits.memoryMB\": {LimitMiB}; restarting it")]
    private static partial void LogMemoryExceeded(ILogger logger, string server, int pid, int processes, long rssMiB, int limitMiB);
}
