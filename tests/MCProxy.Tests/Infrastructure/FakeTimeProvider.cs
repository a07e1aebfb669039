namespace MCProxy.Tests.Infrastructure;

/// <summary>
/// The package's manual clock (Microsoft.Extensions.TimeProvider.Testing), plus the one thing it does not tell: how
/// many timers are armed, so a test can wait until the code under test is waiting on the clock before it advances.
/// Timers fire, in due order, only inside <c>Advance</c>.
/// </summary>
internal sealed class FakeTimeProvider() : Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero))
{
    private int _armed;

    /// <summary>How many timers are armed (due and not yet fired, changed to infinite or disposed).</summary>
    public int ArmedTimers => Volatile.Read(ref _armed);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<CountedTimer, DateTimeOffset> _due = new();

    /// <summary>Whether an armed timer falls due exactly <paramref name="dueIn"/> from now (tells one wait from another).</summary>
    public bool HasTimerDueIn(TimeSpan dueIn) => _due.Values.Contains(GetUtcNow() + dueIn);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var counted = new CountedTimer(this);
        counted.Inner = base.CreateTimer(_ => counted.Fire(callback, state), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        counted.Change(dueTime, period);
        return counted;
    }

    private sealed class CountedTimer(FakeTimeProvider owner) : ITimer
    {
        private readonly object _gate = new();
        private bool _armed;
        private bool _periodic;

        public ITimer Inner { get; set; } = null!;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_gate)
            {
                SetArmed(dueTime != Timeout.InfiniteTimeSpan);
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    owner._due[this] = owner.GetUtcNow() + dueTime;
                }
                _periodic = period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero;
                return Inner.Change(dueTime, period);
            }
        }

        public void Fire(TimerCallback callback, object? state)
        {
            lock (_gate)
            {
                if (!_periodic)
                {
                    SetArmed(false); // a one-shot timer is spent once it fires
                }
            }
            callback(state);
        }

        public void Dispose()
        {
            lock (_gate)
            {
                SetArmed(false);
                Inner.Dispose();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void SetArmed(bool armed)
        {
            if (!armed)
            {
                owner._due.TryRemove(this, out _);
            }
            if (armed != _armed)
            {
                _armed = armed;
                Interlocked.Add(ref owner._armed, armed ? 1 : -1);
            }
        }
    }
}
