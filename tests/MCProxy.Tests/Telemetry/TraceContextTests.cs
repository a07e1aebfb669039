using System.Diagnostics;
using System.Text;
using MCProxy.Protocol;
using MCProxy.Telemetry;

namespace MCProxy.Tests.Telemetry;

public sealed class TraceContextTests
{
    private static Activity Span(string? traceState = null)
    {
        var activity = new Activity("relay");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        activity.TraceStateString = traceState;
        return activity.Start();
    }

    private static string Text(ReadOnlyMemory<byte> json) => Encoding.UTF8.GetString(json.Span);

    [Fact]
    public void WithMeta_KeepsEveryOtherMetaMember_AndTheParams()
    {
        using var span = Span("vendor=1");
        var prms = """{"name":"echo","arguments":{"a":1},"_meta":{"progressToken":"gwp-1","x":{"y":[1]}}}"""u8.ToArray();

        var result = TraceContext.WithMeta(prms, span);

        var meta = JsonSlice.TryGetProperty(result, "_meta"u8, out var m) ? m : default;
        Assert.Equal(span.Id, JsonSlice.GetString(meta, "traceparent"u8));
        Assert.Equal("vendor=1", JsonSlice.GetString(meta, "tracestate"u8));
        Assert.Equal("gwp-1", JsonSlice.GetString(meta, "progressToken"u8));
        Assert.Contains("\"x\":{\"y\":[1]}", Text(meta));
        Assert.Equal("echo", JsonSlice.GetString(result, "name"u8));
        Assert.Contains("\"arguments\":{\"a\":1}", Text(result));
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"_meta":"not an object"}""")]
    public void WithMeta_NoUsableMeta_AddsOne(string prms)
    {
        using var span = Span();
        var result = TraceContext.WithMeta(Encoding.UTF8.GetBytes(prms), span);
        Assert.True(JsonSlice.TryGetProperty(result, "_meta"u8, out var meta), Text(result));
        Assert.Equal(span.Id, JsonSlice.GetString(meta, "traceparent"u8));
    }

    [Fact]
    public void WithMeta_ParamsNotAnObject_Unchanged()
    {
        using var span = Span();
        var prms = "[1,2]"u8.ToArray();
        Assert.Equal("[1,2]", Text(TraceContext.WithMeta(prms, span)));
    }

    [Fact]
    public void FromMeta_ParsesTheClientsContext_IgnoresMalformed()
    {
        var context = TraceContext.FromMeta("""{"_meta":{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","tracestate":"k=v"}}"""u8.ToArray());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal("k=v", context.TraceState);
        Assert.True(context.IsRemote);
        Assert.Equal(default, TraceContext.FromMeta("""{"_meta":{"traceparent":"garbage"}}"""u8.ToArray()));
        Assert.Equal(default, TraceContext.FromMeta("""{"name":"x"}"""u8.ToArray()));
    }

    [Fact]
    public void AddHeaders_OnlyInsideARelaySpan()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://upstream/mcp");
        using (Span())
        {
            TraceContext.AddHeaders(request); // an activity, but not the gateway's relay span
        }
        Assert.False(request.Headers.Contains("traceparent"));

        using var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, GatewayTracing.Source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var relay = GatewayTracing.Source.StartActivity("tools/call echo", ActivityKind.Client)!;
        TraceContext.AddHeaders(request);
        Assert.Equal(relay.Id, Assert.Single(request.Headers.GetValues("traceparent")));
    }
}
