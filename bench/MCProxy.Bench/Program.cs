// MCProxy benchmark: prints figures, asserts nothing but correctness (every reply must match its request).
// Usage: dotnet run -c Release --project bench/MCProxy.Bench [-- --quick] [--only SECTION]
// Sections: latency, doors, peer, remote, auth, sdk, door2026, throughput, metrics, memory, startup, reload, disclosure.
// Figures are ratios against baselines measured in the same run: this machine is shared and noisy.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MCProxy.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
bool Run(string section) => only is null || only == section;
var calls = quick ? 1000 : 5000;
var warmup = quick ? 200 : 1000;
var http = Http.Create();
var total = Stopwatch.StartNew();
var everything = File.Exists(Paths.EverythingJs);
var workDir = Paths.Root;
Console.WriteLine($"MCProxy bench — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {(quick ? "quick" : "full")} run");
Console.WriteLine($"gateway: {string.Join(' ', [Paths.Gateway.File, .. Paths.Gateway.Prefix])} ({(Paths.Gateway.Prefix.Length == 0 ? "native" : "JIT, " + Paths.Configuration)})");

string Entry(string name, string extra = "") =>
    $"{{\"name\":\"{name}\",\"command\":\"dotnet\",\"args\":[\"{Paths.TestServerDll}\"{extra}]}}";
string EverythingEntry(string name) =>
    $"{{\"name\":\"{name}\",\"command\":\"node\",\"args\":[\"{Paths.EverythingJs}\",\"stdio\"]}}";
string Config(params string[] entries) => $"{{\"servers\":[{string.Join(",", entries)}]}}";

string EchoParams(string tool, string message) => Measure.EchoParams(tool, message);
Task<Stats> MeasureAsync(Func<string, Task<JsonElement>> call, int count) => Measure.LatencyAsync(call, count, warmup);

// Whether the child saw a client's cancel within 2 s: MCProxy's child says so on stderr (read through /health's
// tail), a spike's child in the spike's own stderr.
async Task<bool> HeardCancelAsync(string gatewayUrl, IEnumerable<string>? spikeStderr)
{
    for (var i = 0; i < 40; i++)
    {
        await Task.Delay(50);
        if (spikeStderr is null
                ? (await http.GetStringAsync(gatewayUrl + "/health")).Contains("cancelled request")
                : spikeStderr.Any(l => l.Contains("cancelled request")))
        {
            return true;
        }
    }
    return false;
}
Task<(double Rate, int Errors)> RunConcurrentAsync(int concurrency, int count, Func<int, string, Task<JsonElement>> call) =>
    Measure.ConcurrentAsync(concurrency, count, call);

// ---------------------------------------------------------------- latency
var latencyRows = new List<(string Child, string Door, Stats Stats, Stats Direct)>();
var children = new List<(string Label, string Tool, string Entry, string[] DirectCommand)>
{
    ("testserver (C#)", "t__echo", Entry("t"), ["dotnet", Paths.TestServerDll]),
};
if (everything) children.Add(("server-everything (node)", "t__echo", EverythingEntry("t"), ["node", Paths.EverythingJs, "stdio"]));
if (Run("latency"))
{
Console.WriteLine();
Console.WriteLine($"## added latency of tools/call echo (16-byte message), {calls} sequential calls after {warmup} warm-up");
Console.WriteLine($"{"child / path",-34} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"+p50 ms",8} {"ratio",6}");
foreach (var (label, tool, entry, direct) in children)
{
    Stats directStats;
    await using (var stdio = await StdioClient.StartAsync(direct[0], direct[1..]))
    {
        directStats = await MeasureAsync(m => stdio.CallAsync("tools/call", EchoParams("echo", m)), calls);
    }
    await using var gateway = await GatewayProcess.StartAsync(http, Config(entry), workDir);
    var plain = new PlainJsonClient(http, gateway.BaseUrl);
    await using var streamable = await StreamableClient.ConnectAsync(http, gateway.BaseUrl);
    await using var sse = await LegacySseClient.ConnectAsync(http, gateway.BaseUrl);
    Print(label, "direct stdio", directStats, directStats);
    if (latencyRows.Count == 0)
    {
        // The HTTP round trip alone: ping is answered by the gateway without touching a child.
        var ping = await MeasureAsync(async m => { await plain.CallAsync("ping", "{}"); return JsonDocument.Parse($"{{\"result\":{{\"content\":[{{\"text\":\"{m}\"}}]}}}}").RootElement; }, calls);
        Print("gateway only:", "POST /sse ping", ping, directStats);
    }
    var doors = new (string, IDoorClient)[] { ("POST /sse (plain JSON)", plain), ("legacy SSE /sse", sse), ("Streamable HTTP /mcp", streamable) };
    // Warm every door first, so no door is measured while the JIT is still tiering up code the others share.
    foreach (var (_, client) in doors)
    {
        await MeasureAsync(m => client.CallAsync("tools/call", EchoParams(tool, m)), warmup);
    }
    foreach (var (door, client) in doors)
    {
        var stats = await MeasureAsync(m => client.CallAsync("tools/call", EchoParams(tool, m)), calls);
        Print(label, door, stats, directStats);
        latencyRows.Add((label, door, stats, directStats));
    }
}

}

