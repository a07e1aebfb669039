using MCProxy.Reconciliation;
using MCProxy.Tests.Infrastructure;

namespace MCProxy.Tests.Reconciliation;

public class ReloadSignalTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private static async Task UntilArmed(FakeTimeProvider time, int count = 1)
    {
        for (var i = 0; i < 500 && time.ArmedTimers < count; i++)
        {
            await Task.Delay(2);
        }
        Assert.True(time.ArmedTimers >= count, "the signal never started waiting on the clock");
    }

    [Fact]
    public async Task FileEvents_WaitForAQuietPeriodBeforeProceeding()
    {
        var time = new FakeTimeProvider();
        var signal = new ReloadSignal(time, Quiet, TimeSpan.FromSeconds(2));
        signal.FileEvent();
        var wait = signal.WaitAsync(CancellationToken.None);
        await UntilArmed(time);
        time.Advance(TimeSpan.FromMilliseconds(150));
        signal.FileEvent();                       // a burst continues: the quiet period starts over
        time.Advance(TimeSpan.FromMilliseconds(50));
        await UntilArmed(time);
        Assert.False(wait.IsCompleted);
        time.Advance(Quiet);
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ManyEventsInABurst_ProduceOneWake()
    {
        var time = new FakeTimeProvider();
        var signal = new ReloadSignal(time, Quiet, TimeSpan.FromSeconds(2));
        for (var i = 0; i < 10; i++)
        {
            signal.FileEvent();
        }
        var first = signal.WaitAsync(CancellationToken.None);
        await UntilArmed(time);
        time.Advance(Quiet);
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(5)));
        var second = signal.WaitAsync(CancellationToken.None);
        // Nothing is armed, so nothing but a new event can complete the second wait.
        Assert.Equal(0, time.ArmedTimers);
        Assert.False(second.IsCompleted);
        signal.FileEvent();
        await UntilArmed(time);
        time.Advance(Quiet);
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ContinuousEvents_AreCappedByMaxDelay()
    {
        var time = new FakeTimeProvider();
        var started = time.GetUtcNow();
        var signal = new ReloadSignal(time, Quiet, TimeSpan.FromSeconds(1));
        signal.FileEvent();
        var wait = signal.WaitAsync(CancellationToken.None);
        // An event every 100 ms never leaves 200 ms of quiet: only the 1 s cap ends the wait.
        for (var i = 0; i < 40 && !wait.IsCompleted; i++)
        {
            await UntilArmedOrDone(time, wait);
            signal.FileEvent();
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.True(await wait.WaitAsync(TimeSpan.FromSeconds(5)));
        var waited = time.GetUtcNow() - started;
        Assert.InRange(waited, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.3));
    }

    private static async Task UntilArmedOrDone(FakeTimeProvider time, Task wait)
    {
        for (var i = 0; i < 500 && time.ArmedTimers == 0 && !wait.IsCompleted; i++)
        {
            await Task.Delay(2);
        }
    }

    [Fact]
    public async Task Poll_ProceedsAtOnceWithoutDebounce()
    {
        var signal = new ReloadSignal(new FakeTimeProvider(), Quiet, TimeSpan.FromSeconds(2));
        signal.Poll();
        Assert.False(await signal.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Replaced_ProceedsAtOnceEvenDuringABurst()
    {
        var signal = new ReloadSignal(new FakeTimeProvider(), Quiet, TimeSpan.FromSeconds(2));
        signal.FileEvent();
        signal.Replaced();
        Assert.True(await signal.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
