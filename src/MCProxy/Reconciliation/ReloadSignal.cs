namespace MCProxy.Reconciliation;

/// <summary>
/// Coalesces change signals. File events are debounced (the loop proceeds once no event came for
/// <see cref="Quiet"/>, at most <see cref="MaxDelay"/> after the first); an atomic replace and a poll proceed at
/// once: a renamed-in file is complete, and a poll only asks "did the content change?".
/// </summary>
internal sealed class ReloadSignal(TimeProvider time, TimeSpan quiet, TimeSpan maxDelay)
{
    private readonly SemaphoreSlim _signal = new(0);
    private long _fileEvents;
    private int _pending;
    private int _replaced;
    private long _lastEvent;
    private TaskCompletionSource _replacedDuringQuiet = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimeSpan Quiet { get; } = quiet;

    public TimeSpan MaxDelay { get; } = maxDelay;

    public void FileEvent()
    {
        Volatile.Write(ref _lastEvent, time.GetTimestamp());
        Interlocked.Increment(ref _fileEvents);
        Wake();
    }

    public void Poll() => Wake();

    public void Replaced()
    {
        Volatile.Write(ref _replaced, 1);
        Volatile.Read(ref _replacedDuringQuiet).TrySetResult();
        Wake();
    }

    /// <summary>Waits for a signal, then for the file events' quiet period. Returns whether file events were seen.</summary>
    public async Task<bool> WaitAsync(CancellationToken ct)
    {
        await _signal.WaitAsync(ct).ConfigureAwait(false);
        Volatile.Write(ref _pending, 0);
        if (Interlocked.Exchange(ref _replaced, 0) == 1)
        {
            Interlocked.Exchange(ref _fileEvents, 0);
            return true;
        }
        var seen = Interlocked.Read(ref _fileEvents);
        if (seen == 0)
        {
            return false;
        }
        // Quiet means: Quiet has passed since the *last* event (a write that raises several events counts once).
        var started = time.GetTimestamp();
        var replaced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _replacedDuringQuiet, replaced);
        while (Volatile.Read(ref _replaced) == 0)
        {
            var sinceLast = time.GetElapsedTime(Volatile.Read(ref _lastEvent));
            var waited = time.GetElapsedTime(started);
            if (sinceLast >= Quiet || waited >= MaxDelay)
            {
                break;
            }
            var remaining = Quiet - sinceLast;
            using var cancelDelay = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(waited + remaining > MaxDelay ? MaxDelay - waited : remaining, time, cancelDelay.Token);
            // An atomic replace arriving mid-burst ends the wait: the renamed-in file is complete.
            await Task.WhenAny(delay, replaced.Task).ConfigureAwait(false);
            cancelDelay.Cancel();
            ct.ThrowIfCancellationRequested();
        }
        Volatile.Write(ref _replaced, 0);
        seen = Interlocked.Read(ref _fileEvents);
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
