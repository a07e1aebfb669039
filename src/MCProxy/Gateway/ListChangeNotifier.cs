using MCProxy.Aggregation;
using MCProxy.Protocol;
using MCProxy.Security;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// Sends each session the list_changed notifications its own view owes: after a catalogue change or an edit of
/// the auth section, a session hears about tools, prompts or resources only when what its identity sees of them
/// changed. A session whose (token) identity left the auth section is ended.
/// NOTE 1: a session's first comparison uses the views it had before the change (the previous catalogue under its
/// identity's previous policy); afterwards the session remembers what it was last told.
/// NOTE 2: runs on the thread pool, never on the thread that raised the change (the reconcile loop, a child's
/// reader): delivering may run a stream's writer inline.
/// </summary>
internal sealed partial class ListChangeNotifier
{
    private static readonly string[] Methods =
        ["notifications/tools/list_changed", "notifications/prompts/list_changed", "notifications/resources/list_changed"];

    private readonly CatalogPublisher _catalog;
    private readonly SessionRegistry _sessions;
    private readonly Authenticator _authenticator;
    private readonly ILogger<ListChangeNotifier> _logger;
    private readonly object _gate = new();
    private Catalog _previous;
    private Dictionary<string, AccessPolicy> _previousPolicies;

    public ListChangeNotifier(CatalogPublisher catalog, SessionRegistry sessions, Authenticator authenticator, ILogger<ListChangeNotifier> logger)
    {
        _catalog = catalog;
        _sessions = sessions;
        _authenticator = authenticator;
        _logger = logger;
        _previous = catalog.Current;
        _previousPolicies = Policies();
    }

    public void Changed() => ThreadPool.UnsafeQueueUserWorkItem(static self => self.Notify(), this, preferLocal: false);

    private void Notify()
    {
        try
        {
            lock (_gate)
            {
                var catalog = _catalog.Current;
                foreach (var session in _sessions.All)
                {
                    var identity = _authenticator.Lookup(session.IdentityName) ?? (_authenticator.Issuer is not null ? session.Identity : null);
                    if (identity is null)
                    {
                        LogIdentityGone(_logger, session.Id, session.IdentityName);
                        _sessions.Remove(session.Id);
                        continue;
                    }
                    var before = session.SeenLists ??
                                 ListViews.Seen(_previousPolicies.GetValueOrDefault(session.IdentityName) ?? identity.Policy, _previous);
                    var now = ListViews.Seen(identity.Policy, catalog);
                    for (var i = 0; i < Methods.Length; i++)
                    {
                        if (!before[i].AsSpan().SequenceEqual(now[i]))
                        {
                            session.TrySend(JsonRpcWriter.Notification(Methods[i], default));
                        }
                    }
                    session.SeenLists = now;
                }
                _previous = catalog;
                _previousPolicies = Policies();
            }
        }
        catch (Exception ex)
        {
            // Last resort on a pool thread: a failed round of notifications is logged; the next change retries.
            LogFailed(_logger, ex);
        }
    }

    private Dictionary<string, AccessPolicy> Policies()
    {
        var identities = _authenticator.Identities.ToList();
        return (identities.Count == 0 ? [Identity.Open] : identities).ToDictionary(i => i.Name, i => i.Policy, StringComparer.Ordinal);
    }

    [LoggerMessage(EventId = 512, Level = LogLevel.Warning, Message = "session {SessionId} ended: its identity {Identity} is no longer in the auth section")]
    private static partial void LogIdentityGone(ILogger logger, string sessionId, string identity);

    [LoggerMessage(EventId = 513, Level = LogLevel.Error, Message = "sending list_changed failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
