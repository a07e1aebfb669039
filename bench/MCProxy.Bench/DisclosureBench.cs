using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>The figures of the disclosure section, for the full run's summary line.</summary>
internal sealed record DisclosureFigures(int Tools, long FullBytes, long DiscoverBytes, double Recall5, double Mrr, double SearchCostP50);

/// <summary>
/// Progressive disclosure on the real npm servers: the gateway fronts server-everything, server-memory and
/// server-filesystem × N instances (everything1…N, memory1…N, fs1…N) until the merged catalogue has ≥ 300 tools.
/// Measures tools/list in full and in discover mode (bytes of the JSON-RPC result, tokens estimated as UTF-8 bytes / 4,
/// the estimate the gateway's auto mode uses), the retrieval quality of mcproxy__search_tools on the labelled queries of
/// search-queries.json (recall@5 and MRR), and the search's cost: its POST /sse round trip minus the ping round trip
/// on the same connection, sampled in pairs.
/// </summary>
internal static class DisclosureBench
{
    public const int MinTools = 300;
    public const double RecallTarget = 0.9, SearchCostTarget = 1.0;

    private sealed record Query(string Text, string[] Expect);

    public static async Task<DisclosureFigures?> RunAsync(HttpClient http, string workDir, bool quick)
    {
        Console.WriteLine();
        var bins = new[] { Paths.EverythingJs, Paths.MemoryJs, Paths.FilesystemJs };
        if (bins.FirstOrDefault(b => !File.Exists(b)) is { } missing)
        {
            Console.WriteLine($"## disclosure: skipped, {missing} is missing (cd tests/e2e && npm ci)");
            return null;
        }
        var queries = LoadQueries(Paths.SearchQueries);
        var data = Directory.CreateTempSubdirectory("mcproxy-bench-disclosure-").FullName;
        try
        {
            // 39 tools a set (16 + 9 + 14) and the gateway's mcproxy__status: 8 sets make 313.
            const int instances = 8;
            var entries = new List<string>();
            for (var i = 1; i <= instances; i++)
            {
                entries.Add($"{{\"name\":\"everything{i}\",\"command\":\"node\",\"args\":[{Json(Paths.EverythingJs)},\"stdio\"]}}");
                entries.Add($"{{\"name\":\"memory{i}\",\"command\":\"node\",\"args\":[{Json(Paths.MemoryJs)}],\"env\":{{\"MEMORY_FILE_PATH\":{Json(Path.Combine(data, $"memory{i}.jsonl"))}}}}}");
                entries.Add($"{{\"name\":\"fs{i}\",\"command\":\"node\",\"args\":[{Json(Paths.FilesystemJs)},{Json(data)}]}}");
            }
            var started = Stopwatch.StartNew();
            await using var gateway = await GatewayProcess.StartAsync(http, $"{{\"servers\":[{string.Join(",", entries)}]}}", workDir);
            await WaitAllReadyAsync(http, gateway.BaseUrl, entries.Count);
            var full = new PlainJsonClient(http, gateway.BaseUrl);
            var discover = new PlainJsonClient(http, gateway.BaseUrl, path: "/sse?tools=discover");

            var (fullTools, fullBytes) = await ListAsync(full);
            var (discoverTools, discoverBytes) = await ListAsync(discover);
            var tools = fullTools.Count;
            Console.WriteLine($"## progressive disclosure: {instances} × (server-everything, server-memory, server-filesystem) = {entries.Count} stdio children, " +
                              $"{tools} tools (ready in {started.Elapsed.TotalSeconds:F1} s)");
            if (tools < MinTools)
            {
                Measure.AddFailures(1);
                Console.WriteLine($"only {tools} tools listed, fewer than {MinTools}");
            }
            Console.WriteLine("tools/list result, UTF-8 bytes; tokens estimated as bytes / 4 (the estimate auto mode uses)");
            Console.WriteLine($"{"mode",-22} {"tools",6} {"bytes",10} {"est. tokens",12}");
            Console.WriteLine($"{"full",-22} {tools,6} {fullBytes,10} {fullBytes / 4,12}");
            Console.WriteLine($"{"discover (?tools=)",-22} {discoverTools.Count,6} {discoverBytes,10} {discoverBytes / 4,12}");
            Console.WriteLine($"discover / full: {(double)discoverBytes / fullBytes:P2} of the bytes, {(double)fullBytes / discoverBytes:F0}× smaller ({string.Join(", ", discoverTools)})");

            // The first search builds the index (lazily, once per catalogue snapshot).
            var first = Stopwatch.StartNew();
            await SearchAsync(discover, "warm up the index", 10);
            var firstMs = first.Elapsed.TotalMilliseconds;

            // Quality: the whole ranking (limit 50) of each query, as returned and with instance copies collapsed.
            var hits5 = 0;
            var hits5Distinct = 0;
            double rr = 0, rrDistinct = 0, distinctIn10 = 0;
            var misses = new List<(Query Query, string[] Top, bool Distinct5)>();
            var notFirst = new List<(Query Query, string[] Top, int Rank)>();
            foreach (var q in queries)
            {
                var ranked = await SearchAsync(discover, q.Text, 50);
                var originals = ranked.Select(Original).ToList();
                var distinct = originals.Distinct().ToList();
                var rank = originals.FindIndex(q.Expect.Contains) + 1;
                var rankDistinct = distinct.FindIndex(q.Expect.Contains) + 1;
                var found5 = rank is > 0 and <= 5;
                var found5Distinct = rankDistinct is > 0 and <= 5;
                hits5 += found5 ? 1 : 0;
                hits5Distinct += found5Distinct ? 1 : 0;
                rr += rank > 0 ? 1.0 / rank : 0;
                rrDistinct += rankDistinct > 0 ? 1.0 / rankDistinct : 0;
                distinctIn10 += originals.Take(10).Distinct().Count();
                if (!found5)
                {
                    misses.Add((q, distinct.Take(3).ToArray(), found5Distinct));
                }
                else if (rankDistinct > 1)
                {
                    notFirst.Add((q, distinct.Take(3).ToArray(), rankDistinct));
                }
            }
            var n = queries.Count;
            var recall5 = (double)hits5 / n;
            Console.WriteLine();
            Console.WriteLine($"retrieval: {n} labelled queries ({Path.GetRelativePath(Paths.Root, Paths.SearchQueries)}); a query is found when one of its expected tools " +
                              "(original name, any instance's copy) is among the top 5 results");
            Console.WriteLine($"{"recall@5",-44} {recall5,6:F3}  target ≥ {RecallTarget:F1}: {(recall5 >= RecallTarget ? "met" : "MISSED")}");
            Console.WriteLine($"{"MRR",-44} {rr / n,6:F3}");
            Console.WriteLine($"{"recall@5, instance copies collapsed",-44} {(double)hits5Distinct / n,6:F3}" +
                              (hits5Distinct != hits5 ? $"  (the {instances} copies of a tool tie and rank together, so as returned the top 5 are copies of fewer tools)" : ""));
            Console.WriteLine($"{"MRR, instance copies collapsed",-44} {rrDistinct / n,6:F3}");
            Console.WriteLine($"{"distinct tools in a default search (10)",-44} {distinctIn10 / n,6:F2}");

            // Cost: a search and a ping in pairs on the same connection, so both see the same noise.
            var passes = quick ? 5 : 20;
            foreach (var q in queries)
            {
                await SearchAsync(discover, q.Text, null);
                await PingAsync(discover);
            }
            var searchSamples = new List<double>();
            var pingSamples = new List<double>();
            for (var pass = 0; pass < passes; pass++)
            {
                foreach (var q in queries)
                {
                    var t = Stopwatch.GetTimestamp();
                    await PingAsync(discover);
                    pingSamples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    t = Stopwatch.GetTimestamp();
                    await SearchAsync(discover, q.Text, null);
                    searchSamples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }
            var search = Stats.Of(searchSamples);
            var ping = Stats.Of(pingSamples);
            var cost = search.P50 - ping.P50;
            Console.WriteLine();
            Console.WriteLine($"search: mcproxy__search_tools (default limit 10) through POST /sse, {searchSamples.Count} calls ({passes} passes over the queries), each after a ping");
            Console.WriteLine($"{"",-36} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8}");
            Console.WriteLine($"{"search round trip",-36} {search.P50,8:F3} {search.P90,8:F3} {search.P99,8:F3}");
            Console.WriteLine($"{"ping round trip (no child)",-36} {ping.P50,8:F3} {ping.P90,8:F3} {ping.P99,8:F3}");
            Console.WriteLine($"{"search cost (search p50 − ping p50)",-36} {cost,8:F3}  target ≤ {SearchCostTarget:F0} ms: {(cost <= SearchCostTarget ? "met" : "MISSED")}");
            Console.WriteLine($"first search (builds the index over {tools} tools): {firstMs:F1} ms round trip");

            Console.WriteLine();
            Console.WriteLine(misses.Count == 0
                ? "missed queries: none"
                : $"missed queries ({misses.Count}): query → top 3 distinct tools returned [expected]{(misses.Any(m => m.Distinct5) ? "; * = found among the top 5 distinct tools" : "")}");
            foreach (var (q, top, distinct5) in misses)
            {
                Console.WriteLine($"  {(distinct5 ? "*" : " ")} \"{q.Text}\" → {string.Join(", ", top)}  [{string.Join(" | ", q.Expect)}]");
            }
            if (notFirst.Count > 0)
            {
                Console.WriteLine($"found, but not first ({notFirst.Count}): query → top 3 distinct tools returned [expected] (rank among distinct tools)");
                foreach (var (q, top, rank) in notFirst)
                {
                    Console.WriteLine($"    \"{q.Text}\" → {string.Join(", ", top)}  [{string.Join(" | ", q.Expect)}] ({rank})");
                }
            }
            await full.DisposeAsync();
            await discover.DisposeAsync();
            return new DisclosureFigures(tools, fullBytes, discoverBytes, recall5, rr / n, cost);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    private static List<Query> LoadQueries(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.EnumerateArray()
            .Select(q => new Query(q.GetProperty("query").GetString()!, q.GetProperty("expect").EnumerateArray().Select(e => e.GetString()!).ToArray()))
            .ToList();
    }

    /// <summary>A tool's name at its server: the part after the first "__" (server1__read_file → read_file).</summary>
    private static string Original(string name) => name.IndexOf("__", StringComparison.Ordinal) is var i and >= 0 ? name[(i + 2)..] : name;

    private static string Json(string text) => JsonSerializer.Serialize(text);

    /// <summary>Every child ready (the gateway is ready before all its children are).</summary>
    private static async Task WaitAllReadyAsync(HttpClient http, string baseUrl, int count)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(baseUrl + "/health"));
            var servers = doc.RootElement.GetProperty("servers").EnumerateArray().ToList();
            if (servers.Count == count && servers.All(s => s.GetProperty("state").GetString() == "ready")) return;
            if (waited.Elapsed > TimeSpan.FromSeconds(180)) throw new TimeoutException("not every child became ready");
            await Task.Delay(100);
        }
    }

