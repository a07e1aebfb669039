using System.Collections.Concurrent;
using MCProxy.Security;

namespace MCProxy.Admin;

/// <summary>
/// Per server, the calls of the last <see cref="WindowSeconds"/> seconds, fed by the audit trail: calls per second
/// and the median duration, for the status page.
/// NOTE 1: bounded: per server, one exact count per second of the window and a ring of the latest
/// <see cref="MaxSamples"/> durations for the median (past that many calls in the window the median is of the
/// latest ones); only servers <c>isServer</c> knows are tracked, so a record naming anything else costs nothing;
/// <see cref="Retain"/> drops the windows of removed servers.
/// </summary>
internal sealed class RecentCalls(TimeProvider time, Func<string, bool> isServer)
{
    public const int WindowSeconds = 10;
    public const int MaxSamples = 256;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts a call that reached its server; refusals (denied, rate limited, no token) never did.</summary>
    public void Add(AuditRecord record)
    {
        if (record.Server is not { } server ||
            record.Outcome is not (AuditOutcome.Ok or AuditOutcome.IsError or AuditOutcome.Error or AuditOutcome.Timeout) ||
            !isServer(server))
        {
            return;
        }
        _windows.GetOrAdd(server, static _ => new Window()).Add(time.GetUtcNow().ToUnixTimeSeconds(), record.DurationMs);
    }

    /// <summary>The server's calls per second over the window and their median duration (null without calls).</summary>
    public (double PerSecond, double? MedianMs) Read(string server) =>
        _windows.TryGetValue(server, out var window) ? window.Read(time.GetUtcNow().ToUnixTimeSeconds()) : (0, null);

    /// <summary>Forgets every server not in <paramref name="servers"/>.</summary>
    public void Retain(IReadOnlySet<string> servers)
    {
        foreach (var name in _windows.Keys)
        {
            if (!servers.Contains(name))
            {
                _windows.TryRemove(name, out _);
            }
        }
    }

    private sealed class Window
    {
        private readonly Lock _gate = new();
        private readonly long[] _seconds = new long[WindowSeconds];
        private readonly int[] _counts = new int[WindowSeconds];
        private readonly long[] _sampleSeconds = new long[MaxSamples];
        private readonly double[] _samples = new double[MaxSamples];
        private int _next;
        private int _filled;

        public void Add(long second, double durationMs)
        {
            lock (_gate)
            {
                var slot = (int)(second % WindowSeconds);
                if (_seconds[slot] != second)
                {
                    _seconds[slot] = second;
                    _counts[slot] = 0;
                }
                _counts[slot]++;
                _sampleSeconds[_next] = second;
                _samples[_next] = durationMs;
                _next = (_next + 1) % MaxSamples;
                _filled = Math.Min(_filled + 1, MaxSamples);
            }
        }

        public (double PerSecond, double? MedianMs) Read(long now)
        {
            var recent = new List<double>();
            var calls = 0;
            lock (_gate)
            {
                for (var i = 0; i < WindowSeconds; i++)
                {
                    if (InWindow(_seconds[i], now))
                    {
                        calls += _counts[i];
                    }
                }
                for (var i = 0; i < _filled; i++)
                {
                    if (InWindow(_sampleSeconds[i], now))
                    {
                        recent.Add(_samples[i]);
                    }
                }
            }
            if (recent.Count == 0)
            {
                return (calls / (double)WindowSeconds, null);
            }
            recent.Sort();
            var middle = recent.Count / 2;
            var median = recent.Count % 2 == 1 ? recent[middle] : (recent[middle - 1] + recent[middle]) / 2;
            return (calls / (double)WindowSeconds, median);
        }

        private static bool InWindow(long second, long now) => second > now - WindowSeconds && second <= now;
    }
}
