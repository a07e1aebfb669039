using MCProxy.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Supervision;

/// <summary>
/// Finds and ends the processes a child leaves behind, wherever they went:
/// - every child's environment carries a marker (<see cref="ChildEnvironment.MarkerVariable"/> = this gateway's id
///   + the child's own id) that its descendants inherit, also when they leave the process group with setsid;
/// - stopping a server kills its descendants (by tree and by marker) after the shutdown ladder;
/// - stopping the gateway kills whatever still carries this gateway's id;
/// - with <see cref="GatewayOptions.ReapOrphans"/> the gateway is the child subreaper (prctl), so orphans are
///   re-parented to it instead of to init, and a periodic sweep reaps every zombie no waitpid thread owns (the
///   gateway may be PID 1 in a container, where nobody else would).
/// </summary>
internal sealed partial class OrphanReaper : BackgroundService
{
    public static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OrphanReaper> _logger;
    // NOTE 1: markers need uniqueness, not secrecy: Random.Shared, so an idle gateway never loads libcrypto (3.4 MB RSS).
    private readonly string _gatewayId = Random.Shared.NextInt64(1L << 47).ToString("x12");

    public OrphanReaper(GatewayOptions options, TimeProvider time, ILogger<OrphanReaper> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>A fresh marker for one child start: this gateway's id, a dot, the child's id.</summary>
    public string NewMarker() => $"{_gatewayId}.{Random.Shared.NextInt64(1L << 47):x12}";

    /// <summary>The descendants of a running child, taken before the ladder breaks the tree apart.</summary>
    public static IReadOnlyList<ProcessInfo> DescendantsOf(int pid) => ProcessTree.Descendants(pid, ProcessTree.Snapshot());

    /// <summary>
    /// Ends the given descendants (if still the same processes) and every process carrying <paramref name="marker"/>:
    /// SIGTERM, up to <paramref name="grace"/>, SIGKILL. Returns how many were found alive.
    /// </summary>
    public async Task<int> KillEscapeesAsync(IReadOnlyList<ProcessInfo> known, string marker, TimeSpan grace)
    {
        var alive = Alive(known, marker, exact: true);
        if (alive.Count == 0)
        {
            return 0;
        }
        LogEscapees(_logger, alive.Count, string.Join(", ", alive.Select(p => p.Pid)));
        await TermThenKillAsync(alive, grace).ConfigureAwait(false);
        return alive.Count;
    }

    /// <summary>At gateway stop: ends every process that still carries this gateway's id.</summary>
    public async Task KillAllAsync(TimeSpan grace)
    {
        var alive = Alive([], _gatewayId + ".", exact: false);
        if (alive.Count > 0)
        {
            LogEscapees(_logger, alive.Count, string.Join(", ", alive.Select(p => p.Pid)));
            await TermThenKillAsync(alive, grace).ConfigureAwait(false);
        }
        SweepZombies();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.ReapOrphans)
        {
            return;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            LogNoSubreaper(_logger, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        }
        using var timer = new PeriodicTimer(SweepPeriod, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                SweepZombies();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping; KillAllAsync does the last sweep.
        }
    }

    /// <summary>Reaps every zombie child of this process that no waitpid thread owns. Returns how many.</summary>
    public int SweepZombies()
    {
        if (!_options.ReapOrphans)
        {
            return 0;
        }
        var self = Environment.ProcessId;
        var count = 0;
        try
        {
            lock (ChildProcess.SpawnLock)
            {
                foreach (var p in ProcessTree.Snapshot())
                {
                    if (p.ParentPid == self && p.State == 'Z' && !ChildProcess.Tracked.ContainsKey(p.Pid))
                    {
                        unsafe
                        {
                            int status;
                            if (waitpid(p.Pid, &status, WNOHANG) == p.Pid)
                            {
                                count++;
                            }
                        }
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // Last resort in a loop: a failed sweep is retried at the next tick.
            LogSweepFailed(_logger, ex.Message);
        }
        if (count > 0)
        {
            LogReaped(_logger, count);
        }
        return count;
    }

    private static List<ProcessInfo> Alive(IReadOnlyList<ProcessInfo> known, string marker, bool exact)
    {
        var self = Environment.ProcessId;
        var table = ProcessTree.Snapshot();
        var byPid = table.ToDictionary(p => p.Pid);
        var result = new Dictionary<int, ProcessInfo>();
        foreach (var p in known)
        {
            if (byPid.TryGetValue(p.Pid, out var now) && now.StartTime == p.StartTime && now.State != 'Z')
            {
                result[p.Pid] = now;
            }
        }
        foreach (var p in table)
        {
            if (p.Pid == self || p.State == 'Z' || result.ContainsKey(p.Pid))
            {
                continue;
            }
            var value = ProcessTree.EnvironmentValue(p.Pid, ChildEnvironment.MarkerVariable);
            if (value is not null && (exact ? value == marker : value.StartsWith(marker, StringComparison.Ordinal)))
            {
                result[p.Pid] = p;
            }
        }
        return result.Values.ToList();
    }

    private async Task TermThenKillAsync(IReadOnlyList<ProcessInfo> targets, TimeSpan grace)
    {
        foreach (var p in targets)
        {
            kill(p.Pid, SIGTERM);
        }
        var deadline = _time.GetUtcNow() + grace;
        while (_time.GetUtcNow() < deadline && targets.Any(p => IsSame(p)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), _time).ConfigureAwait(false);
        }
        foreach (var p in targets)
        {
            if (IsSame(p))
            {
                kill(p.Pid, SIGKILL);
            }
        }
        SweepZombies();
    }

    /// <summary>Still the same live process (not exited, not a zombie, pid not reused).</summary>
    private static bool IsSame(ProcessInfo p) => ProcessTree.Read(p.Pid) is { } now && now.StartTime == p.StartTime && now.State != 'Z';

    [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "ending {Count} processes that escaped their server's process group: {Pids}")]
    private static partial void LogEscapees(ILogger logger, int count, string pids);

    [LoggerMessage(EventId = 121, Level = LogLevel.Debug, Message = "reaped {Count} orphaned zombies")]
    private static partial void LogReaped(ILogger logger, int count);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "cannot become the child subreaper (errno {Errno}); orphans go to init")]
    private static partial void LogNoSubreaper(ILogger logger, int errno);

    [LoggerMessage(EventId = 123, Level = LogLevel.Error, Message = "orphan sweep failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);
}
