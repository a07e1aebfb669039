using MCProxy.Gateway;

namespace MCProxy.Tests.Gateway;

/// <summary>The per-session byte budget shared by a session's queues, and what happens when a client lets it fill.</summary>
public class DownstreamSessionTests
{
    private const long Budget = 1000;

    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static byte[] Bytes(int count) => new byte[count];

    private sealed class Probe
    {
        public int StreamAborts;
        public int RelatedAborts;
        public int Overruns;
    }

    /// <summary>A session with a GET stream and one POST event stream attached, counting aborts and overruns.</summary>
    private static (StreamableSession Session, OutboundQueue Stream, OutboundQueue Related, Probe Probe) Attached(long budget = Budget)
    {
        var probe = new Probe();
        var session = new StreamableSession("s", Now, budget);
        session.Overrun += _ => Interlocked.Increment(ref probe.Overruns);
        var stream = session.TryAttachStream(() => Interlocked.Increment(ref probe.StreamAborts))!;
        Assert.NotNull(stream);
        var related = session.AttachRelated(() => Interlocked.Increment(ref probe.RelatedAborts));
        return (session, stream, related, probe);
    }

    [Fact]
    public void TrySend_QueuedBytes_CountAgainstBudgetAcrossQueues()
    {
        var (session, stream, related, probe) = Attached();
        Assert.True(session.TrySend(Bytes(300)));
        Assert.True(related.TryWrite(Bytes(200)));
        Assert.True(session.TrySendRelated(Bytes(100))); // goes to the POST's own stream
        Assert.Equal(600, session.QueuedBytes);
        Assert.True(stream.TryWrite(Bytes(400)));        // exactly at the budget still fits
        Assert.Equal(1000, session.QueuedBytes);
        Assert.False(session.IsClosed);
        Assert.Equal(0, probe.Overruns);
    }

    [Fact]
    public void TrySend_EmptyQueueTakesOneMessageLargerThanBudget()
    {
        var (session, stream, _, probe) = Attached();
        Assert.True(session.TrySend(Bytes(5000)));
        Assert.Equal(5000, session.QueuedBytes);
        Assert.False(session.IsClosed);
        Assert.True(stream.TryRead(out var message));
        Assert.Equal(5000, message.Length);
        Assert.Equal(0, session.QueuedBytes);
        Assert.Equal(0, probe.Overruns);
    }

    [Fact]
    public void TrySend_BudgetExceeded_ClosesSessionAbortsQueuesCancelsCallsAndFiresOverrunOnce()
    {
        var (session, _, related, probe) = Attached();
        using var call1 = new CancellationTokenSource();
        using var call2 = new CancellationTokenSource();
        session.InFlight["1"] = call1;
        session.InFlight["\"two\""] = call2;
        DownstreamSession? overrun = null;
        session.Overrun += s => overrun = s;
        Assert.True(session.TrySend(Bytes(900)));

        Assert.False(session.TrySend(Bytes(200)));

        Assert.True(session.IsClosed);
        Assert.Same(session, overrun);
        Assert.Equal(1, probe.Overruns);
        Assert.Equal(1, probe.StreamAborts);
        Assert.Equal(1, probe.RelatedAborts);
        Assert.True(call1.IsCancellationRequested);
        Assert.True(call2.IsCancellationRequested);
        Assert.Equal(900, session.QueuedBytes); // the refused message was never counted

        Assert.False(session.TrySend(Bytes(1)));
        Assert.False(related.TryWrite(Bytes(2000)));
        Assert.False(session.TrySendRelated(Bytes(1)));
        session.Close();
        Assert.Equal(1, probe.Overruns);
        Assert.Equal(1, probe.StreamAborts);
        Assert.Equal(1, probe.RelatedAborts);
        Assert.Equal(900, session.QueuedBytes);
        Assert.Null(session.TryAttachStream(() => { }));
    }

    [Fact]
    public void TryWrite_OverrunFromRelatedQueue_ClosesWholeSession()
    {
        var (session, _, related, probe) = Attached();
        Assert.True(related.TryWrite(Bytes(800)));
        Assert.False(related.TryWrite(Bytes(800)));
        Assert.True(session.IsClosed);
        Assert.Equal(1, probe.StreamAborts);
        Assert.Equal(1, probe.RelatedAborts);
        Assert.Equal(1, probe.Overruns);
    }

    [Fact]
    public void ReserveQueued_ConcurrentOverruns_FireOverrunExactlyOnce()
    {
        var (session, _, related, probe) = Attached();
        Assert.True(session.TrySend(Bytes(1000)));
        Parallel.For(0, 64, i =>
        {
            if (i % 2 == 0)
            {
                session.TrySend(Bytes(10));
            }
            else
            {
                related.TryWrite(Bytes(10));
            }
        });
        Assert.True(session.IsClosed);
        Assert.Equal(1, probe.Overruns);
        Assert.Equal(1, probe.StreamAborts);
        Assert.Equal(1, probe.RelatedAborts);
    }

    [Fact]
    public void TryRead_ReleasesBytes_SoMoreFitAgain()
    {
        var (session, stream, _, probe) = Attached();
        Assert.True(session.TrySend(Bytes(600)));
        Assert.True(session.TrySend(Bytes(400)));
        Assert.True(stream.TryRead(out var first));
        Assert.Equal(600, first.Length);
        Assert.Equal(400, session.QueuedBytes);
        Assert.True(session.TrySend(Bytes(600))); // fits only because the reader took the first one
        Assert.Equal(1000, session.QueuedBytes);
        Assert.True(stream.TryRead(out _));
        Assert.True(stream.TryRead(out _));
        Assert.False(stream.TryRead(out _));
        Assert.Equal(0, session.QueuedBytes);
        Assert.False(session.IsClosed);
        Assert.Equal(0, probe.Overruns);
    }

    [Fact]
    public void DetachStream_QueueCompleted_WritesRefusedWithoutCountingOrClosing()
    {
        var (session, stream, _, probe) = Attached();
        session.DetachStream(stream);
        Assert.False(session.HasStream);
        Assert.False(session.TrySend(Bytes(10)));  // no stream
        Assert.False(stream.TryWrite(Bytes(10)));  // completed queue: refused, bytes released
        Assert.Equal(0, session.QueuedBytes);
        Assert.False(session.IsClosed);
        Assert.Equal(0, probe.StreamAborts);
        Assert.NotNull(session.TryAttachStream(() => { })); // a client may reconnect its GET stream
    }

    [Fact]
    public void TrySendRelated_NoPostStream_FallsBackToSessionStream()
    {
        var probe = new Probe();
        var session = new StreamableSession("s", Now, Budget);
        var stream = session.TryAttachStream(() => probe.StreamAborts++)!;
        var related = session.AttachRelated(() => probe.RelatedAborts++);
        session.DetachRelated(related);
        Assert.True(session.TrySendRelated("{\"p\":1}"u8.ToArray()));
        Assert.True(stream.TryRead(out var message));
        Assert.Equal("{\"p\":1}"u8.ToArray(), message);
        Assert.Equal(0, session.QueuedBytes);
    }

    [Fact]
    public void Close_ByClient_AbortsAndCancelsButIsNoOverrun()
    {
        var (session, _, _, probe) = Attached();
        using var call = new CancellationTokenSource();
        session.InFlight["1"] = call;
        session.Close();
        session.Close();
        Assert.True(session.IsClosed);
        Assert.True(call.IsCancellationRequested);
        Assert.Equal(1, probe.StreamAborts);
        Assert.Equal(1, probe.RelatedAborts);
        Assert.Equal(0, probe.Overruns);
    }
}
