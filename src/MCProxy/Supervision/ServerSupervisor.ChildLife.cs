using MCProxy.Protocol;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>One life of the child: start it, run the MCP handshake, list what it offers, serve until it goes, tear down.</summary>
internal sealed partial class ServerSupervisor
{
    /// <summary>Returns when the child became ready (null if it never did), after it and its descendants are gone.</summary>
    private async Task<DateTimeOffset?> RunOnceAsync(bool restarting, CancellationToken stop)
    {
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(Config.Command, Config.Args, Config.Env, Config.Cwd, _reaper?.NewMarker() ?? "-", Config.InheritEnv, Config.Limits);
        }
        catch (IOException ex)
        {
            Publish(s => s with { State = ServerState.Restarting, LastError = ex.Message, ExitCode = null });
            LogStartFailed(_logger, Name, ex.Message);
            return null;
        }
        var startedAt = _time.GetUtcNow();
        Publish(s => s with
        {
            State = restarting ? ServerState.Restarting : ServerState.Starting, Pid = child.Pid, Since = startedAt,
        });
        LogStarting(_logger, Name, child.Pid, Config.Command);
        var stderr = StderrDrain.Start(child.Stderr, Name, _stderr, _time, _logger);
        IUpstreamChannel? channel = null; // the child's pipes, or the 2026-07-28 driver around them
        var connection = new UpstreamConnection(Name, child.Stdin, child.Stdout, _time, _logger,
            message => OnNotification(channel!, message), request => _handlers.Request(this, request), _options.MaxMessageBytes);
        channel = connection;
        connection.Start();
        using var lifeEnds = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var memoryBreach = WatchMemoryAsync(child, connection, lifeEnds.Token);
        DateTimeOffset? readyAt = null;
        string? error = null;
        var unavailable = false; // the pipe broke: the exit code says more than the pipe error
        try
        {
            // A child of the 2026-07-28 revision answers server/discover; any other is initialized as before.
            var info = await UpstreamHandshake.DiscoverAsync(connection, Config.Timeout, stop, Config.Protocol).ConfigureAwait(false);
            PerRequestChannel? perRequest = null;
            if (info is not null)
            {
                channel = perRequest = new PerRequestChannel(connection, Name, _logger);
            }
            else
            {
                info = await UpstreamHandshake.InitializeAsync(connection, Name, Config.Timeout, stop).ConfigureAwait(false);
            }
            readyAt = await BecomeReadyAsync(channel, info, startedAt, s => s, stop).ConfigureAwait(false);
            perRequest?.StartListening(info.Capabilities);
            var stopped = Task.Delay(Timeout.Infinite, stop);
            await Task.WhenAny(connection.Closed, child.Exited, stopped).ConfigureAwait(false);
            if (!stop.IsCancellationRequested && connection.Closed.IsCompleted)
            {
                error = connection.Closed.Result;
                unavailable = error.StartsWith("stdout", StringComparison.Ordinal);
            }
        }
        catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
                                       or OperationCanceledException)
        {
            // Supervision edge: a child that fails its handshake is restarted like one that crashed.
            error = stop.IsCancellationRequested ? null : ex.Message;
            unavailable = ex is UpstreamUnavailableException;
        }
        finally
        {
            await lifeEnds.CancelAsync().ConfigureAwait(false);
            Volatile.Write(ref _connection, null);
            if (Status.State == ServerState.Ready)
            {
                Publish(s => s.WithoutItems() with { State = ServerState.Restarting });
            }
            channel.Close(stop.IsCancellationRequested ? "the gateway is stopping the server" : "the server went away");
            await TearDownAsync(child, stderr).ConfigureAwait(false);
        }
        var exitCode = child.Exited.IsCompleted ? child.Exited.Result : (int?)null;
        if (!stop.IsCancellationRequested)
        {
            var described = exitCode is { } c ? $"process exited with code {c}" : "process stopped responding";
            if (readyAt is null)
            {
                described += " before it was ready";
            }
            if (error is not null && !unavailable)
            {
                described += $" ({error})";
            }
            // A broken limit says more than the exit it caused.
            described = await memoryBreach.ConfigureAwait(false) ?? LimitBreach.Cpu(exitCode, child.CpuSeconds, Config.Limits) ?? described;
            Publish(s => s with { ExitCode = exitCode, LastError = described, Pid = null });
            LogExited(_logger, Name, child.Pid, exitCode ?? -1, described);
        }
        return readyAt;
    }

    /// <summary>Lists what the upstream offers, then publishes it ready and serving through <paramref name="channel"/>.</summary>
    private async Task<DateTimeOffset> BecomeReadyAsync(IUpstreamChannel channel, UpstreamInfo info, DateTimeOffset startedAt,
        Func<ServerStatus, ServerStatus> extra, CancellationToken stop)
    {
        var lists = new Dictionary<ListKind, IReadOnlyList<UpstreamTool>>();
        foreach (var kind in ListKind.All)
        {
            lists[kind] = await ListIfOfferedAsync(channel, info, kind, stop).ConfigureAwait(false);
        }
        var readyAt = _time.GetUtcNow();
        Volatile.Write(ref _connection, channel);
        Publish(s => extra(s with
        {
            State = ServerState.Ready, Info = info, LastError = null, ExitCode = null, Since = readyAt,
            Tools = lists[ListKind.Tools], Prompts = lists[ListKind.Prompts], Resources = lists[ListKind.Resources],
            Templates = lists[ListKind.Templates],
        }));
        _firstAttempt.TrySetResult();
        LogReady(_logger, Name, lists[ListKind.Tools].Count, (readyAt - startedAt).TotalMilliseconds, info.ServerName ?? "?", info.ProtocolVersion);
        return readyAt;
    }

    /// <summary>
    /// Ends the child and everything it started, bounded: the ladder for its process group, then whatever escaped
    /// the group (by process tree and by marker), then at most <see cref="SupervisorOptions.StderrGrace"/> for the
    /// stderr pipe to reach EOF. Nothing here waits on the child's goodwill.
    /// </summary>
    private async Task TearDownAsync(ChildProcess child, StderrDrain stderr)
    {
        try
        {
            var descendants = child.HasExited ? [] : OrphanReaper.DescendantsOf(child.Pid);
            await ShutdownLadder.RunAsync(child, _options, _time).ConfigureAwait(false);
            if (_reaper is not null)
            {
                await _reaper.KillEscapeesAsync(descendants, child.Marker, _options.SweepGrace).ConfigureAwait(false);
            }
            await stderr.FinishAsync(_options.StderrGrace, _time).ConfigureAwait(false);
        }
        finally
        {
            stderr.Abandon();
            child.Dispose();
        }
    }

    private void OnNotification(IUpstreamChannel connection, JsonRpcMessage message)
    {
        if (message.Method == "notifications/subscriptions/acknowledged")
        {
            return; // a 2026-07-28 child took our subscriptions/listen (PerRequestChannel); nothing for clients
        }
        var kinds = ListRefresher.KindsOf(message.Method);
        if (kinds == 0)
        {
            _handlers.Notification(this, message);
            return;
        }
        if (_lists.Mark(kinds))
        {
            _ = RefreshAsync(connection);
        }
    }

    /// <summary>Re-lists what a (debounced) list_changed from the child named.</summary>
    private async Task RefreshAsync(IUpstreamChannel connection)
    {
        var info = Status.Info;
        var updates = await _lists.RefreshAsync(
            (kind, ct) => info is null ? Task.FromResult<IReadOnlyList<UpstreamTool>>([]) : ListIfOfferedAsync(connection, info, kind, ct),
            _stop.Token).ConfigureAwait(false);
        if (updates is null || info is null || !ReferenceEquals(Volatile.Read(ref _connection), connection))
        {
            return;
        }
        Publish(s =>
        {
            foreach (var (kind, items) in updates)
            {
                s = s.WithItems(kind, items);
            }
            return s;
        });
        LogToolsRefreshed(_logger, Name, Status.Tools.Count);
    }

    /// <summary>Lists a kind when the child offers it; an optional list (templates) that errors counts as empty.</summary>
    private async Task<IReadOnlyList<UpstreamTool>> ListIfOfferedAsync(IUpstreamChannel connection, UpstreamInfo info, ListKind kind, CancellationToken ct)
    {
        if (!JsonSlice.TryGetProperty(info.Capabilities, kind.CapabilityUtf8, out _))
        {
            return [];
        }
        try
        {
            return await UpstreamHandshake.ListAllAsync(connection, Name, kind, Config.Timeout, ct).ConfigureAwait(false);
        }
        catch (UpstreamProtocolException) when (kind == ListKind.Templates)
        {
            return []; // older servers offer resources without templates
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "[{Server}] starting pid {Pid}: {Command}")]
    private static partial void LogStarting(ILogger logger, string server, int pid, string command);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "[{Server}] ready: {ToolCount} tools in {ElapsedMs:0} ms ({ServerInfo}, protocol {ProtocolVersion})")]
    private static partial void LogReady(ILogger logger, string server, int toolCount, double elapsedMs, string serverInfo, string protocolVersion);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "[{Server}] pid {Pid} exited with code {ExitCode}: {Reason}")]
    private static partial void LogExited(ILogger logger, string server, int pid, int exitCode, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "[{Server}] could not start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "[{Server}] lists changed: now {ToolCount} tools")]
    private static partial void LogToolsRefreshed(ILogger logger, string server, int toolCount);
}
