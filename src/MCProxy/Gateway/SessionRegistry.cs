using System.Collections.Concurrent;
using System.Security.Cryptography;
using MCProxy.Aggregation;
using MCProxy.Protocol;

namespace MCProxy.Gateway;

/// <summary>Every live downstream session, by id; fans list_changed out to all of them.</summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, DownstreamSession> _sessions = new(StringComparer.Ordinal);

    public SessionRegistry(CatalogPublisher catalog) =>
        catalog.ListsChanged += methods =>
        {
            foreach (var method in methods)
            {
                Broadcast(JsonRpcWriter.Notification(method, default));
            }
        };

    public int Count => _sessions.Count;

    public IEnumerable<DownstreamSession> All => _sessions.Values;

    public static string NewId() => Base64Url(RandomNumberGenerator.GetBytes(16));

    public void Add(DownstreamSession session) => _sessions[session.Id] = session;

    public bool TryGet(string id, out DownstreamSession session) => _sessions.TryGetValue(id, out session!);

    public bool Remove(string id)
    {
        if (_sessions.TryRemove(id, out var session))
        {
            session.Close();
            return true;
        }
        return false;
    }

    public void Broadcast(byte[] message)
    {
        foreach (var session in _sessions.Values)
        {
            session.TrySend(message);
        }
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
