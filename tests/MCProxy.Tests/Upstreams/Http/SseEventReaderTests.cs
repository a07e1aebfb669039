using System.Text;
using MCProxy.Tests.Infrastructure;
using MCProxy.Upstreams.Http;

namespace MCProxy.Tests.Upstreams.Http;

public sealed class SseEventReaderTests
{
    private const int Cap = 1024;

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(SseEvent e) => Encoding.UTF8.GetString(e.Data);

    /// <summary>Every event until the end of the stream.</summary>
    private static async Task<List<SseEvent>> ReadAllAsync(Stream stream, int cap = Cap)
    {
        var reader = new SseEventReader(stream, cap);
        var events = new List<SseEvent>();
        while (await reader.ReadAsync(CancellationToken.None) is { } e)
        {
            events.Add(e);
        }
        return events;
    }

    [Fact]
    public async Task ReadAsync_EventDataAndIdFields_ReturnsAllThree()
    {
        var events = await ReadAllAsync(new MemoryStream(Bytes("event: endpoint\ndata: /messages?s=1\nid: 42\n\n")));

        var e = Assert.Single(events);
        Assert.Equal("endpoint", e.Name);
        Assert.Equal("/messages?s=1", Text(e));
        Assert.Equal("42", e.Id);
    }

    [Fact]
    public async Task ReadAsync_NoEventField_NameAndIdAreNull()
    {
        var e = Assert.Single(await ReadAllAsync(new MemoryStream(Bytes("data: {\"a\":1}\n\n"))));

        Assert.Null(e.Name);
        Assert.Null(e.Id);
        Assert.Equal("{\"a\":1}", Text(e));
    }

    [Fact]
    public async Task ReadAsync_SeveralDataLines_JoinedWithNewline()
    {
        var e = Assert.Single(await ReadAllAsync(new MemoryStream(Bytes("data: one\ndata: two\ndata:\ndata: four\n\n"))));

        Assert.Equal("one\ntwo\n\nfour", Text(e));
    }

