using System.Threading.Channels;

namespace MCProxy.Gateway;

/// <summary>
/// Messages waiting for one event stream of a session (its SSE/GET stream, or one POST answered as an event
/// stream). Every byte queued counts against the session's budget until the stream's writer takes it, so a client
/// that stops reading is found by bytes, not by message count (a few large log lines can be hundreds of MiB).
/// </summary>
internal sealed class OutboundQueue
{
    // NOTE 1: synchronous continuations: the writer (usually a child's reader thread completing a relayed answer)
    // runs the stream's pump inline — frame, copy into Kestrel's pipe, flush — instead of a thread-pool hop. The pump
    // only awaits when Kestrel applies backpressure, so a slow client costs the writer nothing but that one check.
    private readonly Channel<byte[]> _channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions
    {
        SingleReader = true, AllowSynchronousContinuations = true,
    });
    private readonly DownstreamSession _owner;
    private readonly Action _abort;

    /// <param name="abort">Ends the HTTP response that drains this queue (a writer blocked on a client that does not read).</param>
    public OutboundQueue(DownstreamSession owner, Action abort)
    {
        _owner = owner;
        _abort = abort;
    }

    /// <summary>Queues a message; false when the queue is closed or the session's budget is exhausted (the session is then dropped).</summary>
    public bool TryWrite(byte[] message)
    {
        if (!_owner.ReserveQueued(message.Length))
        {
            return false;
        }
        if (_channel.Writer.TryWrite(message))
        {
            return true;
        }
        _owner.ReleaseQueued(message.Length);
        return false;
    }

    public bool TryRead(out byte[] message)
    {
        if (_channel.Reader.TryRead(out message!))
        {
            _owner.ReleaseQueued(message.Length);
            return true;
        }
        return false;
    }

    /// <summary>True when a message is waiting; false once the queue is closed and empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken ct) => _channel.Reader.WaitToReadAsync(ct);

    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Closes the queue and the response behind it.</summary>
    public void Abort()
    {
        Complete();
        try
        {
            _abort();
        }
        catch (ObjectDisposedException)
        {
            // The response already ended.
        }
    }
}
