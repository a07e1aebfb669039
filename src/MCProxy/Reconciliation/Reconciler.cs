using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Reconciliation;

/// <summary>
/// The one applier (rule 7): the only code that starts or stops supervisors. Applies are serialised; stops run in
/// parallel, each bounded by the shutdown ladder. The catalogue is batched so one reconcile notifies clients once.
/// </summary>
internal sealed partial class Reconciler
{
    private readonly ServerRegistry _registry;
    private readonly CatalogPublisher _catalog;
    private readonly SupervisorFactory _factory;
    private readonly ILogger<Reconciler> _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);

    public Reconciler(ServerRegistry registry, CatalogPublisher catalog, SupervisorFactory factory, ILogger<Reconciler> logger)
    {
        _registry = registry;
        _catalog = catalog;
        _factory = factory;
        _logger = logger;
    }

    /// <summary>Brings the running set in line with <paramref name="config"/>.</summary>
    public async Task<ReconcilePlan> ApplyAsync(GatewayConfig config, CancellationToken ct = default)
    {
        await _applyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var actual = _registry.Entries.ToDictionary(e => e.Name, e => e.Definition, StringComparer.Ordinal);
            var plan = ConfigDiff.Compute(actual, config);
            var order = config.Servers.Select((d, i) => (d.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            using (_catalog.Batch())
            {
                var stopping = plan.Remove.Concat(plan.Restart.Select(d => d.Name))
                    .Select(name => _registry.TryGet(name, out var entry) ? entry.Supervisor : null)
                    .OfType<ServerSupervisor>()
                    .Select(s => s.StopAsync())
                    .ToArray();
                await Task.WhenAll(stopping).ConfigureAwait(false);
                foreach (var name in plan.Remove)
                {
                    _registry.Remove(name);
                }
                foreach (var definition in plan.Add.Concat(plan.Restart))
                {
                    Start(definition, order[definition.Name]);
                }
                foreach (var definition in plan.InvalidKept)
                {
                    if (_registry.TryGet(definition.Name, out var entry))
                    {
                        entry.PendingErrors = definition.Errors;
                    }
                }
                foreach (var name in plan.Unchanged)
                {
                    if (_registry.TryGet(name, out var entry))
                    {
                        entry.PendingErrors = null;
                        entry.Order = order[name];
                    }
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
            await Task.WhenAll(_registry.Entries.Select(e => e.Supervisor?.StopAsync() ?? Task.CompletedTask)).ConfigureAwait(false);
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private void Start(ServerDefinition definition, int order)
    {
        if (definition.Config is not { Enabled: true } config)
        {
            _registry.Set(new ServerEntry(definition, order, null));
            return;
        }
        var supervisor = _factory.Create(config);
        _registry.Set(new ServerEntry(definition, order, supervisor));
        supervisor.Start();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "reload: {Summary}")]
    private static partial void LogReconciled(ILogger logger, string summary);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "[{Server}] invalid configuration: {Error}")]
    private static partial void LogServerInvalid(ILogger logger, string server, string error);
}
