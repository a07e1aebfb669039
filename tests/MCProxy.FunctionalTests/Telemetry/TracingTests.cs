using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MCProxy.FunctionalTests.Infrastructure;
using MCProxy.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace MCProxy.FunctionalTests.Telemetry;

/// <summary>
/// A span per relayed call, and its W3C trace context passed on: <c>params._meta.traceparent</c> to a stdio child,
/// the <c>traceparent</c> header to a remote upstream; nothing at all when nobody traces. Server names are unique
/// per test, and the listeners sample only those, so gateways of other tests in this process are not traced.
/// </summary>
public sealed class TracingTests
{
    private static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..8];

    private static string Config(string child, string remote, RemoteUpstream upstream) => TestServers.Config(
        TestServers.Entry(child, "--meta"),
        new JsonObject { ["name"] = remote, ["type"] = "http", ["url"] = upstream.McpUrl });

    private static JsonObject Call(string tool, JsonObject? arguments = null, JsonObject? meta = null)
    {
        var prms = new JsonObject { ["name"] = tool, ["arguments"] = arguments ?? new JsonObject() };
        if (meta is not null)
        {
            prms["_meta"] = meta;
        }
        return prms;
    }

    private static string TextOf(JsonObject reply) => (string)reply["result"]!["content"]![0]!["text"]!;

    [Fact]
    public async Task TracedCall_ChildSeesMetaTraceparent_RemoteSeesHeader_SpansCarryServerToolOutcome()
    {
        string child = Unique("c"), remote = Unique("r");
        await using var upstream = await RemoteUpstream.StartAsync();
        await using var gateway = await GatewayFixture.StartAsync(Config(child, remote, upstream));
        using var spans = new SpanRecorder(child, remote);

        // The child: _meta.traceparent is the relay span's id, and a progress token in _meta survives beside it.
        var meta = JsonNode.Parse(TextOf(await gateway.RpcAsync("tools/call",
            Call($"{child}__meta", meta: new JsonObject { ["progressToken"] = "p1", ["vendor/key"] = 7 }))))!.AsObject();
        var childSpan = await spans.SingleAsync(child, "tools/call meta");
        Assert.Equal(childSpan.Id, (string?)meta["traceparent"]);
        Assert.Equal(7, (int)meta["vendor/key"]!);
        Assert.Equal("p1", (string?)meta["progressToken"]); // kept beside it (a session-less POST keeps the client's token)
        Assert.Equal(ActivityKind.Client, childSpan.Kind);
        Assert.Equal("ok", childSpan.GetTagItem(GatewayTracing.OutcomeTag));
        Assert.Equal("meta", childSpan.GetTagItem(GatewayTracing.ToolTag));

        // The remote upstream: the POST of the call carries the relay span as traceparent, and nothing else did.
        Assert.Empty(upstream.Traceparents); // initialize and tools/list at start ran outside any span
        var echoed = await gateway.RpcAsync("tools/call", Call($"{remote}__echo", new JsonObject { ["message"] = "traced" }));
        Assert.Equal("traced", TextOf(echoed));
        var remoteSpan = await spans.SingleAsync(remote, "tools/call echo");
        Assert.Equal(remoteSpan.Id, Assert.Single(upstream.Traceparents));
        Assert.Equal("ok", remoteSpan.GetTagItem(GatewayTracing.OutcomeTag));

        // An isError result is an error span.
        await gateway.RpcAsync("tools/call", Call($"{child}__fail"));
        var failed = await spans.SingleAsync(child, "tools/call fail");
        Assert.Equal("error", failed.GetTagItem(GatewayTracing.OutcomeTag));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
    }

    [Fact]
    public async Task UntracedCall_PassesNoTraceContext()
    {
        string child = Unique("c"), remote = Unique("r");
        await using var upstream = await RemoteUpstream.StartAsync();
        await using var gateway = await GatewayFixture.StartAsync(Config(child, remote, upstream));
        using var others = new SpanRecorder("someone-else"); // a listener in the process that does not want these calls

        var meta = JsonNode.Parse(TextOf(await gateway.RpcAsync("tools/call", Call($"{child}__meta"))))!.AsObject();
        Assert.False(meta.ContainsKey("traceparent"), meta.ToJsonString());
        await gateway.RpcAsync("tools/call", Call($"{remote}__echo", new JsonObject { ["message"] = "plain" }));
        Assert.Empty(upstream.Traceparents);
        Assert.Empty(others.All);
    }

    [Fact]
    public async Task ClientMetaTraceparent_IsTheRelaySpansParent()
    {
        string child = Unique("c"), remote = Unique("r");
        await using var upstream = await RemoteUpstream.StartAsync();
        await using var gateway = await GatewayFixture.StartAsync(Config(child, remote, upstream));
        using var spans = new SpanRecorder(child);
        const string trace = "0af7651916cd43dd8448eb211c80319c", parentSpan = "b7ad6b7169203331";

        var meta = JsonNode.Parse(TextOf(await gateway.RpcAsync("tools/call",
            Call($"{child}__meta", meta: new JsonObject { ["traceparent"] = $"00-{trace}-{parentSpan}-01" }))))!.AsObject();
        var span = await spans.SingleAsync(child, "tools/call meta");
        Assert.Equal(trace, span.TraceId.ToHexString());
        Assert.Equal(parentSpan, span.ParentSpanId.ToHexString());
        Assert.Equal(span.Id, (string?)meta["traceparent"]); // the child's parent is the gateway's span, not the client's
    }

    [Fact]
    public async Task OtlpEndpoint_ExportsTheRelaySpans()
    {
        var child = Unique("c");
        await using var receiver = await OtlpReceiver.StartAsync();
        var gateway = await GatewayFixture.StartAsync(TestServers.Config(TestServers.Entry(child, "--meta")),
            options: o => o with { OtlpEndpoint = receiver.BaseUrl },
            configure: services => services.ConfigureOpenTelemetryTracerProvider(b => b.SetSampler(new OwnServersSampler(child))));
        await using (gateway)
        {
            var meta = JsonNode.Parse(TextOf(await gateway.RpcAsync("tools/call", Call($"{child}__meta"))))!.AsObject();
            Assert.True(meta.ContainsKey("traceparent"), "the exporter's listener makes the call traced");
        }
        // Disposing the gateway flushes the batch exporter.
        var body = await receiver.Bodies.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains("tools/call meta", text);
        Assert.Contains(child, text);
        Assert.Contains(GatewayTracing.OutcomeTag, text);
    }

    /// <summary>Records the gateway's relay spans for the given servers only.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly HashSet<string> _servers;

        public SpanRecorder(params string[] servers)
        {
            _servers = [.. servers];
            _listener = new ActivityListener
            {
                // By name, a constant: comparing with GatewayTracing.Source here would create that source in the
                // middle of AddActivityListener when this test runs first, and the new source would miss this listener.
                ShouldListenTo = source => source.Name == GatewayTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                    Wanted(options.Tags) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
                ActivityStopped = activity =>
                {
                    if (Wanted(activity.TagObjects))
                    {
                        All.Enqueue(activity);
                        _stopped.Release();
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> All { get; } = new();

        private readonly SemaphoreSlim _stopped = new(0);

        /// <summary>
        /// The one span of that name for that server, waiting (bounded, on span stops) for it: a span ends just after
        /// its answer is written, so it can arrive a moment after the client has the answer.
        /// </summary>
        public async Task<Activity> SingleAsync(string server, string name)
        {
            bool Match(Activity a) => a.DisplayName == name && (string?)a.GetTagItem(GatewayTracing.ServerTag) == server;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!All.Any(Match) && DateTime.UtcNow < deadline)
            {
                await _stopped.WaitAsync(TimeSpan.FromMilliseconds(200));
            }
            Assert.True(All.Any(Match), $"no '{name}' span of {server}; saw: " + string.Join(", ", All.Select(a => $"{a.DisplayName}@{a.GetTagItem(GatewayTracing.ServerTag)}")));
            return Assert.Single(All, Match);
        }

        private bool Wanted(IEnumerable<KeyValuePair<string, object?>>? tags) =>
            tags?.Any(t => t.Key == GatewayTracing.ServerTag && t.Value is string s && _servers.Contains(s)) == true;

        public void Dispose() => _listener.Dispose();
    }

    private sealed class OwnServersSampler(string server) : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters parameters) =>
            new(parameters.Tags?.Any(t => t.Key == GatewayTracing.ServerTag && (t.Value as string) == server) == true
                ? SamplingDecision.RecordAndSample
                : SamplingDecision.Drop);
    }

    /// <summary>An OTLP/HTTP collector stand-in: keeps each body POSTed to /v1/traces.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OtlpReceiver(WebApplication app) => _app = app;

        public System.Threading.Channels.Channel<byte[]> Bodies { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public string BaseUrl => _app.Urls.First();

        public static async Task<OtlpReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var receiver = new OtlpReceiver(app);
            app.MapPost(OtlpSettings.TracesPath, async context =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                receiver.Bodies.Writer.TryWrite(body.ToArray());
                context.Response.ContentType = "application/x-protobuf";
                context.Response.StatusCode = StatusCodes.Status200OK;
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
