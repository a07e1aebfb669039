using System.Text;
using MCProxy.Configuration;
using MCProxy.Protocol;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>
/// Keeps one configured server running: start (own process group), MCP handshake, tool catalogue, restart with
/// backoff on exit, <c>failed</c> after too many crashes, and the bounded shutdown ladder on stop.
/// NOTE 1: the status is an immutable snapshot replaced under <see cref="_gate"/>; <see cref="Changed"/> fires
/// after the swap, outside the lock, so listeners always read a complete state.
/// </summary>
internal sealed partial class ServerSupervisor : IAsyncDisposable
{
    private readonly SupervisorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StderrTail _stderr;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private ServerStatus _status;
    private UpstreamConnection? _connection;
    private Task _loop = Task.CompletedTask;
    private int _refreshScheduled;

    public ServerSupervisor(ServerConfig config, SupervisorOptions options, TimeProvider time, ILogger logger)
    {
        Config = config;
        _options = options;
        _time = time;
        _logger = logger;
        _stderr = new StderrTail(options.StderrLines);
        _status = new ServerStatus { Name = config.Name, State = ServerState.Starting, Since = time.GetUtcNow() };
    }

    public ServerConfig Config { get; }

    public string Name => Config.Name;

    public ServerStatus Status => Volatile.Read(ref _status);

    public IReadOnlyList<string> StderrTail => _stderr.Snapshot();

    /// <summary>Raised after every status change (state, pid, tools).</summary>
    public event Action<ServerSupervisor>? Changed;