void Print(string child, string door, Stats s, Stats direct) =>
    Console.WriteLine($"{child + " " + door,-34} {s.P50,8:F3} {s.P90,8:F3} {s.P99,8:F3} {s.P50 - direct.P50,8:F3} {s.P50 / direct.P50,6:F2}");

// ---------------------------------------------------------------- doors and peer, in alternating rounds
var rounds = quick ? 3 : 5;
var roundCalls = quick ? 600 : 2000;
var roundC4 = quick ? 2000 : 6000;
var doorRows = new List<(string Child, IReadOnlyList<DoorResult> Doors, double DirectP50, double DirectC4)>();
async Task<IDoorClient> Sse(string url) => await LegacySseClient.ConnectAsync(http, url);
async Task<IDoorClient> Mcp(string url) => await StreamableClient.ConnectAsync(http, url);
if (Run("doors"))
{
    Console.WriteLine();
    Console.WriteLine($"## legacy SSE against /mcp: medians of {rounds} alternating rounds ({roundCalls} sequential calls, {roundC4} calls at c=4)");
    Console.WriteLine($"{"child / door",-40} {"p50 ms",8} {"+p50 ms",8} {"c=4 calls/s",12} {"% of direct",12}");
    foreach (var (label, tool, entry, directCommand) in children)
    {
        await using var stdio = await StdioClient.StartAsync(directCommand[0], directCommand[1..]);
        await using var gateway = await GatewayProcess.StartAsync(http, Config(entry), workDir);
        var result = await AlternatingRounds.RunAsync(
        [
            new DoorTarget("MCProxy", "/mcp", () => Mcp(gateway.BaseUrl), tool),
            new DoorTarget("MCProxy", "legacy SSE", () => Sse(gateway.BaseUrl), tool),
        ], DoorTarget.Stdio(stdio), rounds, roundCalls, warmup, roundC4);
        doorRows.Add((label, result.Doors, result.DirectP50, result.DirectC4));
        Console.WriteLine($"{label + " direct stdio",-40} {result.DirectP50,8:F3} {0,8:F3} {result.DirectC4,12:F0} {1,12:P0}");
        foreach (var d in result.Doors)
        {
            Console.WriteLine($"{label + " " + d.Target.Door,-40} {d.P50,8:F3} {d.AddedP50,8:F3} {d.C4Rate,12:F0} {d.C4Rate / result.DirectC4,12:P0}");
        }
        var sseDoor = result.Doors.Single(d => d.Target.Door == "legacy SSE");
        var mcpDoor = result.Doors.Single(d => d.Target.Door == "/mcp");
        Console.WriteLine($"{label + " SSE added p50 / /mcp added p50",-40} {sseDoor.AddedP50 / mcpDoor.AddedP50,8:F2}");
    }
}

var peerRows = new List<(string Door, DoorResult Ours, DoorResult Peer)>();
if (Run("peer") && everything && File.Exists(PeerProcess.Executable))
{
    Console.WriteLine();
    Console.WriteLine($"## MCProxy against mcp-proxy (npm) fronting server-everything: medians of {rounds} alternating rounds");
    await using var stdio = await StdioClient.StartAsync("node", Paths.EverythingJs, "stdio");
    await using var gateway = await GatewayProcess.StartAsync(http, Config(EverythingEntry("t")), workDir);
    await using var peer = await PeerProcess.StartAsync(http, "node", Paths.EverythingJs, "stdio");
    var result = await AlternatingRounds.RunAsync(
    [
        new DoorTarget("MCProxy", "legacy SSE", () => Sse(gateway.BaseUrl), "t__echo"),
        new DoorTarget("mcp-proxy", "legacy SSE", () => Sse(peer.BaseUrl), "echo"),
        new DoorTarget("MCProxy", "/mcp", () => Mcp(gateway.BaseUrl), "t__echo"),
        new DoorTarget("mcp-proxy", "/mcp", () => Mcp(peer.BaseUrl), "echo"),
    ], DoorTarget.Stdio(stdio), rounds, roundCalls, warmup, roundC4);
    Console.WriteLine($"direct stdio: p50 {result.DirectP50:F3} ms, c=4 {result.DirectC4:F0} calls/s");
    Console.WriteLine($"{"door",-12} {"MCProxy +p50",13} {"mcp-proxy +p50",15} {"ours/peer",10} {"MCProxy c=4",12} {"mcp-proxy c=4",14} {"ours/peer",10} {"ours % direct",14}");
    foreach (var door in new[] { "legacy SSE", "/mcp" })
    {
        var ours = result.Doors.Single(d => d.Target.Gateway == "MCProxy" && d.Target.Door == door);
        var theirs = result.Doors.Single(d => d.Target.Gateway == "mcp-proxy" && d.Target.Door == door);
        peerRows.Add((door, ours, theirs));
        Console.WriteLine($"{door,-12} {ours.AddedP50,13:F3} {theirs.AddedP50,15:F3} {ours.AddedP50 / theirs.AddedP50,10:F2} {ours.C4Rate,12:F0} {theirs.C4Rate,14:F0} {ours.C4Rate / theirs.C4Rate,10:F2} {ours.C4Rate / result.DirectC4,14:P0}");
    }
}

