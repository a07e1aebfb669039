using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static MCProxy.Supervision.NativeMethods;

namespace MCProxy.Upstreams;

/// <summary>
/// Writes newline-delimited messages to a child's stdin (a non-blocking pipe). The caller writes directly when
/// nothing is queued — no thread hop on the hot path; whatever the pipe cannot take right now is queued for a
/// background thread that waits for the pipe to drain. So a child that stops reading never blocks a caller.
/// NOTE 1: every write happens under <see cref="_gate"/>, so messages never interleave and keep their order.
/// </summary>
internal sealed unsafe class StdinWriter : IDisposable
{
    private readonly SafeFileHandle _pipe;
    private readonly object _gate = new();
    private readonly Queue<byte[]> _queue = new();
    private int _offset;            // bytes of the queue's head already written
    private long _queuedBytes;
    private bool _completed;
    private string? _failure;
    private Thread? _drainer;

    public StdinWriter(SafeFileHandle pipe) => _pipe = pipe;

    /// <summary>Called once, from the writer's own thread, when the pipe broke (EPIPE): the child is gone.</summary>
    public Action<string>? Broken { get; set; }

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Writes or queues one message plus '\n'. False when the writer is closed or broken.</summary>
    public bool TryWrite(byte[] message)
    {
        lock (_gate)
        {
            if (_completed || _failure is not null)
            {
                return false;
            }
            if (_queue.Count == 0)
            {
                var written = WriteNow(message, 0, withNewline: true);
                if (written < 0)
                {
                    return false;
                }
                if (written == message.Length + 1)
                {
                    return true;
                }
                // Partly written: the rest (and the newline) waits for the pipe to drain.
                Enqueue(message, written);
                return true;
            }
            Enqueue(message, 0);
            return true;
        }
    }

    /// <summary>No more messages: the queue is flushed (best effort), then stdin is closed.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            if (_queue.Count == 0)
            {
                _pipe.Dispose();
            }
            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose() => Complete();

    private void Enqueue(byte[] message, int alreadyWritten)
    {
        var framed = new byte[message.Length + 1 - alreadyWritten];
        if (alreadyWritten < message.Length)
        {
            message.AsSpan(alreadyWritten).CopyTo(framed);
        }
        framed[^1] = (byte)'\n';
        _queue.Enqueue(framed);
        _queuedBytes += framed.Length;
        if (_drainer is null)
        {
            _drainer = new Thread(Drain) { IsBackground = true, Name = "mcp-stdin-drain" };
            _drainer.Start();
        }
        Monitor.Pulse(_gate);
    }

    /// <summary>Background: waits for the pipe to take more, writes the queue in order.</summary>
    private void Drain()
    {
        while (true)
        {
            lock (_gate)
            {
                while (_queue.Count == 0 && !_completed)
                {
                    Monitor.Wait(_gate);
                }
                while (_queue.TryPeek(out var head))
                {
                    var written = WriteNow(head, _offset, withNewline: false);
                    if (written < 0)
                    {
                        _queue.Clear();
                        _pipe.Dispose();
                        return;
                    }
                    _offset += written;
                    _queuedBytes -= written;
                    if (_offset < head.Length)
                    {
                        break; // the pipe is full again
                    }
                    _queue.Dequeue();
                    _offset = 0;
                }
                if (_queue.Count == 0 && _completed)
                {
                    _pipe.Dispose();
                    return;
                }
            }
            WaitWritable();
        }
    }

    /// <summary>One non-blocking write; returns bytes written (0 when the pipe is full), or -1 when it broke.</summary>
    private int WriteNow(byte[] data, int offset, bool withNewline)
    {
        var added = false;
        try
        {
            _pipe.DangerousAddRef(ref added);
            var fd = (int)_pipe.DangerousGetHandle();
            byte newline = (byte)'\n';
            fixed (byte* p = data)
            {
                var vec = stackalloc IoVec[2];
                vec[0] = new IoVec { Base = p + offset, Length = (nuint)(data.Length - offset) };
                vec[1] = new IoVec { Base = &newline, Length = 1 };
                while (true)
                {
                    var n = writev(fd, vec, withNewline ? 2 : 1);
                    if (n >= 0)
                    {
                        return (int)n;
                    }
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }
                    if (errno == EAGAIN)
                    {
                        return 0;
                    }
                    Fail($"stdin write failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                    return -1;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            Fail("stdin closed");
            return -1;
        }
        finally
        {
            if (added)
            {
                _pipe.DangerousRelease();
            }
        }
    }

    private void WaitWritable()
    {
        var added = false;
        try
        {
            _pipe.DangerousAddRef(ref added);
            var fd = new PollFd { Fd = (int)_pipe.DangerousGetHandle(), Events = POLLOUT };
            poll(&fd, 1, 1000);
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile; the next loop sees the queue state.
        }
        finally
        {
            if (added)
            {
                _pipe.DangerousRelease();
            }
        }
    }

    private void Fail(string reason)
    {
        if (_failure is null)
        {
            _failure = reason;
            // Not inline: we hold _gate, and the handler completes waiters whose continuations may write again.
            if (Broken is { } broken)
            {
                ThreadPool.UnsafeQueueUserWorkItem(r => broken(r), reason, preferLocal: false);
            }
        }
    }
}
