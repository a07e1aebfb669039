using System.Collections.Concurrent;
using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Reconciliation;

/// <summary>
/// The one applier (rule 7): the only code that starts or stops supervisors. Applies are serialised; stops run in
/// parallel, each bounded by the shutdown ladder. The catalogue is batched so one reconcile notifies clients once.
/// NOTE 1: a removed server leaves the registry (and so every list) at once and is stopped in the background: a
/// reload never waits behind a slow stop. A restarted server is stopped before its new instance starts (the two
/// may share files or ports), which the ladder bounds. <see cref="StopAllAsync"/> waits for both kinds.
/// </summary>
internal sealed partial class Reconciler
{
    private readonly ServerRegistry _registry;
    private readonly CatalogPublisher _catalog;
    private readonly SupervisorFactory _factory;
    private readonly ILogger<Reconciler> _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Task, byte> _stopping = new();

    public Reconciler(ServerRegistry registry, CatalogPublisher catalog, SupervisorFactory factory, TimeProvider time, ILogger<Reconciler> logger)
    {
        _time = time;
        _registry = registry;
        _catalog = catalog;
        _factory = factory;
        _logger = logger;
    }

    /// <summary>Servers a reload starts get this long to finish their first start before clients are notified anyway.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Brings the running set in line with <paramref name="config"/>.</summary>
    /// <param name="settle">Hold the catalogue until the servers this reconcile starts have finished their first start
    /// (bounded by <see cref="SettleTimeout"/>), so a restart that keeps the same tools notifies nobody and an add
    /// notifies once, with the new tools already listed. The initial start does not settle: tools appear as servers come up.</param>
    public async Task<ReconcilePlan> ApplyAsync(GatewayConfig config, bool settle, CancellationToken ct = default)
    {
        await _applyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var actual = _registry.Entries.ToDictionary(e => e.Name, e => e.Definition, StringComparer.Ordinal);
            var plan = ConfigDiff.Compute(actual, config);
            var order = config.Servers.Select((d, i) => (d.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            using (_catalog.Batch())
            {
                foreach (var name in plan.Remove)
                {
                    if (_registry.TryGet(name, out var removed))
                    {
                        _registry.Remove(name);
                        if (removed.Supervisor is { } supervisor)
                        {
                            StopInBackground(supervisor);
                        }
                    }
                }
                var restarting = plan.Restart
                    .Select(d => _registry.TryGet(d.Name, out var entry) ? entry.Supervisor : null)
                    .OfType<ServerSupervisor>()
                    .Select(s => s.StopAsync())
                    .ToArray();
                await Task.WhenAll(restarting).ConfigureAwait(false);
                var started = new List<Task>();
                foreach (var definition in plan.Add.Concat(plan.Restart))
                {
                    if (Start(definition, order[definition.Name]) is { } supervisor)
                    {
                        started.Add(supervisor.FirstAttempt);
                    }
                }
                foreach (var definition in plan.InvalidKept)
                {
                    if (_registry.TryGet(definition.Name, out var entry))
                    {
                        entry.PendingErrors = definition.Errors;
                    }
                }
                var refilter = false;
                var desired = config.Servers.ToDictionary(d => d.Name, StringComparer.Ordinal);
                foreach (var name in plan.Unchanged)
                {
                    if (_registry.TryGet(name, out var entry))
                    {
                        entry.PendingErrors = null;
                        entry.Order = order[name];
                        // Equal configs may still differ in what needs no restart: take the new definition.
                        if (desired[name].Config is { } next && entry.Definition.Config is { } current &&
                            (current.Tools != next.Tools || current.Shape != next.Shape || current.MaxOutputBytes != next.MaxOutputBytes ||
                             current.Redact != next.Redact))
                        {
                            entry.Definition = desired[name];
                            refilter = true;
                        }
                    }
                }
                if (refilter)
                {
                    _catalog.Rebuild(); // inside the batch: one rebuild, one list_changed, at its end
                }
                if (settle && started.Count > 0)
                {
                    await Task.WhenAny(Task.WhenAll(started), Task.Delay(SettleTimeout, _time, ct)).ConfigureAwait(false);
                }
            }
            foreach (var definition in config.Servers.Where(d => !d.IsValid))
            {
                foreach (var error in definition.Errors)
                {
                    LogServerInvalid(_logger, definition.Name, error.ToString());
                }
            }
            LogReconciled(_logger, plan.Summary());
            return plan;
        }
        finally
        {
            _applyLock.Release();
        }
    }

    /// <summary>Stops every server (gateway shutdown), in parallel.</summary>
    public async Task StopAllAsync()
    {
        await _applyLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_registry.Entries.Select(e => e.Supervisor?.StopAsync() ?? Task.CompletedTask)
                .Concat(_stopping.Keys)).ConfigureAwait(false);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    /// <summary>Stops without waiting (NOTE 1); a failure is logged, and the task is awaited at shutdown.</summary>
    private void StopInBackground(ServerSupervisor supervisor)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await supervisor.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Supervision edge: one server's failed stop is logged; reloads and other servers carry on.
                LogStopFailed(_logger, supervisor.Name, ex);
            }
        });
        _stopping[task] = 0;
        _ = task.ContinueWith(t => _stopping.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private ServerSupervisor? Start(ServerDefinition definition, int order)
    {
        if (definition.Config is not { Enabled: true } config)
        {
            _registry.Set(new ServerEntry(definition, order, null));
            return null;
        }
        var supervisor = _factory.Create(config);
        _registry.Set(new ServerEntry(definition, order, supervisor));
        supervisor.Start();
        return supervisor;
    }

    [LoggerMessage(EventId = 404, Level = LogLevel.Error, Message = "[{Server}] stopping the removed server failed")]
    private static partial void LogStopFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "reload: {Summary}")]
    private static partial void LogReconciled(ILogger logger, string summary);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "[{Server}] invalid configuration: {Error}")]
    private static partial void LogServerInvalid(ILogger logger, string server, string error);
}
