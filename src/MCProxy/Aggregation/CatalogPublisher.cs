using MCProxy.Protocol;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Aggregation;

/// <summary>
/// Owns the current <see cref="Catalog"/>: rebuilds it when a server changes, swaps it atomically, and raises
/// <see cref="ListsChanged"/> with the list_changed notifications owed — only for the lists a client sees that
/// really changed (rule 16).
/// </summary>
internal sealed partial class CatalogPublisher
{
    private readonly ServerRegistry _registry;
    private readonly BuiltInTools _builtIn;
    private readonly string _separator;
    private readonly ILogger<CatalogPublisher> _logger;
    private readonly object _rebuildLock = new();
    private Catalog _current = Catalog.Empty;
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

    public Catalog Current => Volatile.Read(ref _current);

    private volatile bool _broadcast;

    /// <summary>Top-level <c>"broadcast"</c>: adds the broadcast tools (see <see cref="BroadcastTools"/>); rebuilds when it changes.</summary>
    public bool Broadcast
    {
        get => _broadcast;
        set
        {
            if (_broadcast != value)
            {
                _broadcast = value;
                Rebuild();
            }
        }
    }

    /// <summary>Raised (outside any lock) with the list_changed notification methods owed to clients.</summary>
    public event Action<IReadOnlyList<string>>? ListsChanged;

    /// <summary>Holds rebuilds back until the returned scope ends, so one reconcile gives at most one notification.</summary>
    public IDisposable Batch()
    {
        Interlocked.Increment(ref _suspended);
        return new BatchScope(this);
    }

    public void Rebuild()
    {
        var changed = new List<string>(3);
        lock (_rebuildLock)
        {
            if (Volatile.Read(ref _suspended) > 0)
            {
                _dirtyWhileSuspended = true;
                return;
            }
            var entries = _registry.Entries.Where(e => e.Supervisor?.Status is { State: ServerState.Ready }).ToList();
            var ready = entries.Select(e => e.Supervisor!.Status).ToList();
            // A server's "tools" filter hides tools from everyone (its current definition: edits apply live).
            var tools = entries.Select(e => (e.Name, e.Definition.Config?.Tools is { } filter && filter != Configuration.ToolFilter.All
                ? (IReadOnlyList<Protocol.UpstreamTool>)e.Supervisor!.Status.Tools.Where(t => filter.Allows(t.Name)).ToList()
                : e.Supervisor!.Status.Tools)).ToList();
            var shapes = entries.ToDictionary(e => e.Name, e => e.Definition.Config?.Shape ?? Configuration.ToolShape.None, StringComparer.Ordinal);
            Configuration.ToolShape ShapeOf(string server) => shapes.TryGetValue(server, out var shape) ? shape : Configuration.ToolShape.None;
            var (broadcastDefinitions, broadcasts) = _broadcast
                ? BroadcastTools.Build(tools, s => ShapeOf(s).Tags, _separator)
                : ([], new Dictionary<string, BroadcastTools.Target>());
            var next = new Catalog(
                ToolCatalog.Build(tools, [.. _builtIn.Definitions, .. broadcastDefinitions], _separator, shapes: ShapeOf),
                ToolCatalog.Build(ready.Select(s => (s.Name, s.Prompts)), [], _separator, "prompts", ShapeOf),
                UriCatalog.Build(ready.Select(s => (s.Name, s.Resources)), Protocol.ListKind.Resources),
                UriCatalog.Build(ready.Select(s => (s.Name, s.Templates)), Protocol.ListKind.Templates),
                new CatalogCapabilities(
                    Prompts: ready.Any(s => s.Has("prompts"u8)),
                    Resources: ready.Any(s => s.Has("resources"u8)),
                    Subscribe: ready.Any(s => s.Info is { } i && Protocol.JsonSlice.TryGetProperty(i.Capabilities, "resources"u8, out var r) &&
                                              Protocol.JsonSlice.TryGetProperty(r, "subscribe"u8, out var sub) && sub.Span.SequenceEqual("true"u8)),
                    Logging: ready.Any(s => s.Has("logging"u8)),
                    Completions: ready.Any(s => s.Has("completions"u8)))
                {
                    Tasks = ready.Any(s => s.Info is { } i && Protocol.JsonSlice.TryGetProperty(i.Capabilities, "extensions"u8, out var x) &&
                                           Protocol.JsonSlice.TryGetProperty(x, "io.modelcontextprotocol/tasks"u8, out _)),
                })
            {
                Broadcasts = broadcasts,
            };
            var previous = _current;
            if (!next.Tools.ListResult.AsSpan().SequenceEqual(previous.Tools.ListResult))
            {
                changed.Add("notifications/tools/list_changed");
            }
            if (!next.Prompts.ListResult.AsSpan().SequenceEqual(previous.Prompts.ListResult))
            {
                changed.Add("notifications/prompts/list_changed");
            }
            if (!next.Resources.ListResult.AsSpan().SequenceEqual(previous.Resources.ListResult) ||
                !next.Templates.ListResult.AsSpan().SequenceEqual(previous.Templates.ListResult))
            {
                changed.Add("notifications/resources/list_changed");
            }
            Volatile.Write(ref _current, next);
            foreach (var conflict in next.Tools.Conflicts.Concat(next.Prompts.Conflicts))
            {
                LogConflict(_logger, conflict);
            }
        }
        if (changed.Count > 0)
        {
            LogCatalogChanged(_logger, Current.Tools.Routes.Count, Current.Prompts.Routes.Count, Current.Resources.Routes.Count);
            ListsChanged?.Invoke(changed);
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

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "catalogue changed: {ToolCount} tools, {PromptCount} prompts, {ResourceCount} resources")]
    private static partial void LogCatalogChanged(ILogger logger, int toolCount, int promptCount, int resourceCount);
}