    [Fact]
    public async Task ReadAsync_ValueAfterColon_OnlyTheFirstSpaceIsDropped()
    {
        var events = await ReadAllAsync(new MemoryStream(Bytes("data:x\n\ndata:  y\n\n")));

        Assert.Equal(["x", " y"], events.Select(Text));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public async Task ReadAsync_LineEnds_SameEvents(string eol)
    {
        var stream = $"event: message{eol}data: a{eol}data: b{eol}{eol}data: c{eol}{eol}";

        var events = await ReadAllAsync(new MemoryStream(Bytes(stream)));

        Assert.Equal(2, events.Count);
        Assert.Equal("message", events[0].Name);
        Assert.Equal("a\nb", Text(events[0])); // no CR left in the data
        Assert.Null(events[1].Name);
        Assert.Equal("c", Text(events[1]));
    }

    [Fact]
    public async Task ReadAsync_Comments_Ignored()
    {
        var events = await ReadAllAsync(new MemoryStream(Bytes(": keepalive\n\ndata: a\n: in the middle\ndata: b\n\n:\n\n")));

        var e = Assert.Single(events);
        Assert.Equal("a\nb", Text(e));
    }

    [Fact]
    public async Task ReadAsync_BlankLinesBetweenEvents_Skipped()
    {
        var events = await ReadAllAsync(new MemoryStream(Bytes("\n\n\ndata: a\n\n\n\r\n\ndata: b\n\n\n")));

        Assert.Equal(["a", "b"], events.Select(Text));
    }

    [Fact]
    public async Task ReadAsync_EventNameWithoutData_NotDispatchedAndNotCarriedOver()
    {
        var events = await ReadAllAsync(new MemoryStream(Bytes("event: ping\n\ndata: a\n\n")));

        var e = Assert.Single(events);
        Assert.Null(e.Name);
        Assert.Equal("a", Text(e));
    }

    [Fact]
    public async Task ReadAsync_OneToThreeBytesPerRead_SameEventsAsOneRead()
    {
        var stream = Bytes(
            ": keepalive\r\n\r\nevent: endpoint\r\ndata: /m?s=é\r\n\r\n" +
            "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n" +
            "id: 7\ndata: x\ndata: y\r\n\n");

        var whole = await ReadAllAsync(new MemoryStream(stream));
        var trickled = await ReadAllAsync(new TrickleStream(stream));

        Assert.Equal(3, whole.Count);
        Assert.Equal(whole.Select(e => (e.Name, Text(e), e.Id)), trickled.Select(e => (e.Name, Text(e), e.Id)));
        Assert.Equal(("endpoint", "/m?s=é", null), (trickled[0].Name, Text(trickled[0]), trickled[0].Id));
        Assert.Equal("x\ny", Text(trickled[2]));
        Assert.Equal("7", trickled[2].Id);
    }

    [Theory]
    [InlineData("data: a\n\ndata: unfinished\n")]
    [InlineData("data: a\n\ndata: unfinished")]
    [InlineData("data: a\n\nevent: x\ndata: unfinished\r")]
    public async Task ReadAsync_StreamEndsMidEvent_UnfinishedEventDropped(string stream)
    {
        var reader = new SseEventReader(new TrickleStream(Bytes(stream)), Cap);

        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal("a", Text(first!.Value));
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
        Assert.Null(await reader.ReadAsync(CancellationToken.None)); // and stays ended
    }

    [Fact]
    public async Task ReadAsync_LineWithoutEndOverCap_ThrowsWithoutReadingOnAndOn()
    {
        var cap = 256 * 1024;
        var stream = new EndlessStream(Bytes("data: "), Bytes("abcdefgh"));
        var reader = new SseEventReader(stream, cap);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains($"{cap}", ex.Message);
        Assert.InRange(stream.BytesRead, cap, cap + 16 * 1024); // the buffer stopped near the cap
    }

    [Fact]
    public async Task ReadAsync_CommentLineWithoutEndOverCap_Throws()
    {
        var stream = new EndlessStream(Bytes(":"), Bytes(" keepalive"));
        var reader = new SseEventReader(stream, Cap);

        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.InRange(stream.BytesRead, Cap, Cap + 16 * 1024);
    }

    [Fact]
    public async Task ReadAsync_EventOfManyShortDataLinesOverCap_ThrowsWithoutReadingOnAndOn()
    {
        var cap = 256 * 1024;
        var stream = new EndlessStream([], Bytes("data: 0123456789\n"));
        var reader = new SseEventReader(stream, cap);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(CancellationToken.None).AsTask());

        Assert.Contains("event", ex.Message);
        Assert.InRange(stream.BytesRead, cap, 2 * cap); // "data: " and "\n" around each 10 bytes of data
    }

    [Fact]
    public async Task ReadAsync_EventOverCapInOneRead_Throws()
    {
        var stream = new MemoryStream(Bytes($"data: {new string('a', 600)}\ndata: {new string('b', 600)}\n\n"));

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(stream));
    }

    [Fact]
    public async Task ReadAsync_EventJustUnderCap_Accepted()
    {
        var data = new string('a', Cap - 10) + "\n" + new string('b', 9); // Cap bytes with the joining newline
        var stream = Bytes($"data: {new string('a', Cap - 10)}\ndata: {new string('b', 9)}\n\n");

        var e = Assert.Single(await ReadAllAsync(new MemoryStream(stream)));

        Assert.Equal(data, Text(e));
    }
    [Theory]
    [InlineData("\n", false)]
    [InlineData("\n", true)]
    [InlineData("\r\n", false)]
    [InlineData("\r\n", true)]
    public async Task ReadAsync_DataOfExactlyTheCap_AcceptedHoweverTheReadsSplitIt(string eol, bool trickle)
    {
        // The cap is on the event's data; the "data: " before it must not make a full-size message depend on how
        // the network happened to split the line.
        var data = new string('x', Cap);
        var stream = Bytes($"data: {data}{eol}{eol}");

        var e = Assert.Single(await ReadAllAsync(trickle ? new TrickleStream(stream) : new MemoryStream(stream)));

        Assert.Equal(data, Text(e));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_CommentLineOverCap_ThrowsHoweverTheReadsSplitIt(bool trickle)
    {
        var stream = Bytes($": {new string('k', 2 * Cap)}\n\ndata: a\n\n");

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(trickle ? new TrickleStream(stream) : new MemoryStream(stream)));
    }
}