// ---------------------------------------------------------------- remote upstreams: server-everything over HTTP
// The remote hop: server-everything started as a remote server (streamableHttp, then sse) and called by the lean
// client directly, against the same client going through a gateway that fronts it as "type": "http" / "sse".
var remoteRows = new List<(string Type, IReadOnlyList<DoorResult> Doors, double DirectP50, double DirectC4)>();
const double RemoteAddedTarget = 0.2, RemoteC4Target = 0.70;
if (Run("remote") && !everything)
{
    Console.WriteLine();
    Console.WriteLine($"## remote: skipped, {Paths.EverythingJs} is missing (cd tests/e2e && npm ci)");
}
else if (Run("remote"))
{
    Console.WriteLine();
    Console.WriteLine($"## remote upstream: server-everything as a remote server, the lean client direct against the same client through MCProxy; medians of {rounds} alternating rounds ({roundCalls} sequential calls, {roundC4} calls at c=4)");
    Console.WriteLine($"{"upstream type / path",-46} {"p50 ms",8} {"+p50 ms",8} {$"≤ {RemoteAddedTarget:F1} ms",9} {"c=4 calls/s",12} {"% of direct",12} {$"≥ {RemoteC4Target:P0}",7}");
    var modes = new (string Mode, string Type, string Endpoint, string Door, Func<string, Task<IDoorClient>> Connect)[]
    {
        ("streamableHttp", "http", "/mcp", "/mcp", Mcp),
        ("sse", "sse", "/sse", "legacy SSE", Sse),
    };
    foreach (var (mode, type, endpoint, door, connect) in modes)
    {
        await using var remote = await RemoteEverything.StartAsync(mode);
        await using var gateway = await GatewayProcess.StartAsync(http,
            Config($"{{\"name\":\"t\",\"type\":\"{type}\",\"url\":\"{remote.BaseUrl}{endpoint}\"}}"), workDir);
        var result = await AlternatingRounds.RunAsync(
        [
            new DoorTarget("MCProxy", door, () => connect(gateway.BaseUrl), "t__echo"),
            new DoorTarget("MCProxy", "POST /sse", () => Task.FromResult<IDoorClient>(new PlainJsonClient(http, gateway.BaseUrl)), "t__echo"),
        ], new DoorTarget("direct", door, () => connect(remote.BaseUrl), "echo"), rounds, roundCalls, warmup, roundC4);
        remoteRows.Add((type, result.Doors, result.DirectP50, result.DirectC4));
        Console.WriteLine($"{$"\"{type}\": direct {door} ({mode} {endpoint})",-46} {result.DirectP50,8:F3} {"",8} {"",9} {result.DirectC4,12:F0} {1,12:P1}");
        foreach (var d in result.Doors)
        {
            var share = d.C4Rate / result.DirectC4;
            Console.WriteLine($"{$"\"{type}\": MCProxy {d.Target.Door}",-46} {d.P50,8:F3} {d.AddedP50,8:F3} {(d.AddedP50 <= RemoteAddedTarget ? "met" : "MISSED"),9} {d.C4Rate,12:F0} {share,12:P1} {(share >= RemoteC4Target ? "met" : "MISSED"),7}");
        }
        // The front door alone (ping is answered by the gateway, no upstream request): the part of the added p50
        // that is the client→gateway HTTP round trip; the rest is the gateway's own request to the remote server.
        var plain = new PlainJsonClient(http, gateway.BaseUrl);
        var ping = await Measure.LatencyAsync(async m =>
        {
            await plain.CallAsync("ping", "{}");
            return JsonDocument.Parse($"{{\"result\":{{\"content\":[{{\"text\":\"{m}\"}}]}}}}").RootElement;
        }, roundCalls, warmup);
        await plain.DisposeAsync();
        Console.WriteLine($"{$"\"{type}\": MCProxy POST /sse ping (no upstream)",-46} {ping.P50,8:F3}");
    }
}

