using System.Diagnostics;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Supervision;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace MCProxy.FunctionalTests.Upstreams;

/// <summary>
/// Remote servers behind the gateway, against the C# SDK's own server (<see cref="RemoteUpstream"/>): both
/// transports and the fallback, credentials (bearer from a secret file, basic, OAuth2 with refresh), a private
/// CA, a chain of two gateways, and an upstream restarted in the middle of 1,000 calls.
/// </summary>
public sealed class RemoteUpstreamTests
{
    private static JsonObject Remote(string name, string url, string? type = null, JsonObject? auth = null, double? timeout = null)
    {
        var entry = new JsonObject { ["name"] = name, ["url"] = url };
        if (type is not null) entry["type"] = type;
        if (auth is not null) entry["auth"] = auth;
        if (timeout is not null) entry["timeout"] = timeout;
        return entry;
    }

    private static string Config(params JsonObject[] entries) => TestServers.Config(entries);

    private static JsonObject Echo(string tool, string message) =>
        new() { ["name"] = tool, ["arguments"] = new JsonObject { ["message"] = message } };

    private static async Task<JsonObject> ServerHealthAsync(GatewayFixture gateway, string name) =>
        (await gateway.HealthAsync())["servers"]!.AsArray().Single(s => (string)s!["name"]! == name)!.AsObject();

