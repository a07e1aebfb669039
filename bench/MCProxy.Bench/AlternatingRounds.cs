using System.Text.Json;

namespace MCProxy.Bench;

/// <summary>One door of one gateway: how to open a lean client to it, and the tool name it exposes the echo as.</summary>
internal sealed record DoorTarget(string Gateway, string Door, Func<Task<IDoorClient>> Connect, string Tool);

/// <summary>Medians over the rounds for one door of one gateway.</summary>
internal sealed record DoorResult(DoorTarget Target, double P50, double AddedP50, double C4Rate);

/// <summary>
/// Measures several doors against a direct stdio baseline in alternating rounds: each round measures every door
/// and the baseline once, in an order rotated round by round, so drift on a shared, noisy machine lands on all of
/// them alike. Figures are medians over the rounds.
/// </summary>
internal static class AlternatingRounds
{
    public static async Task<(IReadOnlyList<DoorResult> Doors, double DirectP50, double DirectC4)> RunAsync(
        IReadOnlyList<DoorTarget> targets, StdioClient direct, int rounds, int calls, int warmup, int c4Calls)
    {
        var clients = new Dictionary<DoorTarget, IDoorClient[]>();
        foreach (var target in targets)
        {
            var four = new IDoorClient[4];
            for (var i = 0; i < 4; i++)
            {
                four[i] = await target.Connect();
            }
            clients[target] = four;
            // Warm every door (and the gateway's code behind it) before any round is measured.
            await Measure.LatencyAsync(m => four[0].CallAsync("tools/call", Measure.EchoParams(target.Tool, m)), warmup, warmup);
        }
        var p50 = targets.ToDictionary(t => t, _ => new List<double>());
        var c4 = targets.ToDictionary(t => t, _ => new List<double>());
        var directP50 = new List<double>();
        var directC4 = new List<double>();
        Task<JsonElement> Direct(string m) => direct.CallAsync("tools/call", Measure.EchoParams("echo", m));
        for (var round = 0; round < rounds; round++)
        {
            var order = targets.Skip(round % targets.Count).Concat(targets.Take(round % targets.Count)).ToList();
            directP50.Add((await Measure.LatencyAsync(Direct, calls, warmup / 4)).P50);
            foreach (var target in order)
            {
                var one = clients[target][0];
                p50[target].Add((await Measure.LatencyAsync(m => one.CallAsync("tools/call", Measure.EchoParams(target.Tool, m)), calls, warmup / 4)).P50);
            }
            var (rate, errors) = await Measure.ConcurrentAsync(4, c4Calls, (_, m) => Direct(m));
            Measure.AddFailures(errors);
            directC4.Add(rate);
            foreach (var target in order)
            {
                var four = clients[target];
                var (r, e) = await Measure.ConcurrentAsync(4, c4Calls, (w, m) => four[w].CallAsync("tools/call", Measure.EchoParams(target.Tool, m)));
                Measure.AddFailures(e);
                c4[target].Add(r);
            }
        }
        foreach (var client in clients.Values.SelectMany(c => c))
        {
            await client.DisposeAsync();
        }
        var direct50 = Measure.Median(directP50);
        return (targets.Select(t => new DoorResult(t, Measure.Median(p50[t]), Measure.Median(p50[t]) - direct50, Measure.Median(c4[t]))).ToList(),
            direct50, Measure.Median(directC4));
    }
}