// ---------------------------------------------------------------- authentication overhead
if (Run("auth"))
{
    Console.WriteLine();
    Console.WriteLine($"## authentication: POST /sse to the C# child, no auth section against a bearer token and a JWT (RS256, local JWKS), medians of {rounds} alternating rounds");
    const string token = "bench-token-0123456789abcdef";
    var authConfig = Config(Entry("t")).TrimEnd('}') + $",\"auth\":{{\"tokens\":[{{\"name\":\"bench\",\"token\":\"{token}\",\"allow\":[\"*\"],\"deny\":[\"t__crash\"]}}]}}}}";
    using var idp = new LocalJwks();
    var jwtConfig = Config(Entry("t")).TrimEnd('}') + $",\"auth\":{{\"jwt\":{{\"issuer\":\"{LocalJwks.Issuer}\",\"audience\":\"mcproxy\",\"jwksUrl\":\"{idp.Url}\",\"nameClaim\":\"preferred_username\"}},\"roles\":{{\"all\":{{\"allow\":[\"*\"],\"deny\":[\"t__crash\"]}}}}}}}}";
    await using var stdio = await StdioClient.StartAsync("dotnet", Paths.TestServerDll);
    await using var open = await GatewayProcess.StartAsync(http, Config(Entry("t")), workDir);
    await using var guarded = await GatewayProcess.StartAsync(http, authConfig, workDir);
    await using var jwtGuarded = await GatewayProcess.StartAsync(http, jwtConfig, workDir);
    var jwt = idp.Token("bench");
    var result = await AlternatingRounds.RunAsync(
    [
        new DoorTarget("no auth", "POST /sse", () => Task.FromResult<IDoorClient>(new PlainJsonClient(http, open.BaseUrl)), "t__echo"),
        new DoorTarget("token + policy", "POST /sse", () => Task.FromResult<IDoorClient>(new PlainJsonClient(http, guarded.BaseUrl, token)), "t__echo"),
        new DoorTarget("JWT + policy", "POST /sse", () => Task.FromResult<IDoorClient>(new PlainJsonClient(http, jwtGuarded.BaseUrl, jwt)), "t__echo"),
    ], DoorTarget.Stdio(stdio), rounds, roundCalls, warmup, roundC4);
    var openRow = result.Doors[0];
    Console.WriteLine($"{"gateway",-16} {"+p50 ms",8} {"c=4 calls/s",12}");
    foreach (var d in result.Doors) Console.WriteLine($"{d.Target.Gateway,-16} {d.AddedP50,8:F3} {d.C4Rate,12:F0}");
    Console.WriteLine($"token authentication adds {result.Doors[1].P50 - openRow.P50:F3} ms p50, JWT (keys cached) {result.Doors[2].P50 - openRow.P50:F3} ms");
}

// Whether a front door keeps what the C# child's `rich` tool sends beyond what an SDK models: the tool definition's
// x-unknown-field and execution.taskSupport (tools/list), and the call result's x-extra. A result that comes back as an
// error instead (the SDK's McpClient 2.4.0 cannot read a content block with annotations, which `rich` sends) says so.
static string Fidelity(string listed, string called)
{
    var tool = listed.Contains("x-unknown-field") && listed.Contains("taskSupport") ? "kept" : "dropped";
    var result = !called.Contains("rich answer") || called.Contains("\"isError\":true") ? "failed (isError)"
        : called.Contains("x-extra") ? "kept" : "dropped";
    return $"tool {tool}, result {result}";
}