    [Fact]
    public async Task StreamableHttp_AndLegacySse_Upstreams_ListAndCall_ThroughBothFrontDoors_AndABareUrlFallsBackToSse()
    {
        await using var upstream = await RemoteUpstream.StartAsync();
        await using var gateway = await GatewayFixture.StartAsync(Config(
            Remote("h", upstream.McpUrl, "http"), Remote("s", upstream.SseUrl, "sse"), Remote("f", upstream.SseUrl)));
        foreach (var (name, transport) in new[] { ("h", "streamable-http"), ("s", "sse"), ("f", "sse") })
        {
            var health = await ServerHealthAsync(gateway, name);
            Assert.Equal("ready", (string)health["state"]!);
            Assert.Equal(transport, (string)health["transport"]!);
            Assert.Equal(upstream.McpUrl.Replace("/mcp", name == "h" ? "/mcp" : "/mcp/sse"), (string)health["url"]!);
        }
        foreach (var connect in new Func<Task<McpClient>>[] { () => gateway.ConnectStreamableAsync(), () => gateway.ConnectSseAsync() })
        {
            await using var client = await connect();
            var tools = (await client.ListToolsAsync()).Select(t => t.Name).ToHashSet();
            Assert.Superset(new HashSet<string> { "h__echo", "s__echo", "f__echo", "h__slow" }, tools);
            foreach (var server in new[] { "h", "s", "f" })
            {
                var result = await client.CallToolAsync($"{server}__echo", new Dictionary<string, object?> { ["message"] = $"via {server}" });
                Assert.Equal($"via {server}", ((TextContentBlock)result.Content[0]).Text);
            }
        }
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("[f] Streamable HTTP refused with HTTP"));
    }

    [Fact]
    public async Task EditingAHeader_ReconnectsOnlyThatServer_AndSecretsNeverReachTheDiffLog()
    {
        await using var upstream = await RemoteUpstream.StartAsync();
        JsonObject WithHeader(string name, string value) =>
            new() { ["name"] = name, ["url"] = upstream.McpUrl, ["headers"] = new JsonObject { ["X-Api-Key"] = value } };
        await using var gateway = await GatewayFixture.StartAsync(Config(WithHeader("one", "key-one-0123456789abcdef"), WithHeader("two", "key-two-0123456789abcdef")));
        var two = gateway.Servers.TryGet("two", out var before) ? before.Supervisor : null;
        var outcome = await gateway.WriteConfigAsync(Config(WithHeader("one", "key-one-rotated-0123456789"), WithHeader("two", "key-two-0123456789abcdef")));
        Assert.Equal(["one"], outcome.Plan!.Restart.Select(d => d.Name));
        Assert.Equal(["two"], outcome.Plan.Unchanged);
        Assert.Same(two, gateway.Servers.TryGet("two", out var after) ? after.Supervisor : null);
        await gateway.WaitUntilAsync(() => gateway.Status("one").State == ServerState.Ready, "one to reconnect");
        Assert.Equal("still here", (string)(await gateway.RpcAsync("tools/call", Echo("one__echo", "still here")))["result"]!["content"]![0]!["text"]!);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains("key-one") || l.Contains("key-two"));
    }

    [Fact]
    public async Task Bearer_FromASecretFile_AndBasic_Connect_WhileRefusedCredentials_FailWithTheStatus_AndNoSecretShows()
    {
        const string token = "remote-bearer-token-0123456789abcdef";
        const string password = "remote-basic-password-0123456789";
        await using var bearer = await RemoteUpstream.StartAsync(new UpstreamAuth.Bearer(token));
        await using var basic = await RemoteUpstream.StartAsync(new UpstreamAuth.Basic("svc", password));
        var secretFile = Path.Combine(Directory.CreateTempSubdirectory("mcproxy-secret-").FullName, "github_token");
        await File.WriteAllTextAsync(secretFile, token + "\n"); // as `podman secret create` leaves it: one trailing newline
        Evidence.Secret(token);
        Evidence.Secret(password);
        await using var gateway = await GatewayFixture.StartAsync(Config(
            Remote("b", bearer.McpUrl, auth: new JsonObject { ["type"] = "bearer", ["token"] = $"${{file:{secretFile}}}" }),
            Remote("p", basic.McpUrl, auth: new JsonObject { ["type"] = "basic", ["username"] = "svc", ["password"] = password }),
            Remote("wrong", bearer.McpUrl, auth: new JsonObject { ["type"] = "bearer", ["token"] = "not-the-token-0123456789abcdef" })));
        Assert.Equal("via b", (string)(await gateway.RpcAsync("tools/call", Echo("b__echo", "via b")))["result"]!["content"]![0]!["text"]!);
        var viaBasic = await gateway.RpcAsync("tools/call", Echo("p__echo", "via p"));
        Assert.True(viaBasic["result"] is not null, viaBasic.ToJsonString() + (await gateway.Http.GetStringAsync("/health")));
        Assert.Equal("via p", (string)viaBasic["result"]!["content"]![0]!["text"]!);

        // The refused credential goes through the 1/2/4 s ladder (shortened here) to failed, with its status.
        await gateway.WaitUntilAsync(() => gateway.Status("wrong").State == ServerState.Failed, "the refused server to fail");
        var wrong = await ServerHealthAsync(gateway, "wrong");
        Assert.Equal(401, (int)wrong["lastHttpStatus"]!);
        Assert.Contains("HTTP 401", (string)wrong["lastError"]!);
        Assert.Equal(3, (int)wrong["restarts"]!);
        var everything = (await gateway.Http.GetStringAsync("/health")) + string.Join("\n", gateway.Logs.Lines);
        foreach (var secret in new[] { token, password, "not-the-token-0123456789abcdef" })
        {
            Assert.DoesNotContain(secret, everything);
        }
    }

    [Fact]
    public async Task OAuth2_ClientCredentials_RefreshesBeforeExpiry_WithoutAFailedCall_AndOnceAfterA401()
    {
        const string secret = "oauth-client-secret-0123456789abcdef";
        var lifetime = TimeSpan.FromSeconds(2);
        await using var upstream = await RemoteUpstream.StartAsync(new UpstreamAuth.OAuth2("mcproxy", secret, lifetime));
        await using var gateway = await GatewayFixture.StartAsync(Config(Remote("o", upstream.McpUrl, auth: new JsonObject
        {
            ["type"] = "oauth2", ["tokenUrl"] = $"http://localhost:{upstream.Port}/token", ["clientId"] = "mcproxy",
            ["clientSecret"] = secret, ["scopes"] = new JsonArray("mcp:tools"),
        })));
        // Calls run on while tokens expire: each is refreshed with 10 % of its life left, so none is refused.
        var calls = 0;
        var deadline = Stopwatch.StartNew();
        while (upstream.TokensIssued < 3)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"only {upstream.TokensIssued} tokens in 30 s");
            var answer = await gateway.RpcAsync("tools/call", Echo("o__echo", $"call {calls}"));
            Assert.Equal($"call {calls}", (string)answer["result"]!["content"]![0]!["text"]!);
            Assert.Null(answer["result"]!["isError"]);
            calls++;
        }
        Assert.True(upstream.TokensIssued - upstream.Unauthorized >= 2, $"{upstream.TokensIssued} tokens, {upstream.Unauthorized} refusals: refreshes were not ahead of expiry");

        // A revoked token: one 401, one fresh token, the call still succeeds.
        var refusedBefore = upstream.Unauthorized;
        var issuedBefore = upstream.TokensIssued;
        upstream.RevokeTokens();
        var after = await gateway.RpcAsync("tools/call", Echo("o__echo", "after revocation"));
        Assert.Equal("after revocation", (string)after["result"]!["content"]![0]!["text"]!);
        Assert.Equal(refusedBefore + 1, upstream.Unauthorized);
        Assert.Equal(issuedBefore + 1, upstream.TokensIssued);
        Assert.Equal(ServerState.Ready, gateway.Status("o").State);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(secret));
    }

    [Fact]
    public async Task Tls_WithAPrivateCa_ConnectsOverHttp2_AndWithoutTheCa_FailsWithTheTlsError()
    {
        using var pki = TestPki.Create();
        await using var upstream = await RemoteUpstream.StartAsync(certificate: pki.Leaf);
        await using var gateway = await GatewayFixture.StartAsync(Config(
            new JsonObject { ["name"] = "t", ["url"] = upstream.McpUrl, ["caFile"] = pki.CaFile },
            Remote("untrusted", upstream.McpUrl)));
        Assert.Equal("over tls", (string)(await gateway.RpcAsync("tools/call", Echo("t__echo", "over tls")))["result"]!["content"]![0]!["text"]!);
        Assert.Contains("HTTP/2", upstream.Protocols);
        await gateway.WaitUntilAsync(() => gateway.Status("untrusted").State == ServerState.Failed, "the untrusted server to fail");
        var untrusted = await ServerHealthAsync(gateway, "untrusted");
        Assert.Contains("TLS", (string)untrusted["lastError"]!);
        Assert.Contains("caFile", (string)untrusted["lastError"]!);
    }

    [Theory]
    [InlineData("streamable")]
    [InlineData("sse")]
    public async Task AChainOfTwoGateways_RelaysCalls_AndTheInnerChildsSamplingReachesTheOuterClient(string transport)
    {
        await using var inner = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        await using var outer = await GatewayFixture.StartAsync(Config(
            Remote("up", inner.BaseUrl + (transport == "sse" ? "/sse" : "/mcp"), transport == "sse" ? "sse" : "http")));
        await using var client = await outer.ConnectStreamableAsync(o => o.Handlers = new McpClientHandlers
        {
            SamplingHandler = (_, _, _) => ValueTask.FromResult(new CreateMessageResult
            {
                Content = [new TextContentBlock { Text = "sampled at the edge" }], Model = "edge-model", Role = Role.Assistant,
            }),
        });
        var echoed = await client.CallToolAsync("up__a__echo", new Dictionary<string, object?> { ["message"] = "two hops" });
        Assert.Equal("two hops", ((TextContentBlock)echoed.Content[0]).Text);
        var sampled = await client.CallToolAsync("up__a__ask", new Dictionary<string, object?> { ["what"] = "sampling" });
        Assert.Contains("sampled at the edge", ((TextContentBlock)sampled.Content[0]).Text);
        // The outer gateway's own record of progress it put on this client's stream: the C# SDK client may drop a
        // progress notification it handles after the call's answer (its handlers run concurrently), so the wire is
        // what this test can hold the gateway to.
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        outer.Services.GetRequiredService<MCProxy.Gateway.ProgressRouter>().Delivered += (_, sent) => { if (sent) delivered.TrySetResult(); };
        var reported = await client.CallToolAsync("up__a__progress", new Dictionary<string, object?>(), new SyncProgress(new TaskCompletionSource()));
        Assert.Equal("progressed", ((TextContentBlock)reported.Content[0]).Text); // the token reached the inner child
        await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10)); // and its progress crossed both gateways to the client's stream
    }

    /// <summary>Reports on the sender's thread (Progress&lt;T&gt; would post to the test's context).</summary>
    private sealed class SyncProgress(TaskCompletionSource seen) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => seen.TrySetResult();
    }

    [Fact]
    public async Task UpstreamRestarted_During1000SequentialCalls_NoCallHangsOrRunsTwice_AndCallsAfterItSucceed()
    {
        await using var upstream = await RemoteUpstream.StartAsync();
        await using var gateway = await GatewayFixture.StartAsync(Config(Remote("h", upstream.McpUrl, timeout: 5)), supervisor: new SupervisorOptions());
        var outcomes = new string[1000];
        for (var i = 0; i < 1000; i++)
        {
            if (i == 200)
            {
                // A quick restart: the gateway's session is unknown to the new process (404): a new session, the call once more.
                await upstream.StopAsync();
                await upstream.RestartAsync();
            }
            if (i == 500)
            {
                await upstream.StopAsync(); // an outage: calls 500–599 find it down
            }
            if (i == 600)
            {
                await upstream.RestartAsync();
                await gateway.WaitUntilAsync(() => gateway.Status("h").State == ServerState.Ready && gateway.Status("h").Restarts > 0,
                    "the gateway to reconnect", seconds: 30);
            }
            var watch = Stopwatch.StartNew();
            var answer = await gateway.RpcAsync("tools/call", Echo("h__echo", $"m{i}"));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"call {i} took {watch.Elapsed}");
            var result = answer["result"]!;
            outcomes[i] = result["isError"] is { } e && (bool)e ? "error: " + (string)result["content"]![0]!["text"]! : (string)result["content"]![0]!["text"]!;
        }
        for (var i = 0; i < 1000; i++)
        {
            var message = $"m{i}";
            var ran = upstream.Executions.GetValueOrDefault(message);
            Assert.True(ran <= 1, $"call {i} ran {ran} times");
            if (i is < 500 or >= 600)
            {
                Assert.Equal(message, outcomes[i]); // before the outage (across the quick restart) and after it: all succeed
                Assert.Equal(1, ran);
            }
            else
            {
                Assert.StartsWith("error: ", outcomes[i]); // during it: a clear error, fast
                Assert.Equal(0, ran);
            }
        }
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("[h] the upstream lost its session: started a new one"));
    }

    [Fact]
    public async Task A2026OnlyRemoteServer_IsDrivenPerRequest_ForClientsOfBothEras()
    {
        await using var upstream = await RemoteUpstream.Start2026Async();
        await using var gateway = await GatewayFixture.StartAsync(Config(Remote("modern", upstream.McpUrl)));
        var status = gateway.Status("modern");
        Assert.Equal(ServerState.Ready, status.State);
        Assert.Equal("2026-07-28", status.Info?.ProtocolVersion);
        Assert.Equal("streamable-http", status.Transport);
        await using var client = await gateway.ConnectStreamableAsync(); // a 2025 session
        var result = await client.CallToolAsync("modern__echo", new Dictionary<string, object?> { ["message"] = "per request" });
        Assert.Equal("per request", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        await using var modern = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(gateway.BaseUrl + "/mcp"), TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = null });
        Assert.Equal("2026-07-28", modern.NegotiatedProtocolVersion);
        result = await modern.CallToolAsync("modern__echo", new Dictionary<string, object?> { ["message"] = "both ways" });
        Assert.Equal("both ways", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal(1, upstream.Executions["both ways"]);
    }
}
