namespace MCProxy.Supervision;

/// <summary>Restart and shutdown timing. Defaults are the product's; tests shorten them.</summary>
internal sealed record SupervisorOptions
{
    /// <summary>Restart delays: 1 s, 2 s, 4 s; a crash after the last one marks the server failed.</summary>
    public IReadOnlyList<TimeSpan> Backoff { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)];

    /// <summary>Running this long without a crash forgets earlier crashes.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Shutdown ladder: wait after closing stdin, then after SIGTERM, then after SIGKILL (≤ 5 s together).</summary>
    public TimeSpan StdinGrace { get; init; } = TimeSpan.FromSeconds(1.5);
    public TimeSpan TermGrace { get; init; } = TimeSpan.FromSeconds(1.5);
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>After the leader is gone: how long leftover group members get between SIGTERM and SIGKILL.</summary>
    public TimeSpan SweepGrace { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Coalesces bursts of a child's tools/list_changed into one re-list.</summary>
    public TimeSpan ListChangedDebounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>After the ladder: how long the stderr pipe may stay open (a descendant holding it) before it is no longer read.</summary>
    public TimeSpan StderrGrace { get; init; } = TimeSpan.FromMilliseconds(500);

    public int StderrLines { get; init; } = 20;

    /// <summary>The largest message a child may write on stdout; a larger one drops its connection (it restarts).</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;
}
