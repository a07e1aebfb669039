using System.Collections.Concurrent;
using System.Security.Cryptography;
using MCProxy.Aggregation;
using MCProxy.Configuration;
using MCProxy.Protocol;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>Every live downstream session, by id (list_changed reaches them through <see cref="ListChangeNotifier"/>).</summary>
internal sealed partial class SessionRegistry
{
    private readonly ConcurrentDictionary<string, DownstreamSession> _sessions = new(StringComparer.Ordinal);

    private readonly int _maxSessions;
    private readonly ILogger<SessionRegistry> _logger;

    public SessionRegistry(GatewayOptions options, ILogger<SessionRegistry> logger)
    {
        _maxSessions = options.Limits.MaxSessions;
        _logger = logger;
    }

    public int Count => _sessions.Count;

    public IEnumerable<DownstreamSession> All => _sessions.Values;

    public static string NewId() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Registers a new session; false when the gateway already serves its maximum (--max-sessions).</summary>
    public bool TryAdd(DownstreamSession session)
    {
        // NOTE 1: the count is read before the add, so a burst may pass the bound by the number of racing adds.
        if (_sessions.Count >= _maxSessions)
        {
            LogSessionLimit(_logger, _maxSessions);
            return false;
        }
        session.Overrun += OnOverrun;
        _sessions[session.Id] = session;
        return true;
    }

    private void OnOverrun(DownstreamSession session)
    {
        LogOverrun(_logger, session.Id, session.Transport);
        if (_sessions.TryRemove(session.Id, out _))
        {
            Removed?.Invoke(session);
        }
    }

    /// <summary>A session left the registry (DELETE, a closed SSE stream, idle reaping, an overrun): what it held goes.</summary>
    public event Action<DownstreamSession>? Removed;

    public bool TryGet(string id, out DownstreamSession session) => _sessions.TryGetValue(id, out session!);

    public bool Remove(string id)
    {
        if (_sessions.TryRemove(id, out var session))
        {
            session.Close();
            Removed?.Invoke(session);
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

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "session {SessionId} ({Transport}) stopped reading its stream and fell a whole queue budget behind; disconnected, its calls cancelled")]
    private static partial void LogOverrun(ILogger logger, string sessionId, string transport);

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "refused a new session: {MaxSessions} sessions are open (--max-sessions)")]
    private static partial void LogSessionLimit(ILogger logger, int maxSessions);
}