    /// <summary>The tools' names and the result's UTF-8 bytes, all pages.</summary>
    private static async Task<(List<string> Names, long Bytes)> ListAsync(PlainJsonClient client)
    {
        var names = new List<string>();
        long bytes = 0;
        string? cursor = null;
        do
        {
            var reply = await client.CallAsync("tools/list", cursor is null ? "{}" : $"{{\"cursor\":{Json(cursor)}}}");
            var result = reply.GetProperty("result");
            bytes += Encoding.UTF8.GetByteCount(result.GetRawText());
            names.AddRange(result.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
            cursor = result.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        }
        while (cursor is not null);
        return (names, bytes);
    }

    /// <summary>The names mcproxy__search_tools returns, best first; a reply without its cards fails the run.</summary>
    private static async Task<List<string>> SearchAsync(PlainJsonClient client, string query, int? limit)
    {
        var arguments = limit is null ? $"{{\"query\":{Json(query)}}}" : $"{{\"query\":{Json(query)},\"limit\":{limit}}}";
        var reply = await client.CallAsync("tools/call", $"{{\"name\":\"mcproxy__search_tools\",\"arguments\":{arguments}}}");
        if (!reply.TryGetProperty("result", out var result) || !result.TryGetProperty("structuredContent", out var content) ||
            !content.TryGetProperty("tools", out var cards))
        {
            Measure.AddFailures(1);
            throw new InvalidOperationException($"mcproxy__search_tools \"{query}\": {reply.GetRawText()}");
        }
        return cards.EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
    }

    private static async Task PingAsync(PlainJsonClient client)
    {
        var reply = await client.CallAsync("ping", "{}");
        if (!reply.TryGetProperty("result", out _))
        {
            Measure.AddFailures(1);
            throw new InvalidOperationException($"ping: {reply.GetRawText()}");
        }
    }
}
