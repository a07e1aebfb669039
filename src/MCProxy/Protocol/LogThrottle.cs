namespace MCProxy.Protocol;

/// <summary>
/// Lets at most <c>perWindow</c> log lines through per window and counts the rest, so a peer that floods us with
/// bad messages or stderr cannot flood the log (or syslog) too. Thread-safe.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, int perWindow, TimeSpan window)
{
    private readonly object _gate = new();
    private long _windowStart = long.MinValue;
    private int _passed;
    private int _suppressed;

    /// <summary>True when this line may be logged; <paramref name="suppressedBefore"/> is how many were dropped
    /// since the last line that passed (log it with this one).</summary>
    public bool TryPass(out int suppressedBefore)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_windowStart == long.MinValue || time.GetElapsedTime(_windowStart, now) >= window)
            {
                _windowStart = now;
                _passed = 0;
            }
            if (_passed < perWindow)
            {
                _passed++;
                suppressedBefore = _suppressed;
                _suppressed = 0;
                return true;
            }
            _suppressed++;
            suppressedBefore = 0;
            return false;
        }
    }
}
