namespace MCProxy.Supervision;

/// <summary>The last N lines a child wrote to stderr, kept for error results and /health. Thread-safe.</summary>
internal sealed class StderrTail
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;

    public StderrTail(int capacity = 20) => _capacity = capacity;

    public void Add(string line)
    {
        lock (_lines)
        {
            if (_lines.Count == _capacity)
            {
                _lines.Dequeue();
            }
            _lines.Enqueue(line);
        }
    }

    public IReadOnlyList<string> Snapshot()
    {
        lock (_lines)
        {
            return _lines.ToArray();
        }
    }
}