    /// <summary>Completes once the first start attempt has settled (ready, or failed that attempt).</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Forwards a request to the child, bounded by the server's timeout.</summary>
    /// <exception cref="UpstreamUnavailableException">the server is not ready; the message says why.</exception>
    public Task<JsonRpcMessage> RequestAsync(string method, ReadOnlyMemory<byte> rawParams, CancellationToken ct)
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null || Status.State != ServerState.Ready)
        {
            throw new UpstreamUnavailableException(DescribeUnavailable());
        }
        return connection.RequestAsync(method, rawParams, Config.Timeout, ct);
    }

    /// <summary>Sends a notification to the child if it is connected; false otherwise.</summary>
    public bool TryNotify(string method)
    {
        if (Volatile.Read(ref _connection) is not { } connection)
        {
            return false;
        }
        try
        {
            connection.Notify(method, default);
            return true;
        }
        catch (UpstreamUnavailableException)
        {
            return false;
        }
    }

    /// <summary>A user-facing explanation of why the server cannot answer: state, exit code, last error, stderr tail.</summary>
    public string DescribeUnavailable()
    {
        var s = Status;
        var text = new StringBuilder($"server '{Name}' is {s.State.ToString().ToLowerInvariant()}");
        if (s.ExitCode is { } code)
        {
            text.Append($" (last exit code {code})");
        }
        if (s.LastError is { } error)
        {
            text.Append($": {error}");
        }
        var tail = _stderr.Snapshot();
        if (tail.Count > 0)
        {
            text.Append("\nlast stderr lines:\n").AppendJoin('\n', tail.TakeLast(10));
        }
        return text.ToString();
    }

    /// <summary>Stops the child with the shutdown ladder and ends supervision. Idempotent.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        await _loop.ConfigureAwait(false);
        Publish(s => s.WithoutItems() with { State = ServerState.Stopped, Pid = null });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var readyAt = await RunOnceAsync(failures > 0, stop).ConfigureAwait(false);
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

    /// <summary>One life of the child. Returns when it became ready (null if it never did), after it is gone.</summary>
    private async Task<DateTimeOffset?> RunOnceAsync(bool restarting, CancellationToken stop)
    {
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(Config.Command, Config.Args, Config.Env, Config.Cwd);
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
        var stderrDone = DrainStderr(child);
        var connection = new UpstreamConnection(Name, child.Stdin, child.Stdout, _time, _logger);
        connection.NotificationReceived = message => OnNotification(connection, message);
        connection.RequestReceived = AnswerChildRequestAsync;
        connection.Start();
        DateTimeOffset? readyAt = null;
        string? error = null;
        var unavailable = false; // the pipe broke: the exit code says more than the pipe error
        try
        {
            var info = await UpstreamHandshake.InitializeAsync(connection, Name, Config.Timeout, stop).ConfigureAwait(false);
            var lists = new Dictionary<ListKind, IReadOnlyList<UpstreamTool>>();
            foreach (var kind in ListKind.All)
            {
                lists[kind] = await ListIfOfferedAsync(connection, info, kind, stop).ConfigureAwait(false);
            }
            readyAt = _time.GetUtcNow();
            Volatile.Write(ref _connection, connection);
            Publish(s => s with
            {
                State = ServerState.Ready, Info = info, LastError = null, ExitCode = null, Since = readyAt.Value,
                Tools = lists[ListKind.Tools], Prompts = lists[ListKind.Prompts], Resources = lists[ListKind.Resources],
                Templates = lists[ListKind.Templates],
            });
            _firstAttempt.TrySetResult();
            LogReady(_logger, Name, lists[ListKind.Tools].Count, (readyAt.Value - startedAt).TotalMilliseconds, info.ServerName ?? "?", info.ProtocolVersion);
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
            Volatile.Write(ref _connection, null);
            if (Status.State == ServerState.Ready)
            {
                Publish(s => s.WithoutItems() with { State = ServerState.Restarting });
            }
            connection.Close(stop.IsCancellationRequested ? "the gateway is stopping the server" : "the server went away");
            await ShutdownLadder.RunAsync(child, _options, _time).ConfigureAwait(false);
            await stderrDone.ConfigureAwait(false);
            child.Dispose();
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
            Publish(s => s with { ExitCode = exitCode, LastError = described, Pid = null });
            LogExited(_logger, Name, child.Pid, exitCode ?? -1, described);
        }
        return readyAt;
    }

    private Task DrainStderr(ChildProcess child)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using var reader = new StreamReader(child.Stderr, Encoding.UTF8, false, 4096, leaveOpen: true);
                while (reader.ReadLine() is { } line)
                {
                    _stderr.Add(line);
                    LogStderr(_logger, Name, line);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The pipe closed under us while stopping.
            }
            finally
            {
                done.TrySetResult();
            }
        }) { IsBackground = true, Name = $"mcp-stderr {Name}" };
        thread.Start();
        return done.Task;
    }

    /// <summary>Notifications other than list changes (progress, logging, resources/updated): the relay routes them.</summary>
    public Action<ServerSupervisor, JsonRpcMessage>? NotificationSink { get; set; }

    private void OnNotification(UpstreamConnection connection, JsonRpcMessage message)
    {
        // One bit per ListKind.All entry whose list this notification announces (resources: resources + templates).
        var kinds = 0;
        for (var i = 0; i < ListKind.All.Count; i++)
        {
            if (ListKind.All[i].ChangedNotification == message.Method)
            {
                kinds |= 1 << i;
            }
        }
        if (kinds == 0)
        {
            if (NotificationSink is { } sink)
            {
                sink(this, message);
            }
            else
            {
                LogNotificationDropped(_logger, Name, message.Method ?? "?");
            }
            return;
        }
        // NOTE 2: bursts (server-everything sends several in a row at start) coalesce into one re-list per kind.
        if ((Interlocked.Or(ref _refreshScheduled, kinds) & kinds) == 0)
        {
            _ = RefreshAsync(connection);
        }
    }

    /// <summary>Lists a kind when the child offers it; an optional list (templates) that errors counts as empty.</summary>
    private async Task<IReadOnlyList<UpstreamTool>> ListIfOfferedAsync(UpstreamConnection connection, UpstreamInfo info, ListKind kind, CancellationToken ct)
    {
        if (!Protocol.JsonSlice.TryGetProperty(info.Capabilities, kind.CapabilityUtf8, out _))
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

    /// <summary>Re-lists what a (debounced) list_changed from the child named.</summary>
    private async Task RefreshAsync(UpstreamConnection connection)
    {
        try
        {
            await Task.Delay(_options.ListChangedDebounce, _time, _stop.Token).ConfigureAwait(false);
            var kinds = Interlocked.Exchange(ref _refreshScheduled, 0);
            var info = Status.Info;
            if (info is null)
            {
                return;
            }
            var updates = new List<(ListKind, IReadOnlyList<UpstreamTool>)>();
            for (var i = 0; i < ListKind.All.Count; i++)
            {
                if ((kinds & (1 << i)) != 0)
                {
                    updates.Add((ListKind.All[i], await ListIfOfferedAsync(connection, info, ListKind.All[i], _stop.Token).ConfigureAwait(false)));
                }
            }
            if (ReferenceEquals(Volatile.Read(ref _connection), connection))
            {
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
        }
        catch (Exception ex) when (ex is UpstreamUnavailableException or UpstreamTimeoutException or UpstreamProtocolException
                                       or OperationCanceledException)
        {
            Volatile.Write(ref _refreshScheduled, 0);
            // The child went away or is stopping: its next start lists everything anyway.
        }
    }

    /// <summary>Answers the child's own requests (sampling, elicitation, roots) through the relay.</summary>
    public Func<ServerSupervisor, JsonRpcMessage, Task<byte[]>>? RequestHandler { get; set; }

    private Task<byte[]> AnswerChildRequestAsync(JsonRpcMessage request) =>
        RequestHandler is { } handler
            ? handler(this, request)
            : Task.FromResult(request.Method == "ping"
                ? JsonRpcWriter.Response(request.Id.Span, "{}"u8)
                : JsonRpcWriter.Error(request.Id.Span, JsonRpcErrorCodes.MethodNotFound, $"the gateway does not relay {request.Method}"));

    private void Publish(Func<ServerStatus, ServerStatus> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _status, change(_status));
        }
        Changed?.Invoke(this);
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "[{Server}] starting pid {Pid}: {Command}")]
    private static partial void LogStarting(ILogger logger, string server, int pid, string command);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "[{Server}] ready: {ToolCount} tools in {ElapsedMs:0} ms ({ServerInfo}, protocol {ProtocolVersion})")]
    private static partial void LogReady(ILogger logger, string server, int toolCount, double elapsedMs, string serverInfo, string protocolVersion);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "[{Server}] pid {Pid} exited with code {ExitCode}: {Reason}")]
    private static partial void LogExited(ILogger logger, string server, int pid, int exitCode, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "[{Server}] restarting in {DelaySeconds} s (attempt {Attempt} of {MaxAttempts})")]
    private static partial void LogRestarting(ILogger logger, string server, double delaySeconds, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "[{Server}] failed: gave up after {MaxAttempts} restarts; last error: {LastError}")]
    private static partial void LogFailed(ILogger logger, string server, int maxAttempts, string lastError);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "[{Server}] could not start: {Reason}")]
    private static partial void LogStartFailed(ILogger logger, string server, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "[{Server}] stderr: {Line}")]
    private static partial void LogStderr(ILogger logger, string server, string line);

    [LoggerMessage(EventId = 108, Level = LogLevel.Debug, Message = "[{Server}] notification {Method} is not relayed")]
    private static partial void LogNotificationDropped(ILogger logger, string server, string method);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "[{Server}] lists changed: now {ToolCount} tools")]
    private static partial void LogToolsRefreshed(ILogger logger, string server, int toolCount);
}
