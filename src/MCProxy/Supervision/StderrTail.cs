namespace MCProxy.Supervision;

/// <summary>
/// The last lines a child wrote to stderr, kept for error results, /health and <c>mcproxy logs</c>. Bounded twice:
/// at most <c>capacity</c> lines and at most <c>maxChars</c> characters together (lines arrive already cut by
/// <see cref="StderrDrain"/>); the oldest lines go first. Every line gets a sequence number, so a follower reads
/// what came after the last line it saw and learns how many it missed. Thread-safe.
/// </summary>
internal sealed class StderrTail
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;
    private readonly int _maxChars;
    private int _chars;
    private long _next; // the sequence number the next line gets; the oldest kept line's is _next - _lines.Count
    private TaskCompletionSource? _added;

    public StderrTail(int capacity = 20, int maxChars = 32 * 1024)
    {
        _capacity = capacity;
        _maxChars = maxChars;
    }

    public void Add(string line)
    {
        if (line.Length > _maxChars)
        {
            line = line[.._maxChars];
        }
        TaskCompletionSource? added;
        lock (_lines)
        {
            _lines.Enqueue(line);
            _chars += line.Length;
            _next++;
            while (_lines.Count > _capacity || _chars > _maxChars)
            {
                _chars -= _lines.Dequeue().Length;
            }
            added = _added;
            _added = null;
        }
        added?.TrySetResult();
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines)
        {
            return _lines.ToArray();
        }
    }

    /// <summary>The lines after sequence number <paramref name="after"/> (0: all kept), the number to pass next time,
    /// and how many lines in between were already dropped from the ring.</summary>
    public (IReadOnlyList<string> Lines, long Next, long Missed) Since(long after)
    {
        lock (_lines)
        {
            var oldest = _next - _lines.Count;
            var from = Math.Max(after, oldest);
            var lines = _lines.Skip((int)(from - oldest)).ToArray();
            return (lines, _next, Math.Max(0, oldest - after));
        }
    }

    /// <summary>Completes when the next line arrives (one allocation per wait, none while nobody waits).</summary>
    public Task WhenAdded()
    {
        lock (_lines)
        {
            return (_added ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }
}
