using System.Diagnostics;
using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>The bench's measuring loops: every reply is checked against its request; a wrong one counts as a failure.</summary>
internal static class Measure
{
    private static int _failures;

    public static int Failures => Volatile.Read(ref _failures);

    public static void AddFailures(int count) => Interlocked.Add(ref _failures, count);

    public static string EchoParams(string tool, string message) => $"{{\"name\":\"{tool}\",\"arguments\":{{\"message\":\"{message}\"}}}}";

    /// <summary>16 bytes, unique per call.</summary>
    public static string Message(long n) => $"m{n:D15}";

    public static void Check(JsonElement reply, string message)
    {
        var text = reply.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();
        if (text is null || !text.Contains(message, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _failures);
            throw new InvalidOperationException($"wrong reply: expected {message}, got {text}");
        }
    }

    /// <summary>Sequential calls after a warm-up; percentiles of the measured ones.</summary>
    public static async Task<Stats> LatencyAsync(Func<string, Task<JsonElement>> call, int count, int warmup)
    {
        for (var i = 0; i < warmup; i++) Check(await call(Message(i)), Message(i));
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var m = Message(1_000_000 + i);
            var t = Stopwatch.GetTimestamp();
            var reply = await call(m);
            samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            Check(reply, m);
        }
        return Stats.Of(samples);
    }

    /// <summary><paramref name="count"/> calls shared by <paramref name="concurrency"/> workers; calls/s and errors.</summary>
    public static async Task<(double Rate, int Errors)> ConcurrentAsync(int concurrency, int count, Func<int, string, Task<JsonElement>> call)
    {
        var next = -1L;
        var errors = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            long n;
            while ((n = Interlocked.Increment(ref next)) < count)
            {
                var m = Message(5_000_000 + n);
                try
                {
                    Check(await call(worker, m), m);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })));
        return (count / sw.Elapsed.TotalSeconds, errors);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
