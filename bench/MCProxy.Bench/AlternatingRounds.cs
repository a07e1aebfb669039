using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>
/// One door of one gateway (or the direct path to the server): how to open a lean client to it, and the tool name
/// it exposes the echo as.
/// </summary>
internal sealed record DoorTarget(string Gateway, string Door, Func<Task<IDoorClient>> Connect, string Tool)
{
    /// <summary>
    /// The direct stdio baseline: every client is a view of the caller's one <paramref name="stdio"/> client, so the
    /// c=4 workers are multiplexed on its one pipe (as a gateway does); disposing a view leaves the child running.
    /// </summary>
    public static DoorTarget Stdio(StdioClient stdio) =>
        new("direct", "stdio", () => Task.FromResult<IDoorClient>(new Borrowed(stdio)), "echo");

    private sealed class Borrowed(IDoorClient inner) : IDoorClient
    {
        public Task<JsonElement> CallAsync(string method, string paramsJson) => inner.CallAsync(method, paramsJson);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Medians over the rounds for one door of one gateway (p99: the median of the rounds' p99).</summary>
internal sealed record DoorResult(DoorTarget Target, double P50, double AddedP50, double C4Rate, double P99, double AddedP99);

/// <summary>
/// Measures several doors against a direct baseline (stdio to the child, or the server's own HTTP endpoint) in
/// alternating rounds: each round measures the baseline and every door once, the doors in an order rotated round
/// by round, so drift on a shared, noisy machine lands on all of them alike. Figures are medians over the rounds.
/// </summary>
internal static class AlternatingRounds
{
    /// <summary>How many calls <see cref="RunAsync"/> makes to each target in one round: a short warm-up, the sequential and the c=4 calls.</summary>
    public static int CallsPerRound(int calls, int warmup, int c4Calls) => warmup / 4 + calls + c4Calls;

    public static async Task<(IReadOnlyList<DoorResult> Doors, double DirectP50, double DirectC4, double DirectP99)> RunAsync(
        IReadOnlyList<DoorTarget> targets, DoorTarget direct, int rounds, int calls, int warmup, int c4Calls, Action? atRoundBoundary = null)
    {
        var all = targets.Prepend(direct).ToList();
        var clients = new Dictionary<DoorTarget, IDoorClient[]>();
        try
        {
            foreach (var target in all)
            {
                var four = new IDoorClient[4];
                clients[target] = four;
                for (var i = 0; i < 4; i++)
                {
                    four[i] = await target.Connect();
                }
                // Warm every door (and the code behind it) before any round is measured.
                await Measure.LatencyAsync(m => four[0].CallAsync("tools/call", Measure.EchoParams(target.Tool, m)), warmup, warmup);
            }
            var p50 = all.ToDictionary(t => t, _ => new List<double>());
            var p99 = all.ToDictionary(t => t, _ => new List<double>());
            var c4 = all.ToDictionary(t => t, _ => new List<double>());
            // Called once after the warm-up and after every round (e.g. to read each process's CPU time per round).
            atRoundBoundary?.Invoke();
            for (var round = 0; round < rounds; round++)
            {
                var order = targets.Skip(round % targets.Count).Concat(targets.Take(round % targets.Count)).Prepend(direct).ToList();
                foreach (var target in order)
                {
                    var one = clients[target][0];
                    var stats = await Measure.LatencyAsync(m => one.CallAsync("tools/call", Measure.EchoParams(target.Tool, m)), calls, warmup / 4);
                    p50[target].Add(stats.P50);
                    p99[target].Add(stats.P99);
                }
                foreach (var target in order)
                {
                    var four = clients[target];
                    var (r, e) = await Measure.ConcurrentAsync(4, c4Calls, (w, m) => four[w].CallAsync("tools/call", Measure.EchoParams(target.Tool, m)));
                    Measure.AddFailures(e);
                    c4[target].Add(r);
                }
                atRoundBoundary?.Invoke();
            }
            var direct50 = Measure.Median(p50[direct]);
            var direct99 = Measure.Median(p99[direct]);
            return (targets.Select(t => new DoorResult(t, Measure.Median(p50[t]), Measure.Median(p50[t]) - direct50, Measure.Median(c4[t]),
                    Measure.Median(p99[t]), Measure.Median(p99[t]) - direct99)).ToList(),
                direct50, Measure.Median(c4[direct]), direct99);
        }
        finally
        {
            foreach (var client in clients.Values.SelectMany(c => c).Where(c => c is not null))
            {
                await client.DisposeAsync();
            }
        }
    }
}
