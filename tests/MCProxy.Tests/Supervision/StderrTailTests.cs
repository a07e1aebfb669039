using MCProxy.Supervision;

namespace MCProxy.Tests.Supervision;

public class StderrTailTests
{
    [Fact]
    public void Since_ReturnsNewLines_AndCountsWhatTheRingDropped()
    {
        var tail = new StderrTail(capacity: 3);
        tail.Add("a");
        tail.Add("b");
        var (lines, next, missed) = tail.Since(0);
        Assert.Equal(["a", "b"], lines);
        Assert.Equal((2L, 0L), (next, missed));
        foreach (var line in new[] { "c", "d", "e", "f" })
        {
            tail.Add(line);
        }
        (lines, next, missed) = tail.Since(next);
        Assert.Equal(["d", "e", "f"], lines); // c fell out of the three-line ring before it was read
        Assert.Equal((6L, 1L), (next, missed));
        Assert.Empty(tail.Since(next).Lines);
    }

    [Fact]
    public async Task WhenAdded_CompletesOnTheNextLine()
    {
        var tail = new StderrTail();
        var added = tail.WhenAdded();
        Assert.False(added.IsCompleted);
        Assert.Same(added, tail.WhenAdded()); // one waiter task per line, however many wait
        tail.Add("x");
        await added.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(tail.WhenAdded().IsCompleted);
    }
}
