using System.Text;
using System.Text.Json.Nodes;
using MCProxy.Gateway;
using MCProxy.Protocol;

namespace MCProxy.Tests.Gateway;

/// <summary>
/// What a subscriptions/listen stream lets through (only the kinds asked for, each tagged with the listen request's
/// id), the acknowledgement first, and how its filter is read.
/// </summary>
public class ListenStreamTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (ListenStream Stream, OutboundQueue Queue) Open(string rawId, ListenFilter filter, params string[] uris)
    {
        var stream = new ListenStream(Encoding.UTF8.GetBytes(rawId), filter, Now, 1024 * 1024);
        foreach (var uri in uris)
        {
            stream.Subscriptions.TryAdd(uri, 0);
        }
        return (stream, stream.TryAttachStream(() => { })!);
    }

    private static List<JsonObject> Drain(OutboundQueue queue)
    {
        var messages = new List<JsonObject>();
        while (queue.TryRead(out var message))
        {
            messages.Add(JsonNode.Parse(message)!.AsObject());
        }
        return messages;
    }

    private static byte[] Notification(string method, string? prms = null) =>
        JsonRpcWriter.Notification(method, prms is null ? default : Encoding.UTF8.GetBytes(prms));

    [Fact]
    public void TrySend_BeforeTheAck_IsHeld_AndFollowsTheAckOnce()
    {
        var (stream, queue) = Open("7", new ListenFilter(Tools: true, Prompts: false, Resources: false, []), "test://a");
        Assert.True(stream.TrySend(Notification("notifications/resources/updated", """{"uri":"test://a"}""")));
        Assert.True(stream.TrySend(Notification("notifications/resources/updated", """{"uri":"test://a"}"""))); // a repeat: held once
        Assert.Empty(Drain(queue));
        stream.Acknowledge(new ListenFilter(true, false, false, ["test://a"]));
        var messages = Drain(queue);
        Assert.Equal(["notifications/subscriptions/acknowledged", "notifications/resources/updated"], messages.Select(m => (string)m["method"]!));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"toolsListChanged":true,"resourceSubscriptions":["test://a"]}"""),
            messages[0]["params"]!["notifications"]));
        Assert.All(messages, m => Assert.Equal(7, (int)m["params"]!["_meta"]!["io.modelcontextprotocol/subscriptionId"]!));
    }

    [Fact]
    public void TrySend_OnlyTheKindsAskedFor_TaggedWithTheId_KeepingTheChildsMeta()
    {
        var (stream, queue) = Open("\"s-1\"", new ListenFilter(Tools: false, Prompts: true, Resources: false, []), "test://a");
        stream.Acknowledge(stream.Filter);
        Drain(queue);
        Assert.False(stream.TrySend(Notification("notifications/tools/list_changed")));
        Assert.False(stream.TrySend(Notification("notifications/resources/list_changed")));
        Assert.False(stream.TrySend(Notification("notifications/message", """{"level":"info","data":"x"}""")));
        Assert.False(stream.TrySend(Notification("notifications/resources/updated", """{"uri":"test://other"}""")));
        Assert.False(stream.TrySend(JsonRpcWriter.Response("1"u8, "{}"u8)));
        Assert.True(stream.TrySend(Notification("notifications/prompts/list_changed")));
        Assert.True(stream.TrySend(Notification("notifications/resources/updated", """{"uri":"test://a","_meta":{"vendor/k":1}}""")));
        var messages = Drain(queue);
        Assert.Equal(2, messages.Count);
        Assert.Equal("s-1", (string)messages[0]["params"]!["_meta"]!["io.modelcontextprotocol/subscriptionId"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"vendor/k":1,"io.modelcontextprotocol/subscriptionId":"s-1"}"""),
            messages[1]["params"]!["_meta"]));
    }

    [Fact]
    public void FinalResult_IsTheEmptyListenResult_WithTheSubscriptionId()
    {
        var (stream, _) = Open("\"bye\"", new ListenFilter(true, false, false, []));
        var final = JsonNode.Parse(stream.FinalResult())!;
        Assert.Equal("bye", (string)final["id"]!);
        Assert.Equal("complete", (string)final["result"]!["resultType"]!);
        Assert.Equal("bye", (string)final["result"]!["_meta"]!["io.modelcontextprotocol/subscriptionId"]!);
    }

    [Theory]
    [InlineData("""{"notifications":{"toolsListChanged":true,"resourceSubscriptions":["a","b","a"],"unknownKind":true}}""", true, "a,b")]
    [InlineData("""{"notifications":{"promptsListChanged":false}}""", true, "")]
    [InlineData("""{"notifications":null}""", false, "")]
    [InlineData("""{}""", false, "")]
    [InlineData("""{"notifications":{"resourcesListChanged":1}}""", false, "")]
    [InlineData("""{"notifications":{"resourceSubscriptions":[1]}}""", false, "")]
    public void Parse_ReadsTheFilter_OrSaysWhatIsWrong(string prms, bool valid, string uris)
    {
        var filter = ListenFilter.Parse(Encoding.UTF8.GetBytes(prms), out var problem);
        Assert.Equal(valid, filter is not null);
        Assert.Equal(valid, problem is null);
        if (filter is not null)
        {
            Assert.Equal(uris, string.Join(",", filter.Uris));
            Assert.False(filter.Prompts);
        }
    }

    [Fact]
    public void Parse_MoreUrisThanOneStreamTakes_IsRefused()
    {
        var uris = string.Join(",", Enumerable.Range(0, ListenFilter.MaxUris + 1).Select(i => $"\"u{i}\""));
        Assert.Null(ListenFilter.Parse(Encoding.UTF8.GetBytes("{\"notifications\":{\"resourceSubscriptions\":[" + uris + "]}}"), out var problem));
        Assert.Contains($"at most {ListenFilter.MaxUris}", problem);
    }
}