// ---------------------------------------------------------------- the SDK front door (issue 10's spike)
if (Run("sdk") && File.Exists(Paths.SdkFrontDoorDll))
{
    Console.WriteLine();
    Console.WriteLine($"## ModelContextProtocol.AspNetCore 2.4.0 (MapMcp + McpClient) against MCProxy's relay: C# test child, /mcp, medians of {rounds} alternating rounds");
    await using var stdio = await StdioClient.StartAsync("dotnet", Paths.TestServerDll);
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Entry("t")), workDir);
    var spikes = new Dictionary<string, PeerProcess>();
    foreach (var mode in new[] { "stateful", "stateless" })
    {
        spikes[mode] = await PeerProcess.StartAsync(http, "dotnet",
            port => [Paths.SdkFrontDoorDll, "--port", port.ToString(), "--mode", mode, "--", "dotnet", Paths.TestServerDll]);
    }
    try
    {
        var urls = new Dictionary<string, string> { ["MCProxy"] = gateway.BaseUrl, ["SDK stateful"] = spikes["stateful"].BaseUrl, ["SDK stateless"] = spikes["stateless"].BaseUrl };
        var result = await AlternatingRounds.RunAsync(urls.Select(u => new DoorTarget(u.Key, "/mcp", () => Mcp(u.Value), "t__echo")).ToList(),
            DoorTarget.Stdio(stdio), rounds, roundCalls, warmup, roundC4);
        Console.WriteLine($"direct stdio: p50 {result.DirectP50:F3} ms, c=4 {result.DirectC4:F0} calls/s");
        Console.WriteLine($"{"front door",-14} {"+p50 ms",8} {"c=4 calls/s",12} {"RSS MiB",8} {"unknown fields (tool, result)",38} {"cancel reaches child",21}");
        foreach (var door in result.Doors)
        {
            var name = door.Target.Gateway;
            await using var probe = await StreamableClient.ConnectAsync(http, urls[name]);
            var listed = await probe.RawAsync("""{"jsonrpc":"2.0","id":"l","method":"tools/list","params":{}}""");
            var called = await probe.RawAsync("""{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"t__rich","arguments":{"q":"x"}}}""");
            var kept = Fidelity(listed, called);
            await probe.CallAndCancelAsync("""{"name":"t__slow","arguments":{"ms":3000}}""", 200);
            var heard = await HeardCancelAsync(gateway.BaseUrl, name == "MCProxy" ? null : spikes[name == "SDK stateful" ? "stateful" : "stateless"].Stderr);
            var rss = name == "MCProxy" ? gateway.RssMiB() : spikes[name == "SDK stateful" ? "stateful" : "stateless"].RssMiB();
            Console.WriteLine($"{name,-14} {door.AddedP50,8:F3} {door.C4Rate,12:F0} {rss,8:F1} {kept,38} {(heard ? "yes" : "no"),21}");
        }
    }
    finally
    {
        foreach (var spike in spikes.Values) await spike.DisposeAsync();
    }
}

