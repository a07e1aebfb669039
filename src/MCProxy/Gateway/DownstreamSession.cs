using System.Collections.Concurrent;
using System.Threading.Channels;

namespace MCProxy.Gateway;

/// <summary>
/// A connected client that can receive messages the gateway originates (list_changed and, for legacy SSE, every
/// response). Messages queue on a channel drained by the SSE stream writer.
/// </summary>
internal abstract class DownstreamSession
{
    /// <summary>A client that stops reading is dropped rather than allowed to grow memory without bound.</summary>
    private const int MaxQueuedMessages = 10_000;

    private Channel<byte[]>? _stream;

    protected DownstreamSession(string id, DateTimeOffset now)
    {
        Id = id;
        LastActivity = now;
    }

    public string Id { get; }

    public abstract string Transport { get; }

    public string? ProtocolVersion { get; set; }

    /// <summary>Client capabilities declared at initialize ("sampling", "elicitation", "roots").</summary>
    public IReadOnlySet<string> ClientCapabilities { get; set; } = new HashSet<string>();

    public DateTimeOffset LastActivity { get; set; }

    /// <summary>Requests in flight, by raw downstream id, so notifications/cancelled can stop them.</summary>
    public ConcurrentDictionary<string, CancellationTokenSource> InFlight { get; } = new(StringComparer.Ordinal);

    public bool HasStream => Volatile.Read(ref _stream) is not null;

    /// <summary>Resource URIs (as exposed) this client subscribed to.</summary>
    public ConcurrentDictionary<string, byte> Subscriptions { get; } = new(StringComparer.Ordinal);

    /// <summary>Attaches the SSE stream that carries messages to this client; false when one is attached already.</summary>
    public bool TryAttachStream(out ChannelReader<byte[]> reader)
    {
        // Not SingleReader: only the multi-reader unbounded channel can report Count, which bounds a stalled client.
        var channel = Channel.CreateUnbounded<byte[]>();
        if (Interlocked.CompareExchange(ref _stream, channel, null) is not null)
        {
            reader = null!;
            return false;
        }
        reader = channel.Reader;
        return true;
    }

    public void DetachStream(ChannelReader<byte[]> reader)
    {
        var current = Volatile.Read(ref _stream);
        if (current is not null && ReferenceEquals(current.Reader, reader))
        {
            Interlocked.CompareExchange(ref _stream, null, current);
            current.Writer.TryComplete();
        }
    }

    /// <summary>Queues a message for the client's stream. False when there is no stream or the client stopped reading.</summary>
    public bool TrySend(byte[] message)
    {
        var channel = Volatile.Read(ref _stream);
        if (channel is null)
        {
            return false;
        }
        if (channel.Reader.Count >= MaxQueuedMessages)
        {
            channel.Writer.TryComplete(new IOException("the client is not reading its event stream"));
            return false;
        }
        return channel.Writer.TryWrite(message);
    }

    private readonly ConcurrentDictionary<Channel<byte[]>, byte> _related = new();

    /// <summary>Opens a stream tied to one POST (Streamable HTTP answered as text/event-stream).</summary>
    public Channel<byte[]> AttachRelated()
    {
        var channel = Channel.CreateUnbounded<byte[]>();
        _related[channel] = 0;
        return channel;
    }

    public void DetachRelated(Channel<byte[]> channel)
    {
        _related.TryRemove(channel, out _);
        channel.Writer.TryComplete();
    }

    /// <summary>
    /// Sends a message that belongs to a request in flight (progress, a relayed server→client request): on a POST's
    /// own event stream when one is open, else on the session's stream. The spec lets either carry it.
    /// </summary>
    public bool TrySendRelated(byte[] message)
    {
        foreach (var channel in _related.Keys)
        {
            if (channel.Writer.TryWrite(message))
            {
                return true;
            }
        }
        return TrySend(message);
    }

    /// <summary>Ends the session: closes its stream and cancels what it has in flight.</summary>
    public virtual void Close()
    {
        Volatile.Read(ref _stream)?.Writer.TryComplete();
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
