using System.Text;
using MCProxy.Configuration;
using MCProxy.Protocol;
using MCProxy.Upstreams;
using Microsoft.Extensions.Logging;

namespace MCProxy.Supervision;

/// <summary>
/// Keeps one configured server running. Its parts: this file (status and the API the gateway calls),
/// <c>ServerSupervisor.Restarts.cs</c> (restart with backoff, <c>failed</c> after too many crashes),
/// <c>ServerSupervisor.ChildLife.cs</c> (one life of the child: start, handshake, lists, teardown),
/// <c>ServerSupervisor.Limits.cs</c> (the memoryMB watch; see <see cref="ChildRlimits"/> for the others), plus
/// <see cref="ListRefresher"/>, <see cref="StderrDrain"/>, <see cref="ShutdownLadder"/> and <see cref="OrphanReaper"/>.
/// NOTE 1: the status is an immutable snapshot replaced under <see cref="_gate"/>; <see cref="Changed"/> fires
/// after the swap, outside the lock, so listeners always read a complete state.
/// </summary>
internal sealed partial class ServerSupervisor : IAsyncDisposable
{
    private readonly SupervisorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly UpstreamHandlers _handlers;
    private readonly OrphanReaper? _reaper;
    private readonly StderrTail _stderr;
    private readonly ListRefresher _lists;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private ServerStatus _status;
    private IUpstreamChannel? _connection;
    private Task _loop = Task.CompletedTask;

    public ServerSupervisor(ServerConfig config, SupervisorOptions options, TimeProvider time, ILogger logger,
        UpstreamHandlers? handlers = null, OrphanReaper? reaper = null)
    {
        Config = config;
        _options = options;
        _time = time;
        _logger = logger;
        _handlers = handlers ?? UpstreamHandlers.None;
        _reaper = reaper;
        _stderr = new StderrTail(options.StderrLines);
        _lists = new ListRefresher(options.ListChangedDebounce, time);
        _status = new ServerStatus { Name = config.Name, State = ServerState.Starting, Since = time.GetUtcNow() };
    }

    public ServerConfig Config { get; }

    public string Name => Config.Name;

    public ServerStatus Status => Volatile.Read(ref _status);

    public IReadOnlyList<string> StderrTail => _stderr.Snapshot();

    /// <summary>The ring itself, for <c>mcproxy logs -f</c> (it outlives restarts of the child, not of the supervisor).</summary>
    public StderrTail Stderr => _stderr;

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
        return Telemetry.GatewayTracing.RequestAsync(connection, Name, method, rawParams, Config.Timeout, ct); // a span when traced
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

    /// <summary>
    /// A client-facing explanation of why the server cannot answer: state, exit code, last error. Never the stderr
    /// tail, which may carry a child's secrets: that stays in the log and in /health for loopback callers.
    /// </summary>
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
        if (_stderr.Snapshot().Count > 0)
        {
            text.Append(" (its last stderr lines are in the gateway's log and in /health on loopback)");
        }
        return text.ToString();
    }

    /// <summary>Stops the child with the shutdown ladder and ends supervision. Idempotent; bounded by the ladder.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }
        await _loop.ConfigureAwait(false);
        _http?.Dispose();
        Publish(s => s.WithoutItems() with { State = ServerState.Stopped, Pid = null });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Publish(Func<ServerStatus, ServerStatus> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _status, change(_status));
        }
        Changed?.Invoke(this);
    }
}
