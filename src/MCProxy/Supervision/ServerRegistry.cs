using System.Collections.Concurrent;

namespace MCProxy.Supervision;

/// <summary>Every configured server by name. Written only by the reconciler; read by routing, catalogue and /health.</summary>
internal sealed class ServerRegistry
{
    private readonly ConcurrentDictionary<string, ServerEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>Raised when a server was added or removed, or any supervisor's status changed.</summary>
    public event Action? Changed;

    public IReadOnlyList<ServerEntry> Entries => _entries.Values.OrderBy(e => e.Order).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();

    public bool TryGet(string name, out ServerEntry entry) => _entries.TryGetValue(name, out entry!);

    public void Set(ServerEntry entry)
    {
        if (entry.Supervisor is { } supervisor)
        {
            supervisor.Changed += OnSupervisorChanged;
        }
        if (_entries.TryGetValue(entry.Name, out var old) && old.Supervisor is { } previous)
        {
            previous.Changed -= OnSupervisorChanged;
        }
        _entries[entry.Name] = entry;
        Changed?.Invoke();
    }

    public void Remove(string name)
    {
        if (_entries.TryRemove(name, out var old) && old.Supervisor is { } previous)
        {
            previous.Changed -= OnSupervisorChanged;
        }
        Changed?.Invoke();
    }

    private void OnSupervisorChanged(ServerSupervisor supervisor) => Changed?.Invoke();
}