// ---------------------------------------------------------------- the 2026-07-28 front door (issue 15)
// Session-less 2026-07-28 POSTs (routing headers, params._meta) to MCProxy's /mcp against the SDK's MapMcp in
// stateless mode relaying through its McpClient, the same C# child behind both, the direct stdio baseline.
if (Run("door2026") && File.Exists(Paths.SdkFrontDoorDll))
{
    Console.WriteLine();
    Console.WriteLine($"## the 2026-07-28 door: stateless tools/call on /mcp, MCProxy's relay against MapMcp stateless + McpClient (ModelContextProtocol.AspNetCore 2.4.0), C# test child; medians of {rounds} alternating rounds ({roundCalls} sequential calls, {roundC4} calls at c=4)");
    await using var stdio = await StdioClient.StartAsync("dotnet", Paths.TestServerDll);
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Entry("t")), workDir);
    // For reference, the same relay on a 2025-11-25 session (initialize, Mcp-Session-Id), in its own process so its
    // CPU is its own.
    await using var gateway2025 = await GatewayProcess.StartAsync(http, Config(Entry("t")), workDir);
    // The spike as the bench's sdk section runs it (JIT, under dotnet) and, when built, as a NativeAOT binary.
    var spikes = new Dictionary<string, PeerProcess>();
    string[] SpikeArgs(int port) => ["--port", port.ToString(), "--mode", "stateless", "--", "dotnet", Paths.TestServerDll];
    try
    {
        spikes["SDK stateless"] = await PeerProcess.StartAsync(http, "dotnet", port => [Paths.SdkFrontDoorDll, .. SpikeArgs(port)]);
        if (File.Exists(Paths.SdkFrontDoorNative))
        {
            spikes["SDK stateless AOT"] = await PeerProcess.StartAsync(http, Paths.SdkFrontDoorNative, SpikeArgs);
        }
        var urls = new Dictionary<string, string> { ["MCProxy"] = gateway.BaseUrl };
        foreach (var (key, spike) in spikes) urls[key] = spike.BaseUrl;
        const string Reference = "MCProxy 2025 session";
        // CPU of each front door process (not its child) per call: read at every round boundary; each process is idle
        // while the others are measured, so its CPU over a round is what it spent on that round's calls. Median of rounds.
        TimeSpan Cpu(string name) => name == "MCProxy" ? gateway.CpuTime() : name == Reference ? gateway2025.CpuTime() : spikes[name].CpuTime();
        var names = urls.Keys.Append(Reference).ToList();
        var cpuReads = names.ToDictionary(k => k, _ => new List<TimeSpan>());
        var result = await AlternatingRounds.RunAsync(
            urls.Select(u => new DoorTarget(u.Key, "/mcp 2026-07-28", () => Task.FromResult<IDoorClient>(new Revision2026Client(u.Value)), "t__echo"))
                .Append(new DoorTarget(Reference, "/mcp 2025-11-25", () => Mcp(gateway2025.BaseUrl), "t__echo")).ToList(),
            DoorTarget.Stdio(stdio), rounds, roundCalls, warmup, roundC4, () => { foreach (var k in names) cpuReads[k].Add(Cpu(k)); });
        var perRound = AlternatingRounds.CallsPerRound(roundCalls, warmup, roundC4);
        var cpuPerCall = cpuReads.ToDictionary(r => r.Key,
            r => Measure.Median(r.Value.Zip(r.Value.Skip(1), (before, after) => (after - before).TotalMicroseconds / perRound)));
        Console.WriteLine($"direct stdio: p50 {result.DirectP50:F3} ms, p99 {result.DirectP99:F3} ms, c=4 {result.DirectC4:F0} calls/s");
        Console.WriteLine($"{"front door",-20} {"p50 ms",7} {"+p50 ms",8} {"p99 ms",7} {"+p99 ms",8} {"c=4 calls/s",12} {"% direct",9} {"CPU µs/call",12} {"RSS MiB",8} {"answer",18} {"unknown fields (tool, result)",38} {"cancel reaches child",21}");
        string Figures(DoorResult d, double rss) =>
            $"{d.Target.Gateway,-20} {d.P50,7:F3} {d.AddedP50,8:F3} {d.P99,7:F3} {d.AddedP99,8:F3} {d.C4Rate,12:F0} {d.C4Rate / result.DirectC4,9:P0} {cpuPerCall[d.Target.Gateway],12:F0} {rss,8:F1}";
        foreach (var door in result.Doors)
        {
            var name = door.Target.Gateway;
            if (name == Reference)
            {
                Console.WriteLine($"{Figures(door, gateway2025.RssMiB())} {"(2025 session; its fidelity and cancel: --only sdk)",-18}");
                continue;
            }
            // RSS after the load, before the probes.
            var rss = name == "MCProxy" ? gateway.RssMiB() : spikes[name].RssMiB();
            await using var probe = new Revision2026Client(urls[name]);
            var (listType, listed) = await probe.RawAsync("l", "tools/list", "{}");
            var (_, called) = await probe.RawAsync("c", "tools/call", """{"name":"t__rich","arguments":{"q":"x"}}""");
            var kept = Fidelity(listed, called);
            var complete = listed.Contains("\"resultType\":\"complete\"") && called.Contains("\"resultType\":\"complete\"");
            await probe.CallAndAbortAsync("""{"name":"t__slow","arguments":{"ms":3000}}""", 200);
            var heard = await HeardCancelAsync(gateway.BaseUrl, name == "MCProxy" ? null : spikes[name].Stderr);
            var answer = (listType.StartsWith("text/event-stream") ? "SSE" : listType.StartsWith("application/json") ? "JSON" : listType) + (complete ? ", complete" : ", NOT complete");
            Console.WriteLine($"{Figures(door, rss)} {answer,18} {kept,38} {(heard ? "yes" : "no"),21}");
        }
        var ours = result.Doors.Single(d => d.Target.Gateway == "MCProxy");
        foreach (var sdk in result.Doors.Where(d => d.Target.Gateway.StartsWith("SDK", StringComparison.Ordinal)))
        {
            Console.WriteLine($"MCProxy / {sdk.Target.Gateway}: added p50 {ours.AddedP50 / sdk.AddedP50:F2}, added p99 {ours.AddedP99 / sdk.AddedP99:F2}, c=4 {ours.C4Rate / sdk.C4Rate:F2}");
        }
    }
    finally
    {
        foreach (var spike in spikes.Values) await spike.DisposeAsync();
    }
}

// ---------------------------------------------------------------- throughput
var throughputRows = new List<(int C, double Direct, double Gateway)>();
var perLevel = quick ? 4000 : 20000;
if (Run("throughput"))
{
Console.WriteLine();
Console.WriteLine($"## throughput: tools/call echo on the C# test server, {perLevel} calls per level");
Console.WriteLine($"{"concurrency",-12} {"direct calls/s",15} {"gateway calls/s",16} {"gateway/direct",15} {"errors",7} {"gateway CPU µs/call",19}");
{
    await using var stdio = await StdioClient.StartAsync("dotnet", Paths.TestServerDll);
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Entry("t")), workDir);
    foreach (var c in new[] { 1, 4, 16, 64 })
    {
        var direct = await RunConcurrentAsync(c, perLevel, (_, m) => stdio.CallAsync("tools/call", EchoParams("echo", m)));
        var clients = Enumerable.Range(0, c).Select(_ => new PlainJsonClient(http, gateway.BaseUrl)).ToArray();
        var cpuBefore = gateway.CpuTime();
        var through = await RunConcurrentAsync(c, perLevel, (w, m) => clients[w].CallAsync("tools/call", EchoParams("t__echo", m)));
        var cpuPerCall = (gateway.CpuTime() - cpuBefore).TotalMicroseconds / perLevel;
        throughputRows.Add((c, direct.Rate, through.Rate));
        Console.WriteLine($"{c,-12} {direct.Rate,15:F0} {through.Rate,16:F0} {through.Rate / direct.Rate,15:P0} {direct.Errors + through.Errors,7} {cpuPerCall,19:F0}");
    }
}

}

