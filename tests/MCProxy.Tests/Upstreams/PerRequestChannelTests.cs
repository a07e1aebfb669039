using System.Text;
using System.Text.Json.Nodes;
using MCProxy.Upstreams;

namespace MCProxy.Tests.Upstreams;

/// <summary>What a 2026-07-28 child is sent: the gateway's per-request _meta, and the listen filter its capabilities allow.</summary>
public class PerRequestChannelTests
{
    private static JsonObject Params(ReadOnlyMemory<byte> raw) => JsonNode.Parse(Encoding.UTF8.GetString(raw.Span))!.AsObject();

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("""{"name":"echo","arguments":{"message":"m"}}""")]
    [InlineData("""{"name":"echo","_meta":{"progressToken":5,"io.modelcontextprotocol/protocolVersion":"1999-01-01","vendor/x":true}}""")]
    public void EveryRequest_CarriesTheGatewaysVersionCapabilitiesAndInfo_KeepingTheRest(string raw)
    {
        var prms = Params(PerRequestChannel.WithHopMeta(Encoding.UTF8.GetBytes(raw), "debug"));
        var meta = prms["_meta"]!.AsObject();
        Assert.Equal("2026-07-28", (string?)meta["io.modelcontextprotocol/protocolVersion"]);
        Assert.Equal("mcproxy", (string?)meta["io.modelcontextprotocol/clientInfo"]?["name"]);
        Assert.NotNull(meta["io.modelcontextprotocol/clientCapabilities"]?["sampling"]);
        Assert.Equal("debug", (string?)meta["io.modelcontextprotocol/logLevel"]);
        if (raw.Contains("progressToken"))
        {
            Assert.Equal(5, (int?)meta["progressToken"]);
            Assert.True((bool?)meta["vendor/x"]);
        }
        if (raw.Contains("echo"))
        {
            Assert.Equal("echo", (string?)prms["name"]);
        }
    }

    [Fact]
    public void ParamsThatAreNotAnObject_GoOnAsTheyAre_ForTheChildToRefuse()
    {
        Assert.Equal("[1,2]", Encoding.UTF8.GetString(PerRequestChannel.WithHopMeta("[1,2]"u8.ToArray(), null).Span));
    }

    [Fact]
    public void TheListenFilter_AsksOnlyForWhatTheChildOffers()
    {
        var caps = """{"tools":{"listChanged":true},"prompts":{},"resources":{"subscribe":true,"listChanged":false}}"""u8.ToArray();
        var filter = Params(PerRequestChannel.ListenParams(caps, []))["notifications"]!.AsObject();
        Assert.True((bool?)filter["toolsListChanged"]);
        Assert.False(filter.ContainsKey("promptsListChanged"));
        Assert.False(filter.ContainsKey("resourcesListChanged"));
        Assert.False(filter.ContainsKey("resourceSubscriptions"));
        filter = Params(PerRequestChannel.ListenParams(caps, ["file:///a", "file:///b"]))["notifications"]!.AsObject();
        Assert.Equal(["file:///a", "file:///b"], filter["resourceSubscriptions"]!.AsArray().Select(n => (string)n!));
        Assert.Empty(PerRequestChannel.ListenParams("""{"tools":{}}"""u8.ToArray(), []));
    }
}
