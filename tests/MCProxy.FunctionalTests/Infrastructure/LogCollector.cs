using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>Keeps every formatted log line the gateway writes, so tests can check what reaches the log.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    // Kept for the suite-wide secrets sweep (only when MCPROXY_EVIDENCE_DIR is set).
    private readonly TextWriter? _evidence = Evidence.OpenLog("functional");

    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>Raised with every line as it is written.</summary>
    public event Action<string>? Logged;

    /// <summary>Waits (on the log event, bounded) for the <paramref name="count"/>th line matching <paramref name="match"/>.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, double seconds = 20, int count = 1)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var seen = 0;
        void OnLogged(string line)
        {
            if (match(line) && Interlocked.Increment(ref seen) >= count)
            {
                found.TrySetResult(line);
            }
        }
        Logged += OnLogged;
        try
        {
            var already = Lines.Where(match).ToList();
            if (Interlocked.Add(ref seen, already.Count) >= count)
            {
                return already.Count >= count ? already[count - 1] : await found.Task;
            }
            return await found.Task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        finally
        {
            Logged -= OnLogged;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() => _evidence?.Dispose();

    private sealed class Logger(LogCollector owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}";
            owner._lines.Enqueue(line);
            owner._evidence?.WriteLine(line);
            owner.Logged?.Invoke(line);
        }
    }
}
