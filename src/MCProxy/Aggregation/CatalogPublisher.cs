using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Aggregation;

/// <summary>
/// Owns the current <see cref="ToolCatalog"/>: rebuilds it when a server changes, swaps it atomically, and raises
/// <see cref="ToolsChanged"/> only when the merged list a client sees really changed (rule 16).
/// </summary>
internal sealed partial class CatalogPublisher
{
    private readonly ServerRegistry _registry;
    private readonly BuiltInTools _builtIn;
    private readonly string _separator;
    private readonly ILogger<CatalogPublisher> _logger;
    private readonly object _rebuildLock = new();
    private ToolCatalog _current = ToolCatalog.Empty;
    private int _suspended;
    private bool _dirtyWhileSuspended;

    public CatalogPublisher(ServerRegistry registry, BuiltInTools builtIn, GatewaySeparator separator, ILogger<CatalogPublisher> logger)
    {
        _registry = registry;
        _builtIn = builtIn;
        _separator = separator.Value;
        _logger = logger;
        _registry.Changed += Rebuild;
        Rebuild();
    }

    public ToolCatalog Current => Volatile.Read(ref _current);

    /// <summary>Raised (outside any lock) after the merged tool list changed.</summary>
    public event Action? ToolsChanged;

    /// <summary>Holds rebuilds back until the returned scope ends, so one reconcile gives at most one notification.</summary>
    public IDisposable Batch()
    {
        Interlocked.Increment(ref _suspended);
        return new BatchScope(this);
    }

    public void Rebuild()
    {
        bool changed;
        lock (_rebuildLock)
        {
            if (Volatile.Read(ref _suspended) > 0)
            {
                _dirtyWhileSuspended = true;
                return;
            }
            var ready = _registry.Entries
                .Select(e => e.Supervisor?.Status)
                .Where(s => s is { State: ServerState.Ready })
                .Select(s => (s!.Name, s.Tools));
            var next = ToolCatalog.Build(ready, _builtIn.Definitions, _separator);
            changed = !next.ListResult.AsSpan().SequenceEqual(_current.ListResult);
            Volatile.Write(ref _current, next);
            foreach (var conflict in next.Conflicts)
            {
                LogConflict(_logger, conflict);
            }
        }
        if (changed)
        {
            LogCatalogChanged(_logger, Current.Routes.Count);
            ToolsChanged?.Invoke();
        }
    }

    private void EndBatch()
    {
        bool dirty;
        lock (_rebuildLock)
        {
            if (Interlocked.Decrement(ref _suspended) > 0)
            {
                return;
            }
            dirty = _dirtyWhileSuspended;
            _dirtyWhileSuspended = false;
        }
        if (dirty)
        {
            Rebuild();
        }
    }

    private sealed class BatchScope(CatalogPublisher owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.EndBatch();
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "two tools map to the exposed name '{Name}'; only the first is listed")]
    private static partial void LogConflict(ILogger logger, string name);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "tool list changed: {ToolCount} tools")]
    private static partial void LogCatalogChanged(ILogger logger, int toolCount);
}