// ---------------------------------------------------------------- metrics: counting and scraping against --no-metrics
double? metricsCost = null;
if (Run("metrics"))
{
    metricsCost = await MetricsBench.RunAsync(http, Config(Entry("t")), workDir, quick);
}

// ---------------------------------------------------------------- memory
var memoryRows = new List<(int N, double Idle, double[] After)>();
var loadCalls = quick ? 10_000 : 100_000;
if (Run("memory"))
{
Console.WriteLine();
Console.WriteLine($"## gateway RSS (MiB, gateway process only): idle after start, then after each of 3 loads of {loadCalls} calls (c=16)");
Console.WriteLine($"{"children",-9} {"idle",7} {"load 1",7} {"load 2",7} {"load 3",7}");
foreach (var n in new[] { 1, 3, 10 })
{
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Enumerable.Range(0, n).Select(i => Entry($"s{i}")).ToArray()), workDir);
    await Task.Delay(2000);
    var idle = gateway.RssMiB();
    var after = new double[3];
    var clients = Enumerable.Range(0, 16).Select(_ => new PlainJsonClient(http, gateway.BaseUrl)).ToArray();
    for (var round = 0; round < 3; round++)
    {
        var result = await RunConcurrentAsync(16, n == 10 || !quick ? loadCalls : loadCalls / 2,
            (w, m) => clients[w].CallAsync("tools/call", EchoParams($"s{w % n}__echo", m)));
        Measure.AddFailures(result.Errors);
        await Task.Delay(1000);
        after[round] = gateway.RssMiB();
    }
    memoryRows.Add((n, idle, after));
    var (anon, file, threads) = gateway.RssBreakdown();
    Console.WriteLine($"{n,-9} {idle,7:F1} {after[0],7:F1} {after[1],7:F1} {after[2],7:F1}   after: {anon:F1} anonymous + {file:F1} file-backed, {threads} threads");
}

}

// ---------------------------------------------------------------- start-up
var starts = new List<double>();
if (Run("startup"))
{
Console.WriteLine();
for (var i = 0; i < 5; i++)
{
    await using var gateway = await GatewayProcess.StartAsync(http, Config(), workDir);
    starts.Add(gateway.StartToReadyMs);
}
starts.Sort();
Console.WriteLine($"## start-up, 0 children: process start → /health ready: median {starts[2]:F0} ms (min {starts[0]:F0}, max {starts[^1]:F0}; includes the dotnet host start)");
}

// ---------------------------------------------------------------- reload and recovery
var reloadRows = new List<(string Child, double Total, double Child_, double Overhead)>();
if (Run("reload"))
{
Console.WriteLine();
Console.WriteLine("## reload: config saved → the new server's tools listed (ms), minus the child's own start (spawn + initialize + tools/list)");
Console.WriteLine($"{"child, save style",-38} {"total",8} {"child start",12} {"gateway overhead",17}");
foreach (var (label, _, _, direct) in children)
{
    var entryFor = label.StartsWith("testserver") ? (Func<string, string>)(n => Entry(n)) : EverythingEntry;
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Entry("base")), workDir);
    var plain = new PlainJsonClient(http, gateway.BaseUrl);
    foreach (var atomic in new[] { true, false })
    {
        var totals = new List<double>();
        var childStarts = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            await using (var c = await StdioClient.StartAsync(direct[0], direct[1..]))
            {
                await c.CallAsync("tools/list", "{}");
                childStarts.Add(sw.Elapsed.TotalMilliseconds);
            }
            var name = $"added{i}";
            var saved = Stopwatch.StartNew();
            await SaveAsync(gateway.ConfigPath, Config(Entry("base"), entryFor(name)), atomic);
            while (true)
            {
                var list = await plain.CallAsync("tools/list", "{}");
                if (list.GetProperty("result").GetProperty("tools").EnumerateArray().Any(t => t.GetProperty("name").GetString() == $"{name}__echo")) break;
                if (saved.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("new server never listed");
                await Task.Delay(1);
            }
            totals.Add(saved.Elapsed.TotalMilliseconds);
            await SaveAsync(gateway.ConfigPath, Config(Entry("base")), atomic);
            await Task.Delay(1500);
        }
        totals.Sort();
        childStarts.Sort();
        var row = ($"{label}, {(atomic ? "rename-save" : "in-place")}", totals[2], childStarts[2], totals[2] - childStarts[2]);
        reloadRows.Add(row);
        Console.WriteLine($"{row.Item1,-38} {row.Item2,8:F0} {row.Item3,12:F0} {row.Item4,17:F0}   (medians of 5)");
    }
}

