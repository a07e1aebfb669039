using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using MCProxy.Admin;
using MCProxy.FunctionalTests.Infrastructure;

namespace MCProxy.FunctionalTests.Health;

/// <summary>
/// The live status page as a browser sees it: <c>GET /</c> is one self-contained HTML page, <c>GET /status/events</c>
/// streams the page's JSON state (servers, memory, recent calls) and follows a config edit; behind auth the stream
/// needs the bearer header (never a <c>?token=</c>), and the number of open streams is bounded.
/// </summary>
public sealed class StatusPageTests
{
    private const string Token = "page-admin-token-0123456789ab";

    [Fact]
    public async Task Root_Get_ServesOneSelfContainedHtmlPage()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));

        using var response = await gateway.Http.GetAsync("/");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("script-src 'sha256-", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("status/events", html);
        Assert.DoesNotContain("<script src", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public async Task Root_WithAForeignHost_IsRefusedLikeEveryDoor()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Host = "evil.example";

        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(403, (int)response.StatusCode);
    }

    [Fact]
    public async Task StatusEvents_Get_StreamsTheStateWithServersMemoryAndRecentCalls()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a"), TestServers.Entry("b")));
        await using var stream = await StateStream.OpenAsync(gateway, token: null);
        Assert.Equal("text/event-stream", stream.ContentType);

        var first = await stream.NextAsync(_ => true);
        Assert.Equal(["a", "b"], first["servers"]!.AsArray().Select(s => (string)s!["name"]!));
        Assert.All(first["servers"]!.AsArray(), s => Assert.Equal("ready", (string)s!["state"]!));
        Assert.True((bool)first["details"]!);
        Assert.True((long)first["live"]!["a"]!["rssBytes"]! > 1024 * 1024, first.ToJsonString());

        for (var i = 0; i < 3; i++)
        {
            await gateway.RpcAsync("tools/call", new JsonObject { ["name"] = "a__echo", ["arguments"] = new JsonObject { ["message"] = "hi" } });
        }
        var busy = await stream.NextAsync(s => (double)s["live"]!["a"]!["callsPerSecond"]! >= 0.3);
        Assert.Equal(0.3, (double)busy["live"]!["a"]!["callsPerSecond"]!);
        Assert.NotNull(busy["live"]!["a"]!["p50Ms"]);
        Assert.Equal(0, (double)busy["live"]!["b"]!["callsPerSecond"]!);
        Assert.Null(busy["live"]!["b"]!["p50Ms"]);
    }

    [Fact]
    public async Task StatusEvents_ServerAddedToTheFile_ArrivesOnTheOpenStream()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        await using var stream = await StateStream.OpenAsync(gateway, token: null);
        await stream.NextAsync(_ => true);

        await gateway.WriteConfigAsync(TestServers.Config(TestServers.Entry("a"), TestServers.Entry("added")));

        var state = await stream.NextAsync(s => s["servers"]!.AsArray().Any(e => (string)e!["name"]! == "added" && (string)e["state"]! == "ready"));
        Assert.Equal(["a", "added"], state["servers"]!.AsArray().Select(s => (string)s!["name"]!));
    }

    [Fact]
    public async Task StatusEvents_WithAuth_NeedsTheBearerHeader_NeverAQueryToken()
    {
        var config = "{\"servers\": [" + TestServers.Entry("a").ToJsonString() +
                     "], \"auth\": {\"tokens\": [{\"name\": \"admin\", \"token\": \"" + Token + "\", \"allow\": [\"*\"]}]}}";
        await using var gateway = await GatewayFixture.StartAsync(config);

        // The page is a shell without state: it loads without a token and asks for one.
        using var page = await gateway.Http.GetAsync("/");
        Assert.Equal(200, (int)page.StatusCode);
        using var bare = await gateway.Http.GetAsync("/status/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(401, (int)bare.StatusCode);
        using var query = await gateway.Http.GetAsync($"/status/events?token={Token}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(401, (int)query.StatusCode);

        await using var stream = await StateStream.OpenAsync(gateway, Token);
        var state = await stream.NextAsync(_ => true);
        Assert.Equal("a", (string)state["servers"]![0]!["name"]!);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StatusEvents_PastMaxStreams_Gets503UntilOneCloses()
    {
        await using var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry("a")));
        var open = new List<StateStream>();
        try
        {
            for (var i = 0; i < StatusPage.MaxStreams; i++)
            {
                open.Add(await StateStream.OpenAsync(gateway, token: null));
            }

            using var refused = await gateway.Http.GetAsync("/status/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(503, (int)refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await WaitForAdmissionAsync(gateway);
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>A closed stream frees its place once the server sees the client gone (bounded wait).</summary>
    private static async Task WaitForAdmissionAsync(GatewayFixture gateway)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await gateway.Http.GetAsync("/status/events", HttpCompletionOption.ResponseHeadersRead);
            if ((int)response.StatusCode == 200)
            {
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "a closed status stream never freed its place");
            await Task.Delay(100);
        }
    }

    /// <summary>One open GET /status/events, read event by event.</summary>
    private sealed class StateStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;

        private StateStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public string? ContentType => _response.Content.Headers.ContentType?.MediaType;

        public static async Task<StateStream> OpenAsync(GatewayFixture gateway, string? token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/status/events");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            return new StateStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        /// <summary>The next state that satisfies <paramref name="condition"/>, within 20 s.</summary>
        public async Task<JsonObject> NextAsync(Func<JsonObject, bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? eventName = null;
            JsonObject? last = null;
            try
            {
                while (await _reader.ReadLineAsync(timeout.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        eventName = line[7..];
                    }
                    else if (line.StartsWith("data: ", StringComparison.Ordinal) && eventName == "state")
                    {
                        last = JsonNode.Parse(line[6..])!.AsObject();
                        if (condition(last))
                        {
                            return last;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Reported below with the last state seen.
            }
            Assert.Fail($"no matching state within 20 s; last: {last?.ToJsonString()}");
            return null!;
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
