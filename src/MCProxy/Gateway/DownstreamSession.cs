using System.Collections.Concurrent;

namespace MCProxy.Gateway;

/// <summary>
/// A connected client that can receive messages the gateway originates (list_changed and, for legacy SSE, every
/// response). Messages queue per stream (<see cref="OutboundQueue"/>) and are drained by the SSE writers.
/// NOTE 1: all of a session's queues share one byte budget; a client that lets it fill is disconnected (its
/// streams aborted, its calls cancelled) and <see cref="Overrun"/> tells the registry to forget it.
/// </summary>
internal abstract class DownstreamSession
{
    private readonly long _queueBudget;
    private readonly ConcurrentDictionary<OutboundQueue, long> _related = new(); // each open POST stream, with its attach order
    private OutboundQueue? _stream;
    private long _queuedBytes;
    private int _closed;

    protected DownstreamSession(string id, DateTimeOffset now, long queueBudget = 8 * 1024 * 1024)
    {
        Id = id;
        LastActivity = now;
        _queueBudget = queueBudget;
    }

    public string Id { get; }

    public abstract string Transport { get; }

    public string? ProtocolVersion { get; set; }

    /// <summary>The identity that created the session, as of its latest request (a JWT's policy travels with it).</summary>
    public Security.Identity Identity { get; set; } = Security.Identity.Open;

    /// <summary>No other identity may use the session (it gets 404).</summary>
    public string IdentityName => Identity.Name;

    /// <summary>The tools, prompts and resources list results this session was last told about (its identity's view).</summary>
    public byte[][]? SeenLists { get; set; }

    /// <summary>Client capabilities declared at initialize ("sampling", "elicitation", "roots").</summary>
    public IReadOnlySet<string> ClientCapabilities { get; set; } = new HashSet<string>();

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>Requests in flight, by raw downstream id, so notifications/cancelled can stop them.</summary>
    public ConcurrentDictionary<string, CancellationTokenSource> InFlight { get; } = new(StringComparer.Ordinal);

    public bool HasStream => Volatile.Read(ref _stream) is not null;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Bytes waiting in this session's queues.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Resource URIs (as exposed) this client subscribed to.</summary>
    public ConcurrentDictionary<string, byte> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Raised once when the client fell behind by more than the queue budget and was disconnected.</summary>
    public event Action<DownstreamSession>? Overrun;

    /// <summary>Attaches the SSE stream that carries messages to this client; null when one is attached already.</summary>
    public OutboundQueue? TryAttachStream(Action abort)
    {
        var queue = new OutboundQueue(this, abort);
        if (IsClosed || Interlocked.CompareExchange(ref _stream, queue, null) is not null)
        {
            return null;
        }
        return queue;
    }

    public void DetachStream(OutboundQueue queue)
    {
        if (Interlocked.CompareExchange(ref _stream, null, queue) == queue)
        {
            queue.Complete();
        }
    }

    /// <summary>
    /// Queues a message for the client's stream. False when there is no stream or the client stopped reading (or, for a
    /// <see cref="ListenStream"/>, when the client did not ask for that kind of message).
    /// </summary>
    public virtual bool TrySend(byte[] message) => Volatile.Read(ref _stream) is { } stream && stream.TryWrite(message);

    /// <summary>
    /// The event stream of the POST being answered, for the code that answers it (an async flow): progress of that
    /// request goes there, not to whichever POST of the session happens to be open.
    /// </summary>
    public static readonly AsyncLocal<OutboundQueue?> RequestStream = new();

    private long _attached;

    /// <summary>Opens a queue tied to one POST (Streamable HTTP answered as text/event-stream).</summary>
    public OutboundQueue AttachRelated(Action abort)
    {
        var queue = new OutboundQueue(this, abort);
        _related[queue] = Interlocked.Increment(ref _attached);
        return queue;
    }

    public void DetachRelated(OutboundQueue queue)
    {
        _related.TryRemove(queue, out _);
        queue.Complete();
    }

    /// <summary>
    /// Sends a message that belongs to a request in flight (progress, a relayed server→client request): on a POST's
    /// own event stream when one is open, else on the session's stream. The spec lets either carry it.
    /// </summary>
    /// <param name="preferred">The POST the message belongs to, if known and still open; otherwise the newest open one
    /// (an older POST may be finishing and about to close: what it takes now would be lost).</param>
    public bool TrySendRelated(byte[] message, OutboundQueue? preferred = null)
    {
        if (preferred is not null && _related.ContainsKey(preferred) && preferred.TryWrite(message))
        {
            return true;
        }
        foreach (var queue in _related.OrderByDescending(kv => kv.Value).Select(kv => kv.Key))
        {
            if (queue.TryWrite(message))
            {
                return true;
            }
            if (IsClosed)
            {
                return false;
            }
        }
        return TrySend(message);
    }

    /// <summary>Counts bytes into the budget; false (and the session disconnected) when they do not fit.</summary>
    internal bool ReserveQueued(long bytes)
    {
        if (IsClosed)
        {
            return false;
        }
        var after = Interlocked.Add(ref _queuedBytes, bytes);
        if (after <= _queueBudget || after == bytes)
        {
            return true; // within budget, or the only message queued (an empty queue takes one message of any size)
        }
        Interlocked.Add(ref _queuedBytes, -bytes);
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Shutdown();
            Overrun?.Invoke(this);
        }
        return false;
    }

    internal void ReleaseQueued(long bytes) => Interlocked.Add(ref _queuedBytes, -bytes);

    /// <summary>Ends the session: closes its streams and cancels what it has in flight. Idempotent.</summary>
    public virtual void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            Shutdown();
        }
    }

    private void Shutdown()
    {
        Volatile.Read(ref _stream)?.Abort();
        foreach (var queue in _related.Keys)
        {
            queue.Abort();
        }
        foreach (var cts in InFlight.Values)
        {
            try
            {
                cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request finished meanwhile.
            }
        }
    }
}
