using System.Text;
using MCProxy.Tests.Infrastructure;
using MCProxy.Upstreams;

namespace MCProxy.Tests.Upstreams;

/// <summary><see cref="StdinWriter"/> over a real non-blocking pipe, read by the test as a child would read its stdin.</summary>
public sealed class StdinWriterTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly TestPipe _pipe = TestPipe.Create(nonBlockingWrite: true);

    public void Dispose() => _pipe.Dispose();

    /// <summary>A message of <paramref name="size"/> bytes whose content says which one it is.</summary>
    private static byte[] Message(int index, int size)
    {
        var head = Encoding.ASCII.GetBytes($"{{\"i\":{index},\"pad\":\"");
        var message = new byte[size];
        message.AsSpan().Fill((byte)('a' + index % 26));
        head.CopyTo(message, 0);
        message[^2] = (byte)'"';
        message[^1] = (byte)'}';
        return message;
    }

    private static byte[] Framed(IEnumerable<byte[]> messages) => messages.SelectMany(m => m.Append((byte)'\n')).ToArray();

    /// <summary>Reads the pipe to EOF on a thread of its own (a blocking read, like a child's).</summary>
    private Task<byte[]> ReadToEndAsync() => Task.Run(() =>
    {
        using var reader = _pipe.OpenReader();
        using var copy = new MemoryStream();
        reader.CopyTo(copy);
        return copy.ToArray();
    });

    [Fact]
    public async Task TryWrite_SmallMessages_ArriveInOrderEachWithNewline()
    {
        var writer = new StdinWriter(_pipe.WriteEnd);
        Assert.True(writer.TryWrite("{\"a\":1}"u8.ToArray()));
        Assert.True(writer.TryWrite("{\"b\":2}"u8.ToArray()));
        Assert.True(writer.TryWrite("x"u8.ToArray()));
        Assert.Equal(0, writer.QueuedBytes);
        writer.Complete();
        var received = await ReadToEndAsync().WaitAsync(Bound);
        Assert.Equal("{\"a\":1}\n{\"b\":2}\nx\n", Encoding.UTF8.GetString(received));
    }

    [Fact]
    public async Task TryWrite_ReaderNotReadingAndPipeFull_QueuesWithoutBlocking()
    {
        var writer = new StdinWriter(_pipe.WriteEnd);
        var messages = Enumerable.Range(0, 12).Select(i => Message(i, 16 * 1024)).ToList();
        var total = messages.Sum(m => m.Length + 1);

        // On a thread of its own: a writer that blocked on the full pipe would fail this wait instead of hanging the run.
        var accepted = await Task.Run(() => messages.Select(writer.TryWrite).ToArray()).WaitAsync(Bound);

        Assert.All(accepted, Assert.True);
        var queued = writer.QueuedBytes;
        Assert.InRange(queued, total - 64 * 1024, total - 1); // the pipe took at most 64 KiB, the rest waits
        var extra = Message(12, 1000);
        Assert.True(await Task.Run(() => writer.TryWrite(extra)).WaitAsync(Bound));
        Assert.Equal(queued + extra.Length + 1, writer.QueuedBytes);
        messages.Add(extra);

        writer.Complete(); // flushes what is queued, then closes
        var received = await ReadToEndAsync().WaitAsync(Bound);

        Assert.Equal(Framed(messages), received);
        Assert.Equal(0, writer.QueuedBytes);
    }

    [Fact]
    public async Task TryWrite_AfterQueueing_KeepsOrderAcrossDirectAndQueuedWrites()
    {
        var writer = new StdinWriter(_pipe.WriteEnd);
        var messages = Enumerable.Range(0, 40).Select(i => Message(i, 4000 + i)).ToList();
        var reading = ReadToEndAsync(); // the reader drains while the writer alternates between direct and queued writes
        foreach (var message in messages)
        {
            Assert.True(writer.TryWrite(message));
        }
        writer.Complete();
        Assert.Equal(Framed(messages), await reading.WaitAsync(Bound));
    }

    [Fact]
    public async Task Complete_NothingQueued_ReaderSeesEof()
    {
        var writer = new StdinWriter(_pipe.WriteEnd);
        var reading = ReadToEndAsync();
        writer.Complete();
        Assert.Empty(await reading.WaitAsync(Bound));
        Assert.True(_pipe.WriteEnd.IsClosed);
        Assert.False(writer.TryWrite("late"u8.ToArray()));
    }

    [Fact]
    public async Task TryWrite_ReadEndClosed_ReturnsFalseAndCallsBrokenOnce()
    {
        var calls = 0;
        var broken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new StdinWriter(_pipe.WriteEnd)
        {
            Broken = reason =>
            {
                Interlocked.Increment(ref calls);
                broken.TrySetResult(reason);
            },
        };
        _pipe.ReadEnd.Dispose(); // the child is gone

        Assert.False(writer.TryWrite("{\"x\":1}"u8.ToArray()));
        var reason = await broken.Task.WaitAsync(Bound);
        Assert.Contains("stdin", reason);
        Assert.False(writer.TryWrite("{\"x\":2}"u8.ToArray()));
        Assert.False(writer.TryWrite("{\"x\":3}"u8.ToArray()));
        await Task.Run(() => { }); // let any (wrongly) queued second callback run first
        Assert.Equal(1, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task Drain_ReadEndClosedWhileQueued_CallsBrokenAndRefusesMore()
    {
        var broken = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new StdinWriter(_pipe.WriteEnd) { Broken = reason => broken.TrySetResult(reason) };
        for (var i = 0; i < 8; i++)
        {
            Assert.True(writer.TryWrite(Message(i, 16 * 1024)));
        }
        Assert.True(writer.QueuedBytes > 0);

        _pipe.ReadEnd.Dispose(); // the child exits without reading: the background drainer must notice

        Assert.Contains("stdin", await broken.Task.WaitAsync(Bound));
        Assert.False(writer.TryWrite("{}"u8.ToArray()));
    }
}
