namespace MCProxy.Upstreams;

/// <summary>
/// A small blocking queue for the dedicated stdin writer thread: producers never block (a hung child cannot stall
/// a caller), and the writer drains everything queued into one write.
/// </summary>
internal sealed class MessageQueue
{
    private readonly Queue<byte[]> _items = new();
    private long _queuedBytes;
    private bool _completed;

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public bool TryEnqueue(byte[] message)
    {
        lock (_items)
        {
            if (_completed)
            {
                return false;
            }
            _items.Enqueue(message);
            _queuedBytes += message.Length;
            if (_items.Count == 1)
            {
                Monitor.Pulse(_items);
            }
            return true;
        }
    }

    /// <summary>Blocks until messages are queued; moves them into <paramref name="batch"/>. False once completed and empty.</summary>
    public bool WaitAndDrain(List<byte[]> batch)
    {
        lock (_items)
        {
            while (_items.Count == 0)
            {
                if (_completed)
                {
                    return false;
                }
                Monitor.Wait(_items);
            }
            while (_items.TryDequeue(out var item))
            {
                batch.Add(item);
                _queuedBytes -= item.Length;
            }
            return true;
        }
    }

    public void Complete()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }
}
