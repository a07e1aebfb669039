using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace MCProxy.FunctionalTests.Telemetry;

/// <summary>GET /metrics of a real gateway with a real child: what calls, refusals, restarts and reloads count.</summary>
public sealed class MetricsTests(ITestOutputHelper output)
{
    private const string Token = "metrics-token-0123456789abcdef";

    private static string Config(params JsonObject[] servers) =>
        "{\"servers\": " + new JsonArray(servers.Select(s => (JsonNode)s).ToArray()).ToJsonString() + ", \"auth\": {\"tokens\": [" +
        "{\"name\": \"ops\", \"token\": \"" + Token + "\", \"allow\": [\"*\"], \"deny\": [\"t__pid\", \"nope__*\"]}]}}";

    [Fact]
    public async Task Metrics_CountCallsByOutcome_AndParseAsPrometheusText()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("t", 2, "--meta")));
        await CallAsync(gateway, "t__echo", """{"message":"one"}""");
        await CallAsync(gateway, "t__echo", """{"message":"two"}""");
        await CallAsync(gateway, "t__fail", "{}");                    // an isError result
        await CallAsync(gateway, "t__slow", """{"ms":8000}""");      // past the 2 s timeout (2 s, not less: a child's start must fit its handshake under load)
        await CallAsync(gateway, "t__pid", "{}");                     // denied by policy
        await CallAsync(gateway, "nope__anything", "{}");             // denied, and no such tool
        await CallAsync(gateway, "mcproxy__status", "{}");            // the gateway's own tool
        var (status, _, _) = await gateway.PostAsync("/sse", """{"jsonrpc":"2.0","id":1,"method":"ping"}""");
        Assert.Equal(401, status);

        var text = await ScrapeAsync(gateway);
        var series = Parse(text);
        Assert.Equal(2, series["mcproxy_tool_calls_total{server=\"t\",tool=\"t__echo\",outcome=\"ok\"}"]);
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"t\",tool=\"t__fail\",outcome=\"error\"}"]);
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"t\",tool=\"t__slow\",outcome=\"timeout\"}"]);
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"t\",tool=\"t__pid\",outcome=\"denied\"}"]);
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"\",tool=\"(unknown)\",outcome=\"denied\"}"]);
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"mcproxy\",tool=\"mcproxy__status\",outcome=\"ok\"}"]);
        Assert.DoesNotContain(series.Keys, k => k.Contains("nope__"));
        // Durations of the calls the server was asked: two echoes, the isError one and the timeout.
        Assert.Equal(4, series["mcproxy_call_duration_seconds_count{server=\"t\"}"]);
        Assert.Equal(4, series["mcproxy_call_duration_seconds_bucket{server=\"t\",le=\"+Inf\"}"]);
        Assert.True(series["mcproxy_call_duration_seconds_sum{server=\"t\"}"] >= 2, "the timed-out call took at least its 2 s");
        // Buckets are cumulative (a timed-out call can land on either side of its 2 s bound, so no exact count here).
        var buckets = series.Where(kv => kv.Key.StartsWith("mcproxy_call_duration_seconds_bucket{server=\"t\"", StringComparison.Ordinal))
            .Select(kv => (Le: kv.Key.Contains("+Inf") ? double.PositiveInfinity : double.Parse(kv.Key.Split("le=\"")[1].TrimEnd('"', '}'), System.Globalization.CultureInfo.InvariantCulture), Count: kv.Value))
            .OrderBy(b => b.Le).ToList();
        Assert.True(buckets.Count > 2 && buckets.Zip(buckets.Skip(1)).All(p => p.First.Count <= p.Second.Count), string.Join(", ", buckets));
        Assert.True(series["mcproxy_received_bytes_total{server=\"t\"}"] > 0);
        Assert.True(series["mcproxy_sent_bytes_total{server=\"t\"}"] > 0);
        Assert.Equal(1, series["mcproxy_requests_unauthenticated_total"]);
        Assert.Equal(1, series["mcproxy_server_up{server=\"t\"}"]);
        Assert.Equal(0, series["mcproxy_child_restarts_total{server=\"t\"}"]);
        Assert.Equal(11, series["mcproxy_server_tools{server=\"t\"}"]);
        Assert.True(series["mcproxy_child_resident_memory_bytes{server=\"t\"}"] > 1_000_000);
        Assert.True(series["mcproxy_child_cpu_seconds_total{server=\"t\"}"] > 0);
        Assert.Equal(1, series["mcproxy_child_processes{server=\"t\"}"]);
        Assert.Equal(1, series["mcproxy_config_valid"]);
        Assert.Equal(0, series["mcproxy_sessions{door=\"streamable-http\"}"]);
        Assert.Equal(0, series["mcproxy_sessions{door=\"streamable-http-listen\"}"]);
        Assert.Equal(1, series["mcproxy_build_info{version=\"" + MCProxy.Protocol.McpProtocol.Version + "\"}"]);
        await CheckWithPromtoolAsync(text);
    }

    [Fact]
    public async Task Metrics_AreBehindTheDoor_HostGuardAndToken()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("t")));
        using (var anonymous = await gateway.Http.GetAsync("/metrics"))
        {
            Assert.Equal(401, (int)anonymous.StatusCode);
        }
        using var rebinding = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        rebinding.Headers.Host = "evil.example";
        rebinding.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using (var refused = await gateway.Http.SendAsync(rebinding))
        {
            Assert.Equal(403, (int)refused.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await gateway.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Metrics_CountRestartsReloadsAndSessions_AndDropServersThatWereRemoved()
    {
        await using var gateway = await GatewayFixture.StartAsync(Config(TestServers.Entry("t", "--meta")));
        await CallAsync(gateway, "t__crash", "{}");
        await gateway.WaitUntilAsync(() => gateway.Status("t").Restarts == 1 && gateway.Status("t").State == MCProxy.Supervision.ServerState.Ready,
            "t restarted");
        var rejected = await gateway.WriteConfigAsync("{ not json");
        Assert.False(rejected.Applied);
        var series = Parse(await ScrapeAsync(gateway));
        Assert.Equal(1, series["mcproxy_child_restarts_total{server=\"t\"}"]);
        Assert.Equal(0, series["mcproxy_config_valid"]);
        Assert.Equal(1, series["mcproxy_config_reloads_total{result=\"rejected\"}"]);
        Assert.False(series.ContainsKey("mcproxy_config_reload_duration_seconds_count"));

        var applied = await gateway.WriteConfigAsync(Config(TestServers.Entry("u")));
        Assert.True(applied.Applied);
        await gateway.WaitUntilAsync(() => gateway.Status("u").State == MCProxy.Supervision.ServerState.Ready, "u ready");
        var (initialized, _, _) = await gateway.PostAsync("/mcp",
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""",
            accept: "application/json, text/event-stream", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token });
        Assert.Equal(200, initialized);
        series = Parse(await ScrapeAsync(gateway));
        Assert.Equal(1, series["mcproxy_config_valid"]);
        Assert.Equal(1, series["mcproxy_config_reloads_total{result=\"applied\"}"]);
        Assert.Equal(1, series["mcproxy_config_reload_duration_seconds_count"]);
        Assert.Equal(1, series["mcproxy_server_up{server=\"u\"}"]);
        Assert.False(series.ContainsKey("mcproxy_server_up{server=\"t\"}"), "a removed server keeps no series");
        Assert.False(series.ContainsKey("mcproxy_child_resident_memory_bytes{server=\"t\"}"));
        Assert.Equal(1, series["mcproxy_sessions{door=\"streamable-http\"}"]);
        // Counted calls of a removed server stay: counters only grow.
        Assert.Equal(1, series["mcproxy_tool_calls_total{server=\"t\",tool=\"t__crash\",outcome=\"error\"}"]);
    }

    [Fact]
    public async Task NoMetrics_NoEndpoint_AndNothingListens()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("t")), options: o => o with { Metrics = false });
        await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "t__echo", ["arguments"] = new JsonObject { ["message"] = "x" } });
        using var response = await gateway.Http.GetAsync("/metrics");
        Assert.Equal(404, (int)response.StatusCode);
        Assert.Null(gateway.Services.GetService(typeof(MCProxy.Telemetry.GatewayMetrics)));
    }

    private static async Task CallAsync(GatewayFixture gateway, string tool, string arguments)
    {
        var body = $$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{{{tool}}}","arguments":{{{arguments}}}}}""";
        var (status, _, text) = await gateway.PostAsync("/sse", body, headers: new Dictionary<string, string> { ["Authorization"] = "Bearer " + Token });
        Assert.True(status == 200, $"{tool}: HTTP {status} {text}");
    }

    private static async Task<string> ScrapeAsync(GatewayFixture gateway)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await gateway.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Series line → value (the series text exactly as printed: name and labels in their order).</summary>
    internal static Dictionary<string, double> Parse(string text) => text.Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line => (Series: line[..line.LastIndexOf(' ')], Value: line[(line.LastIndexOf(' ') + 1)..]))
        .ToDictionary(s => s.Series, s => s.Value == "+Inf" ? double.PositiveInfinity : double.Parse(s.Value, CultureInfo.InvariantCulture));

    /// <summary>
    /// Prometheus's own parser and linter (promtool from Debian's prometheus package, which .ci/run installs) must
    /// accept the text. Without promtool only this step is skipped, and only outside CI.
    /// </summary>
    private async Task CheckWithPromtoolAsync(string text)
    {
        var promtool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "promtool")).FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, "promtool is missing on CI: .ci/run installs Debian's prometheus package");
            output.WriteLine("SKIPPED the promtool step: no promtool on PATH (apt-get install prometheus); the series were checked above");
            return;
        }
        var info = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(process.ExitCode == 0, $"promtool check metrics failed ({process.ExitCode}):\n{await stdout}{await stderr}\n--- text ---\n{text}");
        output.WriteLine($"promtool check metrics: ok ({Encoding.UTF8.GetByteCount(text)} bytes)");
    }
}
