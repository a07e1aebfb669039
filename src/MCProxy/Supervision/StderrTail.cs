namespace MCProxy.Supervision;

/// <summary>
/// The last lines a child wrote to stderr, kept for error results and /health. Bounded twice: at most
/// <c>capacity</c> lines and at most <c>maxChars</c> characters together (lines arrive already cut by
/// <see cref="StderrDrain"/>). Thread-safe.
/// </summary>
internal sealed class StderrTail
{
    private readonly Queue<string> _lines = new();
    private readonly int _capacity;
    private readonly int _maxChars;
    private int _chars;

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
        lock (_lines)
        {
            _lines.Enqueue(line);
            _chars += line.Length;
            while (_lines.Count > _capacity || _chars > _maxChars)
            {
                _chars -= _lines.Dequeue().Length;
            }
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