static async Task SaveAsync(string path, string text, bool atomic)
{
    if (!atomic)
    {
        await File.WriteAllTextAsync(path, text);
        return;
    }
    var temp = path + ".tmp";
    await File.WriteAllTextAsync(temp, text);
    File.Move(temp, path, overwrite: true);
}

{
    await using var gateway = await GatewayProcess.StartAsync(http, Config(Entry("a"), Entry("b")), workDir);
    var before = await HealthPidsAsync(gateway);
    await using var sse = await LegacySseClient.ConnectAsync(http, gateway.BaseUrl);
    var notifications = 0;
    using (var stream = await http.GetAsync(gateway.BaseUrl + "/sse", HttpCompletionOption.ResponseHeadersRead))
    {
        var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var counting = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync() is { } line)
                    if (line.Contains("list_changed")) Interlocked.Increment(ref notifications);
            }
            catch (Exception) { }
        });
        var text = await File.ReadAllTextAsync(gateway.ConfigPath);
        await File.WriteAllTextAsync(gateway.ConfigPath, text.Replace(",", ",\n   ") + "\n");
        await Task.Delay(2500);
        var after = await HealthPidsAsync(gateway);
        var restarts = before.Zip(after).Count(p => p.First != p.Second);
        Console.WriteLine($"## no-op save (whitespace only): {restarts} restarts, {notifications} list_changed notifications");
    }

    var victim = before[0];
    var killed = Stopwatch.StartNew();
    Process.Start("kill", ["-KILL", victim.ToString()])!.WaitForExit();
    var client = new PlainJsonClient(http, gateway.BaseUrl);
    while (true)
    {
        var reply = await client.CallAsync("tools/call", EchoParams("a__echo", "recovered"));
        if (reply.TryGetProperty("result", out var r) && !(r.TryGetProperty("isError", out var e) && e.GetBoolean())) break;
        if (killed.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("never recovered");
        await Task.Delay(5);
    }
    Console.WriteLine($"## recovery: child SIGKILL → its tools answer again: {killed.Elapsed.TotalMilliseconds:F0} ms (includes the 1 s restart backoff)");
}
}

async Task<int[]> HealthPidsAsync(GatewayProcess gateway)
{
    using var doc = JsonDocument.Parse(await http.GetStringAsync(gateway.BaseUrl + "/health"));
    return doc.RootElement.GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("pid").GetInt32()).ToArray();
}

// ---------------------------------------------------------------- progressive disclosure
// 300+ tools from the real npm servers × 8 instances: tools/list full against discover, search quality and cost.
DisclosureFigures? disclosure = null;
if (Run("disclosure"))
{
    disclosure = await DisclosureBench.RunAsync(http, workDir, quick);
}

// ---------------------------------------------------------------- summary
Console.WriteLine();
if (only is not null)
{
    Console.WriteLine($"errors {Measure.Failures}; took {total.Elapsed.TotalSeconds:F0} s");
    return Measure.Failures == 0 ? 0 : 1;
}
var plainRow = latencyRows.First(r => r.Door.StartsWith("POST"));
var mcpRow = latencyRows.First(r => r.Door.StartsWith("Streamable"));
var c4 = throughputRows.First(r => r.C == 4);
var mem10 = memoryRows.First(r => r.N == 10);
Console.WriteLine(
    $"summary: +p50 plain {plainRow.Stats.P50 - plainRow.Direct.P50:F3} ms, /mcp {mcpRow.Stats.P50 - mcpRow.Direct.P50:F3} ms, " +
    $"ratio {plainRow.Stats.P50 / plainRow.Direct.P50:F2}; c=4 throughput {c4.Gateway / c4.Direct:P0} of direct; " +
    $"RSS idle {memoryRows[0].Idle:F0} MiB, 10 children after load {mem10.After.Max():F0} MiB; start {starts[2]:F0} ms; " +
    $"reload overhead {reloadRows[0].Overhead:F0} ms (rename-save), {reloadRows[1].Overhead:F0} ms (in-place); " +
    string.Concat(remoteRows.Select(r => $"remote \"{r.Type}\" +p50 {r.Doors[0].AddedP50:F3} ms, c=4 {r.Doors[0].C4Rate / r.DirectC4:P0} of direct; ")) +
    (metricsCost is { } mc ? $"metrics cost {mc:P1} of c=16 throughput; " : "") +
    (disclosure is { } df ? $"disclosure: {df.Tools} tools, tools/list {df.FullBytes / 4} → {df.DiscoverBytes / 4} est. tokens, recall@5 {df.Recall5:F2}, MRR {df.Mrr:F2}, search cost p50 {df.SearchCostP50:F3} ms; " : "") +
    $"errors {Measure.Failures}; took {total.Elapsed.TotalSeconds:F0} s");
return Measure.Failures == 0 ? 0 : 1;
