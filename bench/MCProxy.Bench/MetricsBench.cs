using System.Diagnostics;

namespace MCProxy.Bench;

/// <summary>
/// What counting and scraping cost: c=16 tools/call throughput (POST /sse, the C# test child) of a gateway with
/// metrics on and /metrics scraped every second, against the same gateway started with --no-metrics, in alternating
/// rounds (the order flips each round). Target: metrics cost at most 5 % of c=16 throughput.
/// </summary>
internal static class MetricsBench
{
    public const double CostTarget = 0.05;

    public static async Task<double> RunAsync(HttpClient http, string config, string workDir, bool quick)
    {
        var rounds = quick ? 3 : 7;
        var calls = quick ? 4000 : 20000;
        Console.WriteLine();
        Console.WriteLine($"## metrics: c=16 tools/call echo through POST /sse, metrics on (scraped every 1 s) against --no-metrics; medians of {rounds} alternating rounds of {calls} calls");
        await using var on = await GatewayProcess.StartAsync(http, config, workDir);
        await using var off = await GatewayProcess.StartAsync(http, config, workDir, "--no-metrics");
        var clients = new Dictionary<GatewayProcess, PlainJsonClient[]>
        {
            [on] = Enumerable.Range(0, 16).Select(_ => new PlainJsonClient(http, on.BaseUrl)).ToArray(),
            [off] = Enumerable.Range(0, 16).Select(_ => new PlainJsonClient(http, off.BaseUrl)).ToArray(),
        };
        Task<(double Rate, int Errors)> Load(GatewayProcess gateway, int count) =>
            Measure.ConcurrentAsync(16, count, (w, m) => clients[gateway][w].CallAsync("tools/call", Measure.EchoParams("t__echo", m)));
        // One whole round unmeasured, in the first round's order: the first measured round of a run was otherwise
        // always the slowest (children and both processes still settling).
        foreach (var gateway in new[] { on, off })
        {
            Measure.AddFailures((await Load(gateway, calls)).Errors);
        }
        var rates = new Dictionary<GatewayProcess, List<double>> { [on] = [], [off] = [] };
        var cpu = new Dictionary<GatewayProcess, List<double>> { [on] = [], [off] = [] };
        var scrapes = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var gateway in round % 2 == 0 ? new[] { on, off } : [off, on])
            {
                using var stop = new CancellationTokenSource();
                var scraper = gateway == on ? ScrapeEverySecondAsync(http, on.BaseUrl, stop.Token) : Task.FromResult(0);
                var cpuBefore = gateway.CpuTime();
                var result = await Load(gateway, calls);
                cpu[gateway].Add((gateway.CpuTime() - cpuBefore).TotalMicroseconds / calls);
                stop.Cancel();
                scrapes += await scraper;
                Measure.AddFailures(result.Errors);
                rates[gateway].Add(result.Rate);
            }
        }
        // The scrape itself, on a gateway that has counted every call above.
        var times = new List<double>();
        var bytes = 0;
        for (var i = 0; i < 50; i++)
        {
            var started = Stopwatch.GetTimestamp();
            bytes = (await http.GetStringAsync(on.BaseUrl + "/metrics")).Length;
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var withMetrics = Measure.Median(rates[on]);
        var without = Measure.Median(rates[off]);
        var cost = 1 - withMetrics / without;
        // CPU per call is the steadier figure on a shared machine: another process's burst slows a round, not its CPU.
        var cpuOn = Measure.Median(cpu[on]);
        var cpuOff = Measure.Median(cpu[off]);
        Console.WriteLine($"{"gateway",-28} {"c=16 calls/s",13} {"CPU µs/call",12}   rounds (calls/s)");
        Console.WriteLine($"{"--no-metrics",-28} {without,13:F0} {cpuOff,12:F1}   {string.Join(' ', rates[off].Select(r => r.ToString("F0")))}");
        Console.WriteLine($"{"metrics on, scraped 1/s",-28} {withMetrics,13:F0} {cpuOn,12:F1}   {string.Join(' ', rates[on].Select(r => r.ToString("F0")))}   ({scrapes} scrapes)");
        Console.WriteLine($"metrics cost {cost:P1} of c=16 throughput (target ≤ {CostTarget:P0}: {(cost <= CostTarget ? "met" : "MISSED")}), " +
                          $"{cpuOn / cpuOff - 1:P1} gateway CPU per call; GET /metrics p50 {Measure.Median(times):F2} ms for {bytes} bytes");
        return cost;
    }

    private static async Task<int> ScrapeEverySecondAsync(HttpClient http, string baseUrl, CancellationToken stop)
    {
        var count = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var text = await http.GetStringAsync(baseUrl + "/metrics", stop);
                if (!text.Contains("mcproxy_tool_calls_total", StringComparison.Ordinal))
                {
                    Measure.AddFailures(1);
                }
                count++;
                await Task.Delay(1000, stop);
            }
        }
        catch (OperationCanceledException)
        {
            // The round ended.
        }
        return count;
    }
}
