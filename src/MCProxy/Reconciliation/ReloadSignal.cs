namespace MCProxy.Reconciliation;

/// <summary>
/// Coalesces change signals. File events are debounced (the loop proceeds once no event came for
/// <see cref="Quiet"/>, at most <see cref="MaxDelay"/> after the first); polls proceed at once, since a poll
/// only asks "did the content change?".
/// </summary>
internal sealed class ReloadSignal(TimeProvider time, TimeSpan quiet, TimeSpan maxDelay)
{
    private readonly SemaphoreSlim _signal = new(0);
    private long _fileEvents;
    private int _pending;

    public TimeSpan Quiet { get; } = quiet;

    public TimeSpan MaxDelay { get; } = maxDelay;

    public void FileEvent()
    {
        Interlocked.Increment(ref _fileEvents);
        Wake();
    }

    public void Poll() => Wake();

    /// <summary>Waits for a signal, then for the file events' quiet period. Returns whether file events were seen.</summary>
    public async Task<bool> WaitAsync(CancellationToken ct)
    {
        await _signal.WaitAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref _pending, 0);
        var seen = Interlocked.Read(ref _fileEvents);
        if (seen == 0)
        {
            return false;
        }
        var started = time.GetTimestamp();
        while (true)
        {
            await Task.Delay(Quiet, time, ct).ConfigureAwait(false);
            var now = Interlocked.Read(ref _fileEvents);
            if (now == seen || time.GetElapsedTime(started) >= MaxDelay)
            {
                break;
            }
            seen = now;
        }
        Interlocked.Add(ref _fileEvents, -seen);
        // Signals that arrived during the quiet period are covered by the read that follows.
        while (_signal.CurrentCount > 0 && _signal.Wait(0))
        {
        }
        Volatile.Write(ref _pending, 0);
        return true;
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Release();
        }
    }
}
